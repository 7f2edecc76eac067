package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"

	"github.com/PuerkitoBio/goquery"
)

func subURL(sub domain.Subscription, action string) string {
	u := "/subscriptions/" + strconv.FormatInt(sub.ID, 10)
	if action != "" {
		u += "/" + action
	}
	return u
}

func decodeBody(t *testing.T, r gatewaysim.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s body %q: %v", r.Op, r.Body, err)
	}
	return m
}

func TestModifyReachesTheGatewayExactlyAsTheContractSays(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub := e.Registered(c, nil)
	res := e.Post(c, subURL(sub, "modify"), url.Values{"serviceCallBackUri": {"https://new.example.com/cb"}, "flowAccessCode": {""}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != subURL(sub, "") {
		t.Fatalf("modify: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	mods := e.Sim.RequestsFor("modify")
	if len(mods) != 1 {
		t.Fatalf("%d modify requests, want 1", len(mods))
	}
	r := mods[0]
	if r.Method != http.MethodPost || r.Path != "/agentgateway/resource/config/subscribe/modify" || r.RawQuery != "serverId="+url.QueryEscape(sub.ServerID) {
		t.Errorf("request line %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if r.Header.Get("Content-Type") != "application/json; charset=UTF-8" || r.Header.Get("Guid") == "" {
		t.Errorf("headers %v", r.Header)
	}
	body := decodeBody(t, r)
	if body["serviceCallBackUri"] != "https://new.example.com/cb" || body["nlpFlag"] != false || len(body) != 2 {
		t.Errorf("modify body %s", r.Body)
	}
	after, _ := e.St.Subscription(context.Background(), sub.ID)
	if after.CallbackURI != "https://new.example.com/cb" || after.NLPFlag {
		t.Errorf("subscription after modify: %q nlp=%v", after.CallbackURI, after.NLPFlag)
	}
	simSub, _ := e.Sim.SubscriptionByServerID(sub.ServerID)
	if simSub.CallBackURI != "https://new.example.com/cb" {
		t.Errorf("the simulator still has %q", simSub.CallBackURI)
	}
}

func TestAnInvalidModifySendsNothing(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub := e.Registered(c, nil)
	doc := e.Doc(e.Post(c, subURL(sub, "modify"), url.Values{"serviceCallBackUri": {"http://plain.example.com"}}), http.StatusUnprocessableEntity)
	if doc.Find("#serviceCallBackUri-error").Text() == "" || len(e.Sim.RequestsFor("modify")) != 0 {
		t.Error("an http callback was not refused before sending")
	}
}

func TestCancelNamesTheServerIDAndReachesTheGatewayExactly(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub := e.Registered(c, nil)
	confirm := e.Page(c, subURL(sub, "cancel"), http.StatusOK)
	if !strings.Contains(confirm.Find("h1").Text(), sub.ServerID) || !strings.Contains(confirm.Find("button.danger").Text(), sub.ServerID) {
		t.Errorf("the confirmation does not name %s", sub.ServerID)
	}
	if res := e.Post(c, subURL(sub, "cancel"), url.Values{"confirmServerId": {"someone-else"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a confirmation naming another serverId: %d, want 400", res.StatusCode)
	}
	if n := len(e.Sim.RequestsFor("unregister")); n != 0 {
		t.Fatalf("%d unregisters sent before confirming", n)
	}
	e.Post(c, subURL(sub, "cancel"), url.Values{"confirmServerId": {sub.ServerID}})
	un := e.Sim.RequestsFor("unregister")
	if len(un) != 1 {
		t.Fatalf("%d unregister requests, want 1", len(un))
	}
	r := un[0]
	if r.Method != http.MethodPut || r.Path != "/agentgateway/resource/config/subscribe/unregister" || r.RawQuery != "" {
		t.Errorf("request line %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if r.Header.Get("Content-Type") != "application/json; charset=UTF-8" || r.Header.Get("Guid") == "" {
		t.Errorf("headers %v", r.Header)
	}
	if body := decodeBody(t, r); body["serverId"] != sub.ServerID || len(body) != 1 {
		t.Errorf("unregister body %s", r.Body)
	}
	after, _ := e.St.Subscription(context.Background(), sub.ID)
	if after.State != domain.SubCancelled || after.NextDueAt != nil {
		t.Errorf("after cancel: state %s, next due %v", after.State, after.NextDueAt)
	}
	hist := e.Page(c, "/history?serverId="+url.QueryEscape(sub.ServerID)+"&operation=state_change", http.StatusOK)
	if !strings.Contains(hist.Find("#history").Text(), "cancelled") {
		t.Error("the state change to cancelled is not in the history")
	}
}

func TestReplaceRegistersANewTokenThenCancelsTheOldLinked(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	old := e.Registered(c, nil)
	res := e.Post(c, subURL(old, "replace"), url.Values{"serviceToken": {"brand-new-token-123"}, "idempotencyKey": {apptest.Uniq("k")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("replace: %d", res.StatusCode)
	}
	regs := e.Sim.RequestsFor("register")
	if len(regs) != 2 || decodeBody(t, regs[1])["serviceToken"] != "brand-new-token-123" {
		t.Fatalf("registers: %d", len(regs))
	}
	if n := len(e.Sim.RequestsFor("unregister")); n != 1 {
		t.Fatalf("%d unregisters, want 1", n)
	}
	after, _ := e.St.Subscription(context.Background(), old.ID)
	if after.State != domain.SubCancelled || after.ReplacedByID == nil {
		t.Fatalf("old subscription: %s, replaced by %v", after.State, after.ReplacedByID)
	}
	repl, _ := e.St.Subscription(context.Background(), *after.ReplacedByID)
	if repl.ReplacesID == nil || *repl.ReplacesID != old.ID || repl.State != domain.SubActive {
		t.Errorf("new subscription does not point back: %+v", repl.ReplacesID)
	}
	if res.Header.Get("Location") != subURL(repl, "") {
		t.Errorf("redirect to %q, want the new subscription", res.Header.Get("Location"))
	}
}

func TestTheSubscriptionPageShowsStateCountersAndTheStrip(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	op, _ := e.User(domain.RoleOperator)
	sub := e.Registered(op, func(v url.Values) { v.Set("autoReregister", "true") })
	doc := e.Page(c, subURL(sub, ""), http.StatusOK)
	if strings.TrimSpace(doc.Find("#sub-server-id").Text()) != sub.ServerID || doc.Find(".badge.active").Length() == 0 {
		t.Error("the page does not show the serverId and the active state")
	}
	if n := doc.Find(".strip .cell").Length(); n != 288 {
		t.Errorf("the strip has %d cells, want 288", n)
	}
	if n := doc.Find(".strip .strip-hour").Length(); n != 24 {
		t.Errorf("the strip has %d lines, want one per hour: 24", n)
	}
	doc.Find(".strip .strip-hour").Each(func(i int, l *goquery.Selection) {
		if n := l.Find(".cell").Length(); n != 12 {
			t.Errorf("line %d (%s) has %d cells, want 12", i, l.Find(".strip-label").Text(), n)
		}
	})
	if doc.Find("form[action$='/modify']").Length() != 0 {
		t.Error("an auditor is offered the modify form")
	}
	if res := e.Post(c, subURL(sub, "policy"), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("auditor policy change: %d", res.StatusCode)
	}
	e.Post(op, subURL(sub, "policy"), nil) // no autoReregister field: off
	after, _ := e.St.Subscription(context.Background(), sub.ID)
	if !sub.AutoReregister || after.AutoReregister {
		t.Errorf("policy before %v after %v, want on then off", sub.AutoReregister, after.AutoReregister)
	}
}

func TestRegisteringWithCcsubAsTheReceiverUsesTheReceiverURL(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub := e.Registered(c, func(v url.Values) {
		v.Set("useReceiver", "true")
		v.Set("receiverKey", "abcdefghijklmnopqrstuvwx")
		v.Del("serviceCallBackUri")
	})
	want := e.Srv.URL + "/receiver/abcdefghijklmnopqrstuvwx"
	if sub.CallbackURI != want || sub.ReceiverKey != "abcdefghijklmnopqrstuvwx" {
		t.Errorf("callback %q key %q, want %q", sub.CallbackURI, sub.ReceiverKey, want)
	}
	f := e.RegisterForm()
	f.Set("useReceiver", "true")
	f.Set("receiverKey", apptest.Uniq("recv-key-long-enough"))
	f.Del("serviceToken")
	doc := e.Doc(e.Post(c, "/subscriptions", f), http.StatusUnprocessableEntity)
	if doc.Find("#serviceToken-error").Text() == "" {
		t.Error("ccsub as receiver without a token was not refused")
	}
}
