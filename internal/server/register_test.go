package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// registerForm returns a valid form for the env's gateway; tests change
// one field at a time.
func (e *testEnv) registerForm() url.Values {
	return url.Values{
		"gateway":            {strconv.FormatInt(e.gw.ID, 10)},
		"subscribeType":      {"1"},
		"serviceToken":       {"tok-" + uniq("secret")},
		"serviceCallBackUri": {"https://crm.example.com/cc"},
		"nlpFlag":            {"true"},
		"flowAccessCode":     {"8001"},
		"idempotencyKey":     {uniq("key")},
	}
}

func callIDFrom(t *testing.T, res *http.Response) int64 {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/calls/"), 10, 64)
	if err != nil || !strings.HasPrefix(loc, "/calls/") {
		t.Fatalf("redirect to %q, want /calls/{id}", loc)
	}
	return id
}

func TestRegisterFromTheFormReachesTheGatewayAndTheHistory(t *testing.T) {
	e := newEnv(t)
	c, name := e.user(domain.RoleOperator)
	f := e.registerForm()
	token := f.Get("serviceToken")

	id := callIDFrom(t, e.post(c, "/subscriptions", f))

	regs := e.sim.RequestsFor("register")
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

	call, err := e.st.Call(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	subs := e.sim.Subscriptions()
	if call.Outcome != domain.OutcomeSuccess || call.ServerID == "" || call.ServerID != subs[0].ServerID {
		t.Fatalf("call outcome %s serverId %q; simulator has %q", call.Outcome, call.ServerID, subs[0].ServerID)
	}
	if call.Actor != name || call.Retcode != "0" || call.HTTPStatus != 200 || !call.TokenPresent || call.Duration <= 0 {
		t.Errorf("call recorded as %+v", call)
	}
	if strings.Contains(call.RequestBody, token) || strings.Contains(string(call.TokenSealed), token) || strings.Contains(call.ResponseBody, r.Header.Get("Guid")) {
		t.Error("the token or Guid is stored in clear")
	}

	page := e.page(c, "/calls/"+strconv.FormatInt(id, 10), http.StatusOK)
	if got := strings.TrimSpace(page.Find("#call-server-id").Text()); got != call.ServerID {
		t.Errorf("call page shows serverId %q, want %q", got, call.ServerID)
	}
	if strings.Contains(page.Text(), token) {
		t.Error("the call page shows the token")
	}
	hist := e.page(c, "/history?serverId="+url.QueryEscape(call.ServerID), http.StatusOK)
	if n := hist.Find("#history tbody tr").Length(); n != 1 {
		t.Fatalf("history filtered by serverId has %d rows, want 1", n)
	}
	row := hist.Find("#history tbody tr").First().Text()
	for _, s := range []string{call.ServerID, name, e.gw.Name, "register", "success", "https://crm.example.com/cc"} {
		if !strings.Contains(row, s) {
			t.Errorf("history row lacks %q: %s", s, row)
		}
	}
	subsPage := e.page(c, "/subscriptions", http.StatusOK)
	if !strings.Contains(subsPage.Text(), call.ServerID) {
		t.Error("the subscriptions page does not list the new serverId")
	}
}

func TestRegisterRejectedByTheGatewayIsRecordedWithItsMeaning(t *testing.T) {
	e := newEnv(t)
	c, _ := e.user(domain.RoleOperator)
	e.sim.Inject(gatewayFault("register", "107-027"))
	id := callIDFrom(t, e.post(c, "/subscriptions", e.registerForm()))
	page := e.page(c, "/calls/"+strconv.FormatInt(id, 10), http.StatusOK)
	text := page.Text()
	for _, s := range []string{"rejected", "107-027", "subscription registration failed", "IF_SUB_CONFIGURE"} {
		if !strings.Contains(text, s) {
			t.Errorf("the call page lacks %q", s)
		}
	}
}

func TestResubmittingTheSameFormSendsNothingTwice(t *testing.T) {
	e := newEnv(t)
	c, _ := e.user(domain.RoleOperator)
	f := e.registerForm()
	first := callIDFrom(t, e.post(c, "/subscriptions", f))
	second := callIDFrom(t, e.post(c, "/subscriptions", f))
	if first != second {
		t.Errorf("second submit went to call %d, want the first call %d", second, first)
	}
	if n := len(e.sim.RequestsFor("register")); n != 1 {
		t.Errorf("simulator saw %d registers, want 1", n)
	}
}
