package server_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// appendAudit writes entries through the store, oldest first.
func (e *testEnv) appendAudit(entries ...domain.AuditEntry) []domain.AuditEntry {
	e.T.Helper()
	out := make([]domain.AuditEntry, len(entries))
	for i, a := range entries {
		got, err := e.St.AppendAudit(context.Background(), a)
		if err != nil {
			e.T.Fatal(err)
		}
		out[i] = got
	}
	return out
}

// rowIDs are the entry ids of the audit table rows, in page order.
func rowIDs(doc *goquery.Document) []int64 {
	var ids []int64
	doc.Find("table.audit tbody tr").Each(func(_ int, s *goquery.Selection) {
		id, _ := strconv.ParseInt(s.AttrOr("data-id", ""), 10, 64)
		ids = append(ids, id)
	})
	return ids
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTheAuditPagesAreForAdminsAndAuditorsAndVerifyForAdminsOnly(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	auditor, _ := e.User(domain.RoleAuditor)
	operator, _ := e.User(domain.RoleOperator)
	tests := []struct {
		name   string
		c      *http.Client
		path   string
		status int
	}{
		{"an admin reads the trail", admin, "/audit", http.StatusOK},
		{"an auditor reads the trail", auditor, "/audit", http.StatusOK},
		{"an operator may not read the trail", operator, "/audit", http.StatusForbidden},
		{"an admin verifies the chain", admin, "/audit/verify", http.StatusOK},
		{"an auditor may not run the verification", auditor, "/audit/verify", http.StatusForbidden},
		{"an operator may not run the verification", operator, "/audit/verify", http.StatusForbidden},
		{"without a session the trail sends to sign-in", e.Anonymous(), "/audit", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := e.Get(tt.c, tt.path); res.StatusCode != tt.status {
				t.Errorf("GET %s: %d, want %d", tt.path, res.StatusCode, tt.status)
			}
		})
	}
	t.Run("the Audit link is in the menu of admins and auditors only", func(t *testing.T) {
		for c, want := range map[*http.Client]int{admin: 1, auditor: 1, operator: 0} {
			if n := e.Page(c, "/subscriptions", http.StatusOK).Find(`header nav a[href="/audit"]`).Length(); n != want {
				t.Errorf("%d Audit links, want %d", n, want)
			}
		}
	})
}

func TestTheAuditPageFiltersAndPagesWithTheFiltersInTheURL(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	actor, subID := apptest.Uniq("actor"), strconv.Itoa(int(time.Now().UnixNano()%1e9))
	var seed []domain.AuditEntry
	for i := range 55 {
		a := domain.AuditEntry{Actor: actor, Action: domain.AuditSubModify, TargetType: domain.TargetSubscription, TargetID: subID}
		if i%5 == 0 {
			a.Action, a.TargetType, a.TargetID = domain.AuditGatewayTest, domain.TargetGateway, "1"
		}
		seed = append(seed, a)
	}
	written := e.appendAudit(seed...)
	var all, gwTests []int64 // newest first
	for i := len(written) - 1; i >= 0; i-- {
		all = append(all, written[i].ID)
		if written[i].Action == domain.AuditGatewayTest {
			gwTests = append(gwTests, written[i].ID)
		}
	}
	base := "/audit?actor=" + url.QueryEscape(actor)

	t.Run("the first page holds the newest 50 and links to older ones with the filter kept", func(t *testing.T) {
		doc := e.Page(c, base, http.StatusOK)
		if got := rowIDs(doc); !sameIDs(got, all[:50]) {
			t.Fatalf("rows %v, want %v", got, all[:50])
		}
		older, ok := doc.Find(`.pager a[rel="next"]`).Attr("href")
		if !ok || !strings.Contains(older, "actor="+url.QueryEscape(actor)) || doc.Find(`.pager a[rel="prev"]`).Length() != 0 {
			t.Fatalf("pager: older %q", older)
		}
		doc2 := e.Page(c, older, http.StatusOK)
		if got := rowIDs(doc2); !sameIDs(got, all[50:]) {
			t.Fatalf("older page rows %v, want %v", got, all[50:])
		}
		newer, _ := doc2.Find(`.pager a[rel="prev"]`).Attr("href")
		if doc2.Find(`.pager a[rel="next"]`).Length() != 0 || newer == "" {
			t.Fatalf("the last page links older, or not newer")
		}
		if got := rowIDs(e.Page(c, newer, http.StatusOK)); !sameIDs(got, all[:50]) {
			t.Errorf("back to newer: rows %v", got)
		}
	})

	day := written[0].At.UTC().Format("2006-01-02")
	filters := []struct {
		name  string
		query string
		want  []int64
	}{
		{"an action narrows to it", "&action=gateway_test", gwTests},
		{"a target type and id narrow to that target", "&target_type=gateway&target_id=1", gwTests},
		{"the day of the entries holds them", "&action=gateway_test&from=" + day + "&to=" + written[len(written)-1].At.UTC().Format("2006-01-02"), gwTests},
		{"a range that ended before them holds none", "&to=" + written[0].At.UTC().AddDate(0, 0, -1).Format("2006-01-02"), nil},
		{"an action nobody did holds none", "&action=secrets_rotate", nil},
	}
	for _, f := range filters {
		t.Run(f.name, func(t *testing.T) {
			doc := e.Page(c, base+f.query, http.StatusOK)
			if got := rowIDs(doc); !sameIDs(got, f.want) {
				t.Errorf("rows %v, want %v", got, f.want)
			}
			if len(f.want) == 0 && !strings.Contains(doc.Find(".empty").Text(), "No audit entry matches") {
				t.Error("no empty-state message")
			}
		})
	}
}

func TestBadAuditFiltersGetA400NamingTheProblem(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	tests := []struct {
		name  string
		query string
		field string
		want  string
	}{
		{"an action not in the list", "action=drop_table", "action", "Choose an action from the list."},
		{"a target type not in the list", "target_type=planet", "target_type", "Choose a target type from the list."},
		{"a target id without a type", "target_id=7", "target_id", "Choose a target type too"},
		{"a date that is not a date", "from=2026-13-45", "from", "Use a date like"},
		{"a range that ends before it starts", "from=2026-03-02&to=2026-03-01", "to", "Must be the same day"},
		{"an actor with a control character", "actor=" + url.QueryEscape("bob\x01"), "actor", "without control or invisible characters"},
		{"an actor with a zero-width space", "actor=" + url.QueryEscape("bo\u200bb"), "actor", "without control or invisible characters"},
		{"an overlong actor", "actor=" + strings.Repeat("a", 201), "actor", "At most 200 characters"},
		{"an actor given twice", "actor=a&actor=b", "actor", "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := e.Page(c, "/audit?"+tt.query, http.StatusBadRequest)
			if got := doc.Find("#" + tt.field + "-error").Text(); !strings.Contains(got, tt.want) {
				t.Errorf("field %s error %q, want %q", tt.field, got, tt.want)
			}
		})
	}
	pages := []struct{ name, query, want string }{
		{"a damaged page link", "before=yesterday", "That page link is damaged"},
		{"a page link going both ways", "before=1.1&after=1.1", "cannot go both ways"},
	}
	for _, tt := range pages {
		t.Run(tt.name, func(t *testing.T) {
			doc := e.Page(c, "/audit?"+tt.query, http.StatusBadRequest)
			if got := doc.Find(".flash.error").Text(); !strings.Contains(got, tt.want) {
				t.Errorf("flash %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuditRowsShowEveryColumnEscapedWithSecretsOnlyAsMarkers(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	auditor, _ := e.User(domain.RoleAuditor)
	actor := "<script>alert('actor')</script>" + apptest.Uniq("")
	ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) <b>bold</b>"
	written := e.appendAudit(
		domain.AuditEntry{Actor: actor, SourceAddr: "192.0.2.7", UserAgent: ua, Action: domain.AuditGatewayUpdate,
			TargetType: domain.TargetGateway, TargetID: strconv.FormatInt(e.Gw.ID, 10), TargetName: `<img src=x onerror=alert(1)>`,
			Diff: map[string]domain.FieldChange{
				"name":     {Before: "old <i>name</i>", After: "new"},
				"password": {After: "[secret changed]"},
				// Should a caller ever put a value under a secret's name, the
				// page still shows only a marker.
				"serviceToken": {After: "leaked-token-value"},
			}},
		domain.AuditEntry{Actor: actor, Action: domain.AuditSubPolicy, TargetType: domain.TargetSubscription, TargetID: "123456", TargetName: "2025-X",
			Outcome: "failure"},
		domain.AuditEntry{Actor: actor, Action: domain.AuditUserUpdate, TargetType: domain.TargetUser, TargetID: "42", TargetName: "carol"},
	)
	path := "/audit?actor=" + url.QueryEscape(actor)
	res := e.Get(admin, path)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, raw := range []string{"<script>alert", "<img src=x", "<b>bold", "<i>name", "leaked-token-value"} {
		if strings.Contains(string(body), raw) {
			t.Errorf("the page holds %q unescaped or in clear", raw)
		}
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	gwRow := doc.Find(`tr[data-id="` + strconv.FormatInt(written[0].ID, 10) + `"]`)
	checks := []struct{ name, got, want string }{
		{"the actor as text", gwRow.Find(".actor").Text(), actor},
		{"the source address", gwRow.Find(".mono").First().Text(), "192.0.2.7"},
		{"the user agent clipped", gwRow.Find(".ua").Text(), "Mozilla/5.0 (X11; Linux x86_64) AppleWeb…"},
		{"the full user agent as a tooltip", gwRow.Find(".ua").AttrOr("title", ""), ua},
		{"the action in words", gwRow.Find(".action").Text(), "gateway update"},
		{"the target linked for an admin", gwRow.Find(".target a").AttrOr("href", ""), "/gateways/" + strconv.FormatInt(e.Gw.ID, 10)},
		{"the target's name as text", gwRow.Find(".target").Text(), "gateway <img src=x onerror=alert(1)>"},
		{"the diff before and after", gwRow.Find(`ul.diff li:contains("name") del`).Text(), "old <i>name</i>"},
		{"the password marker", gwRow.Find(`ul.diff li:contains("password") ins`).Text(), "[secret changed]"},
		{"a secret's value hidden", gwRow.Find(`ul.diff li:contains("serviceToken") ins`).Text(), "[secret]"},
		{"the outcome", gwRow.Find(".badge").Text(), "success"},
	}
	subRow := doc.Find(`tr[data-id="` + strconv.FormatInt(written[1].ID, 10) + `"]`)
	checks = append(checks,
		struct{ name, got, want string }{"a subscription target linked", subRow.Find(".target a").AttrOr("href", ""), "/subscriptions/123456"},
		struct{ name, got, want string }{"a failure shown", subRow.Find(".badge").Text(), "failure"},
		struct{ name, got, want string }{"a user target linked for an admin", doc.Find(`tr[data-id="`+strconv.FormatInt(written[2].ID, 10)+`"] .target a`).AttrOr("href", ""), "/users/42"})
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if strings.TrimSpace(ch.got) != ch.want {
				t.Errorf("got %q, want %q", ch.got, ch.want)
			}
		})
	}
	t.Run("an auditor sees gateways and users as text: their pages are for admins", func(t *testing.T) {
		doc := e.Page(auditor, path, http.StatusOK)
		row := doc.Find(`tr[data-id="` + strconv.FormatInt(written[0].ID, 10) + `"]`)
		if row.Length() != 1 || row.Find(".target a").Length() != 0 || doc.Find(`.target a[href^="/users/"]`).Length() != 0 {
			t.Errorf("auditor's row: %d rows, %d target links", row.Length(), row.Find(".target a").Length())
		}
	})
}

func TestGatewayAndSubscriptionPagesShowTheirHistory(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	auditor, _ := e.User(domain.RoleAuditor)
	operator, _ := e.User(domain.RoleOperator)
	sub := e.Registered(operator, nil)
	gwID := strconv.FormatInt(e.Gw.ID, 10)
	var gwEntries []domain.AuditEntry
	for range 22 {
		gwEntries = append(gwEntries, domain.AuditEntry{Actor: "history-test", Action: domain.AuditGatewayTest,
			TargetType: domain.TargetGateway, TargetID: gwID})
	}
	written := e.appendAudit(gwEntries...)

	t.Run("the gateway page lists its latest 20 entries and links to the full view", func(t *testing.T) {
		doc := e.Page(admin, "/gateways/"+gwID, http.StatusOK)
		sec := doc.Find("#audit-history")
		ids := rowIDs(doc)
		if len(ids) != 20 || ids[0] != written[21].ID || ids[19] != written[2].ID {
			t.Fatalf("rows %v", ids)
		}
		more := sec.Find(`a[href^="/audit?"]`).AttrOr("href", "")
		u, _ := url.Parse(more)
		if u.Query().Get("target_type") != "gateway" || u.Query().Get("target_id") != gwID {
			t.Errorf("full view link %q", more)
		}
		if got := rowIDs(e.Page(admin, more, http.StatusOK)); len(got) < 22 {
			t.Errorf("the full view lists %d entries, want at least 22", len(got))
		}
	})
	regEntry := "subscription_register"
	t.Run("the subscription page shows its register to an auditor", func(t *testing.T) {
		doc := e.Page(auditor, subURL(sub, ""), http.StatusOK)
		if doc.Find("#audit-history").Length() != 1 || !strings.Contains(doc.Find("#audit-history .action").Text(), strings.ReplaceAll(regEntry, "_", " ")) {
			t.Errorf("history section: %q", doc.Find("#audit-history").Text())
		}
	})
	t.Run("an operator's subscription page has no History section: the trail is not theirs to read", func(t *testing.T) {
		if n := e.Page(operator, subURL(sub, ""), http.StatusOK).Find("#audit-history").Length(); n != 0 {
			t.Errorf("%d history sections", n)
		}
	})
}

func TestTheVerifyPageReportsAnIntactChainAndThenTheFirstAlteredEntry(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	written := e.appendAudit(
		domain.AuditEntry{Actor: "verify-test", Action: domain.AuditGatewayTest, TargetType: domain.TargetGateway, TargetID: "1", TargetName: "before"},
		domain.AuditEntry{Actor: "verify-test", Action: domain.AuditGatewayTest, TargetType: domain.TargetGateway, TargetID: "1"},
	)
	victim := written[0]

	doc := e.Page(c, "/audit/verify", http.StatusOK)
	var n int64
	var head []byte
	if err := e.St.Pool().QueryRow(context.Background(), "SELECT count(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) FROM audit_log").Scan(&n, &head); err != nil {
		t.Fatal(err)
	}
	if doc.Find(`#verify-result[data-intact="true"]`).Length() != 1 || doc.Find("#checked").Text() != strconv.FormatInt(n, 10) ||
		doc.Find("#head-hash").Text() != hex.EncodeToString(head) {
		t.Fatalf("intact chain: %q", doc.Find("#verify-result").Text())
	}

	// Behind the trigger's back, on one connection; the entry is put back at
	// the end so the package's other tests find an intact chain.
	conn, err := e.St.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		exec("UPDATE audit_log SET target_name = 'before' WHERE id = $1", victim.ID)
		exec("SET session_replication_role = DEFAULT")
		conn.Release()
		if _, brk, _ := e.St.VerifyAudit(context.Background()); brk != nil {
			t.Errorf("after putting the entry back the chain breaks at %d", brk.ID)
		}
	})
	exec("SET session_replication_role = replica")
	exec("UPDATE audit_log SET target_name = 'after' WHERE id = $1", victim.ID)

	doc = e.Page(c, "/audit/verify", http.StatusOK)
	if doc.Find(`#verify-result[data-intact="false"]`).Length() != 1 || doc.Find("#break-id").Text() != strconv.FormatInt(victim.ID, 10) ||
		!strings.Contains(doc.Find("#break-reason").Text(), "altered") {
		t.Errorf("after altering entry %d: %q", victim.ID, doc.Find("#verify-result").Text())
	}
	if doc.Find("#head-hash").Length() != 0 {
		t.Error("a broken chain still shows a head hash")
	}
}
