package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// searchCalls records three finished calls on the console's gateway with
// names of the test's own: two of one serverId's family (id, id+"-2") and
// one without a serverId. It returns the serverId and a word that only
// these calls' messages and addresses hold.
func searchCalls(t *testing.T, e *testEnv) (serverID, word string) {
	t.Helper()
	word = strings.ToLower(strings.ReplaceAll(apptest.Uniq("w"), "-", ""))
	serverID = apptest.Uniq("2026")
	calls := []struct{ serverID, callback, message string }{
		{serverID, "https://" + word + ".example.com/asr", "success"},
		{serverID + "-2", "https://" + word + ".example.com/asr", "handshake failed on " + word},
		{"", "https://other.example.com/" + word, "subscription registration failed: " + word + " is not a subscription server"},
	}
	for _, c := range calls {
		call, err := e.St.BeginCall(t.Context(), domain.NewCall{GatewayID: e.Gw.ID, GatewayName: e.Gw.Name, Actor: "alice",
			Operation: domain.OpRegister, ServerID: c.serverID, CallbackURI: c.callback, SubscribeType: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.St.CompleteCall(t.Context(), call.ID, domain.CallResult{Outcome: domain.OutcomeSuccess,
			Retcode: "0", Message: c.message, ServerID: c.serverID}); err != nil {
			t.Fatal(err)
		}
	}
	return serverID, word
}

func historyRowTexts(doc *goquery.Document) []string {
	var rows []string
	doc.Find("#history tbody tr").Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, strings.Join(strings.Fields(s.Text()), " "))
	})
	return rows
}

func TestHistorySearchesMessagesAddressesAndServerIdPrefixes(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	serverID, word := searchCalls(t, e)
	tests := []struct {
		name  string
		query url.Values
		rows  int
	}{
		{"a word anywhere in the message", url.Values{"message": {strings.ToUpper(word)}}, 2},
		{"a word anywhere in the address", url.Values{"callback": {word}}, 3},
		{"the message and the address together", url.Values{"message": {"handshake"}, "callback": {word}}, 1},
		{"a whole serverId", url.Values{"serverId": {serverID}}, 1},
		{"a serverId's start", url.Values{"serverId": {serverID + "*"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := e.Page(c, "/history?"+tt.query.Encode(), http.StatusOK)
			if rows := historyRowTexts(doc); len(rows) != tt.rows {
				t.Fatalf("%d rows, want %d: %q", len(rows), tt.rows, rows)
			}
			if doc.Find("#text-search-start").Length() != 0 {
				t.Error("the page says text search matches the start only, on a database with pg_trgm")
			}
			if got, _ := doc.Find("#f-message").Attr("value"); got != tt.query.Get("message") {
				t.Errorf("the message field shows %q, want %q", got, tt.query.Get("message"))
			}
			href, _ := doc.Find("#export-csv").Attr("href")
			if u, err := url.Parse(href); err != nil || u.Query().Encode() != tt.query.Encode() {
				t.Errorf("the export link %q does not carry the filters %q", href, tt.query.Encode())
			}
		})
	}

	doc := e.Page(c, "/history?message=ha&callback="+url.QueryEscape(word), http.StatusOK)
	if hint := doc.Find("#short-terms q").Text(); hint != "ha" {
		t.Errorf("the page does not say the short term alone is matched at the start: %q", hint)
	}
	if rows := historyRowTexts(doc); len(rows) != 1 {
		t.Errorf("message starting with ha: %d rows, want 1: %q", len(rows), rows)
	}

	bad := e.Page(c, "/history?serverId=20*26", http.StatusBadRequest)
	if msg := bad.Find("#f-serverId").Parent().Text(); !strings.Contains(msg, "followed by one *") {
		t.Errorf("a * inside a serverId is not refused with its rule: %q", msg)
	}
}

// TestHistoryWithoutPgTrgmSaysSoAndMatchesTheStart: on a database without
// pg_trgm the history says that text search matches the start only, and
// does.
func TestHistoryWithoutPgTrgmSaysSoAndMatchesTheStart(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	if _, err := pool.Exec(t.Context(), "DROP EXTENSION pg_trgm CASCADE"); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{apptest.NewOn(t, pool)}
	c, _ := e.User(domain.RoleAuditor)
	_, word := searchCalls(t, e)

	doc := e.Page(c, "/history", http.StatusOK)
	if note := doc.Find("#text-search-start").Text(); !strings.Contains(note, "CREATE EXTENSION pg_trgm") {
		t.Fatalf("the history does not say that text search matches the start only: %q", note)
	}
	for query, want := range map[string]int{
		"callback=" + word:                   2, // the host's start, after https://
		"callback=https://" + word:           2,
		"callback=other.example.com/" + word: 1,
		"message=HANDSHAKE":                  1,
		"message=" + word:                    0, // the middle of a message
	} {
		if rows := historyRowTexts(e.Page(c, "/history?"+query, http.StatusOK)); len(rows) != want {
			t.Errorf("%s: %d rows, want %d: %q", query, len(rows), want, rows)
		}
	}
}

// TestHistoryFiltersByGateway: the overview links each gateway to its
// calls; an id that is not a gateway's is said so, not an empty page.
func TestHistoryFiltersByGateway(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	_, word := searchCalls(t, e) // three calls on e.Gw
	other := e.AddGateway(apptest.Uniq("other-gw"), e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
	call, err := e.St.BeginCall(t.Context(), domain.NewCall{GatewayID: other.ID, GatewayName: other.Name, Actor: "alice",
		Operation: domain.OpRegister, CallbackURI: "https://" + word + ".example.com/asr", SubscribeType: "1"})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]int{e.Gw.ID: 3, other.ID: 1} {
		q := url.Values{"gateway": {strconv.FormatInt(id, 10)}, "callback": {word}}
		doc := e.Page(c, "/history?"+q.Encode(), http.StatusOK)
		if rows := historyRowTexts(doc); len(rows) != want {
			t.Errorf("gateway %d: %d rows, want %d: %q", id, len(rows), want, rows)
		}
		if got := doc.Find("#f-gateway option[selected]").AttrOr("value", ""); got != strconv.FormatInt(id, 10) {
			t.Errorf("gateway %d: the filter shows %q selected", id, got)
		}
	}
	if doc := e.Page(c, "/history?gateway="+strconv.FormatInt(call.ID+1e6, 10), http.StatusBadRequest); !strings.Contains(doc.Find("#f-gateway").Parent().Text(), "No gateway has this id") {
		t.Error("an unknown gateway id is not explained")
	}
	if doc := e.Page(c, "/history?gateway=x", http.StatusBadRequest); !strings.Contains(doc.Find("#f-gateway").Parent().Text(), "Choose a gateway") {
		t.Error("a gateway that is not a number is not explained")
	}
}
