package history

import (
	"context"
	"html"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/web/view"
)

var english = context.Background()

func renderCall(t *testing.T, c domain.Call, hint string) string {
	t.Helper()
	var b strings.Builder
	if err := Call(CallProps{Call: c, Hint: hint}).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return html.UnescapeString(b.String())
}

// TestCallPageShowsTheRetcodeTable: the call page shows a retcode's
// meaning, what ccsub does and what to check, all from domain's one table.
func TestCallPageShowsTheRetcodeTable(t *testing.T) {
	for _, r := range domain.Retcodes() {
		if r.Code == "0" {
			continue
		}
		t.Run(r.Code, func(t *testing.T) {
			check := view.RetcodeCheck(english, r.Code)
			page := renderCall(t, domain.Call{ID: 7, Operation: domain.OpRegister, Outcome: domain.OutcomeRejected, Retcode: r.Code}, check)
			for _, want := range []string{view.Meaning(english, r.Code), `id="call-retcode-action">` + view.RetcodeAction(english, r.Code),
				`href="/retcodes/` + r.Code + `?call=7"`} {
				if !strings.Contains(page, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			if hasCheck := strings.Contains(page, `id="call-retcode-check"`); hasCheck != (check != "") || !strings.Contains(page, check) {
				t.Errorf("check shown=%v, want it shown exactly when the table has one (%q)", hasCheck, check)
			}
		})
	}
}

func TestCallPageSaysNothingMoreForASuccess(t *testing.T) {
	page := renderCall(t, domain.Call{ID: 1, Operation: domain.OpHandshake, Outcome: domain.OutcomeSuccess, Retcode: "0"}, view.RetcodeCheck(english, "0"))
	if strings.Contains(page, "call-retcode-action") || strings.Contains(page, "call-retcode-check") {
		t.Error("a successful call shows what ccsub does or what to check")
	}
	// A register answered "0" without a serverId is unknown: say why.
	page = renderCall(t, domain.Call{ID: 2, Operation: domain.OpRegister, Outcome: domain.OutcomeUnknown, Retcode: "0"}, "")
	if !strings.Contains(page, view.RetcodeAction(english, "0")) {
		t.Error("an unknown call answered 0 does not say what ccsub does with it")
	}
}

func TestCallPageExplainsACodeOutsideTheContract(t *testing.T) {
	page := renderCall(t, domain.Call{ID: 3, Operation: domain.OpModify, Outcome: domain.OutcomeRejected, Retcode: "107-999"}, "")
	if !strings.Contains(page, "not in the contract") || !strings.Contains(page, "Recorded as rejected") {
		t.Error("a code outside the contract is not explained")
	}
}
