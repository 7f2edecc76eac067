package export_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// TestHistoryExportsSearchLikeThePage: the export takes the history's text
// search and serverId prefix, and its audit entry names them.
func TestHistoryExportsSearchLikeThePage(t *testing.T) {
	e := newEnv(t)
	auditor, name := e.User(domain.RoleAuditor)
	word := strings.ReplaceAll(apptest.Uniq("w"), "-", "")
	serverID := apptest.Uniq("2026")
	for i, msg := range []string{"handshake failed on " + word, "success"} {
		call, err := e.St.BeginCall(t.Context(), domain.NewCall{GatewayID: e.Gw.ID, GatewayName: e.Gw.Name, Actor: "alice",
			Operation: domain.OpHandshake, ServerID: serverID + "-" + string(rune('a'+i)),
			CallbackURI: "https://" + word + ".example.com/asr"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.St.CompleteCall(t.Context(), call.ID, domain.CallResult{Outcome: domain.OutcomeRejected,
			Retcode: "107-032", Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	for query, want := range map[string]int{
		url.Values{"message": {strings.ToUpper(word)}}.Encode():                 1,
		url.Values{"callback": {word}, "serverId": {serverID + "*"}}.Encode():   2,
		url.Values{"callback": {word}, "serverId": {serverID + "-b"}}.Encode():  1,
		url.Values{"callback": {word}, "message": {"nothing like it"}}.Encode(): 0,
	} {
		res, body := e.export(auditor, "/history/export.csv?"+query)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", query, res.StatusCode)
		}
		if got := strings.Count(body, word+".example.com"); got != want {
			t.Errorf("%s: %d rows, want %d:\n%s", query, got, want, body)
		}
	}
	entries := e.AuditEntries(domain.AuditExport, "history.csv")
	found := false
	for _, en := range entries {
		found = found || en.Actor == name && en.Diff["filter.message"].After == strings.ToUpper(word)
	}
	if !found {
		t.Errorf("no export entry names its message filter: %+v", entries)
	}
}
