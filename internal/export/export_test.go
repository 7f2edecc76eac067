package export_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store/storetest"
)

// export fetches an export with a client and returns the answer and body.
func (e *testEnv) export(c *http.Client, path string, headers ...string) (*http.Response, string) {
	e.T.Helper()
	req, _ := http.NewRequest("GET", e.Srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("reading %s: %v", path, err)
	}
	return res, string(b)
}

func parseCSV(t *testing.T, body string) (header []string, rows []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not CSV: %v", err)
	}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

func TestHistoryExportsStreamEveryMatchingRow(t *testing.T) {
	e := newEnv(t)
	reader, _ := e.User(domain.RoleAuditor)
	const n = 20000
	ctx := context.Background()
	if err := storetest.SeedCalls(ctx, dbtest.Pool(t), n, e.Gw.ID); err != nil {
		t.Fatal(err)
	}
	// A marker in the callback makes this test's rows the only match in a
	// database other tests share.
	marker := apptest.Uniq("export")
	if _, err := dbtest.Pool(t).Exec(ctx, `UPDATE calls SET callback_uri = callback_uri || '/' || $2 WHERE gateway_id = $1`, e.Gw.ID, marker); err != nil {
		t.Fatal(err)
	}
	count := func(extra string) int {
		var c int
		if err := dbtest.Pool(t).QueryRow(ctx, `SELECT count(*) FROM calls WHERE gateway_id = $1`+extra, e.Gw.ID).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	res, body := e.export(reader, "/history/export.csv?callback="+marker)
	t.Run("the CSV export is streamed as an attachment with a dated name", func(t *testing.T) {
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		want := `attachment; filename="ccsub-history-` + time.Now().UTC().Format("2006-01-02") + `.csv"`
		if got := res.Header.Get("Content-Disposition"); got != want {
			t.Errorf("Content-Disposition %q, want %q", got, want)
		}
		if res.ContentLength != -1 || !slices.Contains(res.TransferEncoding, "chunked") {
			t.Errorf("Content-Length %d, Transfer-Encoding %v: the export was buffered", res.ContentLength, res.TransferEncoding)
		}
	})
	t.Run("the CSV export holds every matching row once, newest first", func(t *testing.T) {
		header, rows := parseCSV(t, body)
		if len(rows) != n || header[0] != "id" {
			t.Fatalf("%d rows, want %d", len(rows), n)
		}
		ids := map[string]bool{}
		for i, r := range rows {
			ids[r["id"]] = true
			if i > 0 && r["started_at"] > rows[i-1]["started_at"] {
				t.Fatalf("row %d is newer than row %d", i, i-1)
			}
		}
		if len(ids) != n {
			t.Errorf("%d distinct ids, want %d", len(ids), n)
		}
	})
	t.Run("the JSON export honours the filters", func(t *testing.T) {
		res, body := e.export(reader, "/history/export.json?outcome=rejected&operation=register&callback="+marker)
		var calls []map[string]any
		if err := json.Unmarshal([]byte(body), &calls); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("status %d, not a JSON array: %v", res.StatusCode, err)
		}
		want := count(` AND outcome = 'rejected' AND operation = 'register'`)
		if len(calls) != want || want == 0 {
			t.Fatalf("%d calls, want %d", len(calls), want)
		}
		for _, c := range calls {
			if c["outcome"] != "rejected" || c["operation"] != "register" {
				t.Fatalf("call %v does not match the filters", c)
			}
		}
	})
	t.Run("an empty export is still well formed", func(t *testing.T) {
		_, body := e.export(reader, "/history/export.json?callback="+apptest.Uniq("nothing"))
		var calls []any
		if err := json.Unmarshal([]byte(body), &calls); err != nil || len(calls) != 0 {
			t.Fatalf("body %q: %v", body, err)
		}
	})
	t.Run("each export is audited with its filters", func(t *testing.T) {
		entries := e.AuditEntries(domain.AuditExport, "history.json")
		found := false
		for _, en := range entries {
			found = found || en.Diff["filter.callback"].After == marker && en.Diff["filter.outcome"].After == "rejected"
		}
		if !found {
			t.Errorf("no export entry with the filters among %d", len(entries))
		}
	})
	t.Run("filters that cannot be used get 400 and no file", func(t *testing.T) {
		res, body := e.export(reader, "/history/export.csv?outcome=great")
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Disposition") != "" || !strings.Contains(body, "outcome") {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

func TestExportsNeutraliseFormulasAndHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	auditor, _ := e.User(domain.RoleAuditor)
	marker := apptest.Uniq("formula")
	call, err := e.St.BeginCall(ctx, domain.NewCall{GatewayID: e.Gw.ID, GatewayName: e.Gw.Name, Actor: "@SUM(A1:A9)",
		Operation: domain.OpRegister, CallbackURI: `=HYPERLINK("https://evil.example/` + marker + `")`,
		SubscribeType: "1", NLPFlag: true, FlowAccessCode: "+1+1", TokenPresent: true, RequestBody: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.CompleteCall(ctx, call.ID, domain.CallResult{Outcome: domain.OutcomeRejected, HTTPStatus: 200,
		Retcode: "107-027", Message: "-2+3", Error: "\tcmd", Attempts: 1, Duration: time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	_, body := e.export(auditor, "/history/export.csv?callback="+marker)
	_, rows := parseCSV(t, body)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	cells := []struct{ column, want string }{
		{"callback_uri", `'=HYPERLINK("https://evil.example/` + marker + `")`},
		{"actor", "'@SUM(A1:A9)"},
		{"flow_access_code", "'+1+1"},
		{"message", "'-2+3"},
		{"error", "'\tcmd"},
		{"retcode", "107-027"},
		{"service_token", "set"},
	}
	for _, c := range cells {
		t.Run("the CSV cell "+c.column+" cannot run as a formula", func(t *testing.T) {
			if got := rows[0][c.column]; got != c.want {
				t.Errorf("%s = %q, want %q", c.column, got, c.want)
			}
		})
	}
	t.Run("the JSON export keeps values exact: JSON is not opened by spreadsheets", func(t *testing.T) {
		_, body := e.export(auditor, "/history/export.json?callback="+marker)
		var calls []map[string]any
		_ = json.Unmarshal([]byte(body), &calls)
		if len(calls) != 1 || calls[0]["message"] != "-2+3" {
			t.Errorf("calls %v", calls)
		}
	})
	t.Run("a hostile user agent is neutralised in the audit export", func(t *testing.T) {
		ua := "=cmd|' /C calc'!A0 " + marker
		e.export(auditor, "/history/export.csv?retcode=107-027", "User-Agent", ua)
		res, body := e.export(auditor, "/audit/export.csv?action=export")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		_, rows := parseCSV(t, body)
		found := false
		for _, r := range rows {
			found = found || r["user_agent"] == "'"+ua
		}
		if !found {
			t.Error("no audit row with the neutralised user agent")
		}
	})
}

func TestExportsNeverHoldSecrets(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	auditor, _ := e.User(domain.RoleAuditor)
	token := "tok-" + apptest.Uniq("never-exported")
	r := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON(token)).Want(t, http.StatusCreated).JSON(t)
	serverID := r["call"].(map[string]any)["serverId"].(string)

	paths := []string{
		"/history/export.csv?serverId=" + serverID,
		"/history/export.json?serverId=" + serverID,
		"/audit/export.csv?" + url.Values{"action": {"subscription_register"}}.Encode(),
		"/audit/export.json?" + url.Values{"action": {"subscription_register"}}.Encode(),
	}
	for _, p := range paths {
		t.Run(p+" has the rows but not the token or the gateway password", func(t *testing.T) {
			res, body := e.export(auditor, p)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, serverID) {
				t.Fatalf("status %d; serverId in body: %v", res.StatusCode, strings.Contains(body, serverID))
			}
			if strings.Contains(body, token) || strings.Contains(body, apptest.SimPassword) {
				t.Error("a secret is in the export")
			}
		})
	}
	t.Run("an operator may export the history but not the audit trail", func(t *testing.T) {
		opc, _ := e.User(domain.RoleOperator)
		if res, _ := e.export(opc, "/history/export.csv?serverId="+serverID); res.StatusCode != http.StatusOK {
			t.Errorf("history export: status %d", res.StatusCode)
		}
		if res, _ := e.export(opc, "/audit/export.csv"); res.StatusCode != http.StatusForbidden {
			t.Errorf("audit export: status %d, want 403", res.StatusCode)
		}
	})
}

func TestListPagesLinkToExportsWithTheirFilters(t *testing.T) {
	e := newEnv(t)
	auditor, _ := e.User(domain.RoleAuditor)
	tests := []struct {
		name, page, csv, excel, json string
	}{
		{"the history page", "/history?outcome=rejected", "/history/export.csv?outcome=rejected",
			"/history/export-excel.csv?outcome=rejected", "/history/export.json?outcome=rejected"},
		{"the audit page", "/audit?action=export", "/audit/export.csv?action=export",
			"/audit/export-excel.csv?action=export", "/audit/export.json?action=export"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" links to its exports with the same filters", func(t *testing.T) {
			d := e.Page(auditor, tt.page, http.StatusOK)
			if got, _ := d.Find("#export-csv").Attr("href"); got != tt.csv {
				t.Errorf("CSV link %q, want %q", got, tt.csv)
			}
			if got, _ := d.Find("#export-excel").Attr("href"); got != tt.excel {
				t.Errorf("CSV for Excel link %q, want %q", got, tt.excel)
			}
			if !strings.Contains(d.Find(".exports").Text(), "UTC") {
				t.Error("the exports do not say their time zone")
			}
			if got, _ := d.Find("#export-json").Attr("href"); got != tt.json {
				t.Errorf("JSON link %q, want %q", got, tt.json)
			}
		})
	}
}

// The CSV for Excel is the plain CSV with a byte-order mark, CRLF line
// ends and times Excel reads, in columns named *_utc; the plain CSV has
// no mark and ISO 8601 times ending in Z. Chinese text survives both.
func TestTheExcelCSVHasAByteOrderMarkAndThePlainOneNone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	auditor, _ := e.User(domain.RoleAuditor)
	marker := apptest.Uniq("excel")
	const actor, message = "张三", "订阅失败：语音识别结果未推送"
	call, err := e.St.BeginCall(ctx, domain.NewCall{GatewayID: e.Gw.ID, GatewayName: e.Gw.Name, Actor: actor,
		Operation: domain.OpRegister, CallbackURI: "https://crm.example.com/回调/" + marker, SubscribeType: "1", RequestBody: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.St.CompleteCall(ctx, call.ID, domain.CallResult{Outcome: domain.OutcomeRejected, HTTPStatus: 200,
		Retcode: "107-027", Message: message, Attempts: 1, Duration: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	q := "?callback=" + url.QueryEscape(marker)
	const bom = "\uFEFF"

	t.Run("the plain CSV has no byte-order mark and states UTC with a Z", func(t *testing.T) {
		res, body := e.export(auditor, "/history/export.csv"+q)
		if res.StatusCode != http.StatusOK || strings.HasPrefix(body, bom) || strings.Contains(body, "\r\n") {
			t.Fatalf("status %d; starts with a BOM: %v; CRLF: %v", res.StatusCode, strings.HasPrefix(body, bom), strings.Contains(body, "\r\n"))
		}
		_, rows := parseCSV(t, body)
		if len(rows) != 1 || rows[0]["actor"] != actor || rows[0]["message"] != message || rows[0]["callback_uri"] != call.CallbackURI {
			t.Fatalf("rows %v; want the Chinese text as it was stored", rows)
		}
		if at, err := time.Parse(time.RFC3339Nano, rows[0]["started_at"]); err != nil || !strings.HasSuffix(rows[0]["started_at"], "Z") || !at.Equal(call.StartedAt) {
			t.Errorf("started_at %q (%v), want %s in ISO 8601 UTC", rows[0]["started_at"], err, call.StartedAt)
		}
	})
	t.Run("the CSV for Excel starts with a byte-order mark, ends lines with CRLF and names its times UTC", func(t *testing.T) {
		res, body := e.export(auditor, "/history/export-excel.csv"+q)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		want := `attachment; filename="ccsub-history-excel-` + time.Now().UTC().Format("2006-01-02") + `.csv"`
		if got := res.Header.Get("Content-Disposition"); got != want {
			t.Errorf("Content-Disposition %q, want %q", got, want)
		}
		rest, ok := strings.CutPrefix(body, bom)
		if !ok {
			t.Fatalf("no byte-order mark: starts with %q", body[:min(len(body), 8)])
		}
		if lines := strings.Count(rest, "\n"); lines != 2 || strings.Count(rest, "\r\n") != lines {
			t.Errorf("%d lines, %d of them end with CRLF; want 2 and 2", lines, strings.Count(rest, "\r\n"))
		}
		header, rows := parseCSV(t, rest)
		if !slices.Contains(header, "started_at_utc") || !slices.Contains(header, "finished_at_utc") || slices.Contains(header, "started_at") {
			t.Errorf("header %v, want the time columns named *_utc", header)
		}
		if len(rows) != 1 || rows[0]["actor"] != actor || rows[0]["message"] != message || rows[0]["callback_uri"] != call.CallbackURI {
			t.Fatalf("rows %v; want the Chinese text as it was stored", rows)
		}
		if got, want := rows[0]["finished_at_utc"], done.FinishedAt.UTC().Format("2006-01-02 15:04:05.000"); got != want {
			t.Errorf("finished_at_utc %q, want %q", got, want)
		}
	})
	t.Run("the audit trail's CSV for Excel has the mark and at_utc", func(t *testing.T) {
		res, body := e.export(auditor, "/audit/export-excel.csv?action=export")
		rest, ok := strings.CutPrefix(body, bom)
		if res.StatusCode != http.StatusOK || !ok {
			t.Fatalf("status %d; byte-order mark: %v", res.StatusCode, ok)
		}
		header, rows := parseCSV(t, rest)
		if header[1] != "at_utc" || len(rows) == 0 {
			t.Errorf("header %v and %d rows", header, len(rows))
		}
		if _, body := e.export(auditor, "/audit/export.csv?action=export"); strings.HasPrefix(body, bom) {
			t.Error("the plain audit CSV starts with a byte-order mark")
		}
	})
	t.Run("the CSV for Excel is audited as its own format", func(t *testing.T) {
		if len(e.AuditEntries(domain.AuditExport, "history.csv-excel")) == 0 {
			t.Error("no audit entry for the history's CSV for Excel")
		}
	})
}
