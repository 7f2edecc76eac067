package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// unknownRegister registers while the simulator creates the subscription
// but drops the connection before answering: ccsub records an unknown
// register and lists a subscription in state unknown.
func (e *testEnv) unknownRegister(c *http.Client) (domain.Subscription, string) {
	e.T.Helper()
	e.Sim.Inject(gatewaysim.Fault{Op: "register", Drop: true, Processed: true})
	sub := e.Registered(c, nil)
	if sub.State != domain.SubUnknown || sub.ServerID != "" {
		e.T.Fatalf("after a dropped register: state %s serverId %q, want unknown and none", sub.State, sub.ServerID)
	}
	onGateway := e.Sim.Subscriptions()
	return sub, onGateway[len(onGateway)-1].ServerID
}

func TestAnUnknownRegisterIsSettledWithTheServerIDFoundOnTheGateway(t *testing.T) {
	e := newEnv(t)
	c, name := e.User(domain.RoleOperator)
	sub, serverID := e.unknownRegister(c)
	page := e.Page(c, subURL(sub, ""), http.StatusOK)
	if page.Find("#resolve form").Length() != 2 {
		t.Fatal("the page of an unknown subscription offers no way to settle it")
	}
	aud, _ := e.User(domain.RoleAuditor)
	if e.Page(aud, subURL(sub, ""), http.StatusOK).Find("#resolve").Length() != 0 {
		t.Error("an auditor is offered the settle forms")
	}

	for _, bad := range []string{"", "two words", strings.Repeat("9", 65)} {
		doc := e.Doc(e.Post(c, subURL(sub, "resolve"), url.Values{"outcome": {"registered"}, "serverId": {bad}}), http.StatusUnprocessableEntity)
		if doc.Find("#resolve-error").Text() == "" {
			t.Errorf("serverId %q: no message", bad)
		}
	}
	res := e.Post(c, subURL(sub, "resolve"), url.Values{"outcome": {"registered"}, "serverId": {serverID}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("settle: %d", res.StatusCode)
	}
	after, _ := e.St.Subscription(context.Background(), sub.ID)
	if after.State != domain.SubActive || after.ServerID != serverID || after.NextDueAt == nil {
		t.Errorf("after settling: state %s serverId %q due %v, want active, %s and kept alive", after.State, after.ServerID, after.NextDueAt, serverID)
	}
	if !strings.Contains(after.StateReason, name) {
		t.Errorf("state reason %q does not name who settled it", after.StateReason)
	}
	audit, err := e.St.ListAudit(context.Background(), domain.AuditFilter{Action: domain.AuditSubResolve, TargetID: idOf(sub)}, domain.PageRequest{})
	if err != nil || len(audit.Entries) != 1 || audit.Entries[0].Actor != name {
		t.Errorf("audit entries for the settlement: %+v (err %v)", audit.Entries, err)
	}
	if res := e.Post(c, subURL(sub, "resolve"), url.Values{"outcome": {"not-registered"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("settling an active subscription: %d, want 400", res.StatusCode)
	}
}

func TestAnUnknownRegisterNotFoundOnTheGatewayIsClosed(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub, _ := e.unknownRegister(c)
	e.Post(c, subURL(sub, "resolve"), url.Values{"outcome": {"not-registered"}})
	after, _ := e.St.Subscription(context.Background(), sub.ID)
	if after.State != domain.SubCancelled || after.NextDueAt != nil {
		t.Errorf("after closing: state %s, due %v", after.State, after.NextDueAt)
	}
	hist := e.Page(c, "/history?operation=state_change&callback="+url.QueryEscape("crm.example.com"), http.StatusOK).Find("#history").Text()
	if !strings.Contains(hist, "unknown → cancelled") {
		t.Error("the settlement is not in the history as a state change")
	}
}

func TestAServerIDAlreadyOnRecordCannotSettleAnotherRegister(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	known := e.Registered(c, nil)
	sub, _ := e.unknownRegister(c)
	doc := e.Doc(e.Post(c, subURL(sub, "resolve"), url.Values{"outcome": {"registered"}, "serverId": {known.ServerID}}), http.StatusUnprocessableEntity)
	if !strings.Contains(doc.Find("#resolve-error").Text(), "already") {
		t.Errorf("message %q", doc.Find("#resolve-error").Text())
	}
}

func idOf(sub domain.Subscription) string { return strconv.FormatInt(sub.ID, 10) }
