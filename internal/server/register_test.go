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
)

func TestRegisterFromTheFormReachesTheGatewayAndTheHistory(t *testing.T) {
	e := newEnv(t)
	c, name := e.User(domain.RoleOperator)
	f := e.RegisterForm()
	token := f.Get("serviceToken")

	id := apptest.CallIDFrom(t, e.Post(c, "/subscriptions", f))

	regs := e.Sim.RequestsFor("register")
	if len(regs) != 1 {
		t.Fatalf("simulator saw %d registers, want 1", len(regs))
	}
	r := regs[0]
	if r.Method != http.MethodPost || r.Path != "/agentgateway/resource/config/subscribe/register" {
		t.Errorf("request line %s %s", r.Method, r.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if g := r.Header.Get("Guid"); !strings.Contains(g, ".AgentGateway") {
		t.Errorf("Guid header %q, want one issued by the simulator's login", g)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"subscribeType": "1", "serviceToken": token, "serviceCallBackUri": "https://crm.example.com/cc", "nlpFlag": true, "flowAccessCode": "8001"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body[%s] = %#v (%T), want %#v (%T)", k, body[k], body[k], v, v)
		}
	}
	if len(body) != len(want) {
		t.Errorf("body has %d fields, want %d: %s", len(body), len(want), r.Body)
	}

	call, err := e.St.Call(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	subs := e.Sim.Subscriptions()
	if call.Outcome != domain.OutcomeSuccess || call.ServerID == "" || call.ServerID != subs[0].ServerID {
		t.Fatalf("call outcome %s serverId %q; simulator has %q", call.Outcome, call.ServerID, subs[0].ServerID)
	}
	if call.Actor != name || call.Retcode != "0" || call.HTTPStatus != 200 || !call.TokenPresent || call.Duration <= 0 {
		t.Errorf("call recorded as %+v", call)
	}
	if strings.Contains(call.RequestBody, token) || strings.Contains(string(call.TokenSealed), token) || strings.Contains(call.ResponseBody, r.Header.Get("Guid")) {
		t.Error("the token or Guid is stored in clear")
	}

	page := e.Page(c, "/calls/"+strconv.FormatInt(id, 10), http.StatusOK)
	if got := strings.TrimSpace(page.Find("#call-server-id").Text()); got != call.ServerID {
		t.Errorf("call page shows serverId %q, want %q", got, call.ServerID)
	}
	if strings.Contains(page.Text(), token) {
		t.Error("the call page shows the token")
	}
	hist := e.Page(c, "/history?serverId="+url.QueryEscape(call.ServerID), http.StatusOK)
	if n := hist.Find("#history tbody tr").Length(); n != 1 {
		t.Fatalf("history filtered by serverId has %d rows, want 1", n)
	}
	row := hist.Find("#history tbody tr").First().Text()
	for _, s := range []string{call.ServerID, name, e.Gw.Name, "register", "success", "https://crm.example.com/cc"} {
		if !strings.Contains(row, s) {
			t.Errorf("history row lacks %q: %s", s, row)
		}
	}
	subsPage := e.Page(c, "/subscriptions", http.StatusOK)
	if !strings.Contains(subsPage.Text(), call.ServerID) {
		t.Error("the subscriptions page does not list the new serverId")
	}
}

func TestRegisterRejectedByTheGatewayIsRecordedWithItsMeaning(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	e.Sim.Inject(gatewayFault("register", "107-027"))
	id := apptest.CallIDFrom(t, e.Post(c, "/subscriptions", e.RegisterForm()))
	page := e.Page(c, "/calls/"+strconv.FormatInt(id, 10), http.StatusOK)
	text := page.Text()
	for _, s := range []string{"rejected", "107-027", "subscription registration failed", "IF_SUB_CONFIGURE"} {
		if !strings.Contains(text, s) {
			t.Errorf("the call page lacks %q", s)
		}
	}
}

func TestResubmittingTheSameFormSendsNothingTwice(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	f := e.RegisterForm()
	first := apptest.CallIDFrom(t, e.Post(c, "/subscriptions", f))
	second := apptest.CallIDFrom(t, e.Post(c, "/subscriptions", f))
	if first != second {
		t.Errorf("second submit went to call %d, want the first call %d", second, first)
	}
	if n := len(e.Sim.RequestsFor("register")); n != 1 {
		t.Errorf("simulator saw %d registers, want 1", n)
	}
}
