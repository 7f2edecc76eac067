package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// stateChanges counts the history's state-change rows of a subscription.
func (e *testEnv) stateChanges(sub domain.Subscription) int {
	e.T.Helper()
	var n int
	err := e.St.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM calls WHERE subscription_id = $1 AND operation = 'state_change'`, sub.ID).Scan(&n)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// dropOnCancel makes the gateway answer the next cancel as the platform
// does for a subscription it no longer has (expired there): 107-031.
func (e *testEnv) dropOnCancel(c *http.Client, sub domain.Subscription) domain.Call {
	e.T.Helper()
	e.Sim.Inject(gatewayFault("unregister", "107-031"))
	res := e.Post(c, subURL(sub, "cancel"), url.Values{"confirmServerId": {sub.ServerID}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != subURL(sub, "") {
		e.T.Fatalf("cancel answered 107-031: %d to %q, want 303 to the subscription page", res.StatusCode, res.Header.Get("Location"))
	}
	call, err := e.St.LatestCall(context.Background(), sub.ID, domain.OpUnregister)
	if err != nil || call.Retcode != "107-031" {
		e.T.Fatalf("newest unregister %+v: %v", call, err)
	}
	return call
}

func TestASubscriptionTheGatewayDroppedCanBeClosedInCcsubOnly(t *testing.T) {
	e := newEnv(t)
	op, opName := e.User(domain.RoleOperator)
	auditor, _ := e.User(domain.RoleAuditor)
	sub := e.Registered(op, nil)
	confirm := url.Values{"confirmServerId": {sub.ServerID}}

	// Before any 107-031 there is nothing to close in ccsub only.
	if doc := e.Page(op, subURL(sub, ""), http.StatusOK); doc.Find("#dropped, form[action$='/close']").Length() != 0 {
		t.Error("a subscription the gateway still has is offered closing in ccsub only")
	}
	refused := e.Doc(e.Post(op, subURL(sub, "close"), confirm), http.StatusConflict)
	if !strings.Contains(refused.Text(), "107-031") {
		t.Errorf("the refusal does not say why: %q", refused.Find("main").Text())
	}

	dropped := e.dropOnCancel(op, sub)
	page := e.Page(op, subURL(sub, ""), http.StatusOK)
	if flash := page.Find(".flash.error").Text(); !strings.Contains(flash, "no longer has") || !strings.Contains(flash, "close it in ccsub only") {
		t.Errorf("the flash after the 107-031 does not explain it: %q", flash)
	}
	form := page.Find("#dropped form[action='" + subURL(sub, "close") + "']")
	if form.Length() != 1 || form.Find("input[name=confirmServerId]").AttrOr("value", "") != sub.ServerID ||
		!strings.Contains(form.Find("button").Text(), sub.ServerID) || !strings.Contains(form.AttrOr("data-confirm", ""), sub.ServerID) {
		t.Fatalf("no close form naming %s: %q", sub.ServerID, page.Find("#dropped").Text())
	}
	if !strings.Contains(page.Find("#dropped").Text(), fmt.Sprintf("#%d", dropped.ID)) {
		t.Errorf("the explanation does not name unregister call #%d", dropped.ID)
	}

	// An auditor reads the explanation but gets no form and may not close.
	if doc := e.Page(auditor, subURL(sub, ""), http.StatusOK); doc.Find("#dropped").Length() != 1 || doc.Find("#dropped form").Length() != 0 {
		t.Error("an auditor should see the explanation without the form")
	}
	if res := e.Post(auditor, subURL(sub, "close"), confirm); res.StatusCode != http.StatusForbidden {
		t.Errorf("an auditor closing: %d, want 403", res.StatusCode)
	}
	if res := e.Post(op, subURL(sub, "close"), url.Values{"confirmServerId": {"someone-else"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a confirmation naming another serverId: %d, want 400", res.StatusCode)
	}
	if n := len(e.AuditEntries(domain.AuditSubClose, sub.ServerID)); n != 0 {
		t.Fatalf("%d close entries before closing", n)
	}

	requests, changes := len(e.Sim.Requests()), e.stateChanges(sub)
	res := e.Post(op, subURL(sub, "close"), confirm)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != subURL(sub, "") {
		t.Fatalf("close: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := len(e.Sim.Requests()); n != requests {
		t.Errorf("closing in ccsub only sent %d gateway requests", n-requests)
	}
	after, _ := e.St.Subscription(context.Background(), sub.ID)
	for _, want := range []string{"closed in ccsub only", opName, "107-031", fmt.Sprintf("unregister call #%d", dropped.ID)} {
		if !strings.Contains(after.StateReason, want) {
			t.Errorf("reason %q does not say %q", after.StateReason, want)
		}
	}
	if after.State != domain.SubCancelled || after.NextDueAt != nil {
		t.Errorf("after close: state %s, next due %v", after.State, after.NextDueAt)
	}
	if n := e.stateChanges(sub) - changes; n != 1 {
		t.Errorf("%d new state-change rows, want 1", n)
	}
	entries := e.AuditEntries(domain.AuditSubClose, sub.ServerID)
	if len(entries) != 1 {
		t.Fatalf("%d close entries, want exactly 1", len(entries))
	}
	a := entries[0]
	if a.Actor != opName || a.TargetID != fmt.Sprint(sub.ID) || a.Outcome != "success" ||
		a.Diff["state"].Before != "active" || a.Diff["state"].After != "cancelled" ||
		a.Diff["unregister.callId"].After != float64(dropped.ID) || a.Diff["unregister.retcode"].After != "107-031" {
		t.Errorf("entry %+v", a)
	}
	doc := e.Page(op, subURL(sub, ""), http.StatusOK)
	if !strings.Contains(doc.Find(".flash.ok").Text(), "Nothing was sent to the gateway") || doc.Find("#dropped").Length() != 0 {
		t.Error("after closing: no confirmation, or the close form is still offered")
	}
	hist := e.Page(op, "/history?serverId="+url.QueryEscape(sub.ServerID)+"&operation=state_change", http.StatusOK)
	if !strings.Contains(hist.Find("#history").Text(), "closed in ccsub only") {
		t.Error("the state change is not in the history")
	}

	// Closing again is refused and records nothing more.
	e.Doc(e.Post(op, subURL(sub, "close"), confirm), http.StatusConflict)
	if n := len(e.AuditEntries(domain.AuditSubClose, sub.ServerID)); n != 1 || e.stateChanges(sub)-changes != 1 {
		t.Errorf("a second close wrote %d entries", n)
	}
}

func TestANewerCancelWithAnotherAnswerWithdrawsTheCloseOffer(t *testing.T) {
	e := newEnv(t)
	op, _ := e.User(domain.RoleOperator)
	sub := e.Registered(op, nil)
	e.dropOnCancel(op, sub)
	// The next cancel gets no 107-031: the gateway may have the
	// subscription after all, so closing in ccsub only is refused.
	e.Sim.Inject(gatewayFault("unregister", "107-001"))
	e.Post(op, subURL(sub, "cancel"), url.Values{"confirmServerId": {sub.ServerID}})
	if doc := e.Page(op, subURL(sub, ""), http.StatusOK); doc.Find("#dropped").Length() != 0 {
		t.Error("the close form is still offered after a cancel answered 107-001")
	}
	e.Doc(e.Post(op, subURL(sub, "close"), url.Values{"confirmServerId": {sub.ServerID}}), http.StatusConflict)
	if after, _ := e.St.Subscription(context.Background(), sub.ID); after.State == domain.SubCancelled {
		t.Error("closed although the newest cancel was not answered 107-031")
	}
}
