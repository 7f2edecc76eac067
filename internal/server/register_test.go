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
)

func TestRegisterFromTheFormReachesTheGatewayAndTheHistory(t *testing.T) {
	e := newEnv(t)
	c, name := e.User(domain.RoleOperator)
	f := e.RegisterForm()
	token := f.Get("serviceToken")

	id := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", f))

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
	id := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", e.RegisterForm()))
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
	first := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", f))
	second := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", f))
	if first != second {
		t.Errorf("second submit went to call %d, want the first call %d", second, first)
	}
	if n := len(e.Sim.RequestsFor("register")); n != 1 {
		t.Errorf("simulator saw %d registers, want 1", n)
	}
}

// A register the gateway granted lands on the new subscription, with a
// flash naming its serverId; the subscription links to the call that
// created it, and the call back to the subscription.
func TestARegisterLandsOnTheSubscriptionItCreated(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	subID := apptest.SubscriptionIDFrom(t, e.Post(c, "/subscriptions", e.RegisterForm()))
	sub, err := e.St.Subscription(t.Context(), subID)
	if err != nil {
		t.Fatal(err)
	}
	subPath, callPath := "/subscriptions/"+strconv.FormatInt(subID, 10), "/calls/"+strconv.FormatInt(sub.RegisterCallID, 10)
	page := e.Page(c, subPath, http.StatusOK)
	t.Run("the subscription page says it was registered, naming the serverId", func(t *testing.T) {
		flash := page.Find(".flash.ok").Text()
		if sub.ServerID == "" || !strings.Contains(flash, "Registered") || !strings.Contains(flash, sub.ServerID) {
			t.Errorf("flash %q, want it to name serverId %q", flash, sub.ServerID)
		}
	})
	t.Run("the subscription page links to its register call", func(t *testing.T) {
		if href, _ := page.Find("#sub-register-call").Attr("href"); href != callPath {
			t.Errorf("register call link %q, want %q", href, callPath)
		}
	})
	t.Run("the register call links back to the subscription and offers no retry", func(t *testing.T) {
		call := e.Page(c, callPath, http.StatusOK)
		link := call.Find("#call-subscription")
		if href, _ := link.Attr("href"); href != subPath || strings.TrimSpace(link.Text()) != sub.ServerID {
			t.Errorf("subscription link %q %q, want %q %q", href, link.Text(), subPath, sub.ServerID)
		}
		if call.Find("#call-try-again").Length() != 0 {
			t.Error("a successful register offers to try again")
		}
	})
	t.Run("the same form sent again still shows the first call, which links to the subscription", func(t *testing.T) {
		f := e.RegisterForm()
		first := apptest.SubscriptionIDFrom(t, e.Post(c, "/subscriptions", f))
		res := e.Post(c, "/subscriptions", f)
		id := apptest.CallIDFrom(t, res)
		href, _ := e.Page(c, res.Header.Get("Location"), http.StatusOK).Find("#call-subscription").Attr("href")
		if want := "/subscriptions/" + strconv.FormatInt(first, 10); href != want {
			t.Errorf("call %d links to %q, want %q", id, href, want)
		}
	})
}

// A register the gateway refused stays on its call's page, which offers
// to try again with the form filled from the call (never the token).
func TestARefusedRegisterOffersToTryAgain(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	e.Sim.Inject(gatewayFault("register", "107-027"))
	f := e.RegisterForm()
	f.Set("serviceCallBackUri", "https://crm.example.com/retry")
	res := e.Post(c, "/subscriptions", f)
	id := apptest.CallIDFrom(t, res)
	callPath := res.Header.Get("Location")
	call := e.Page(c, callPath, http.StatusOK)
	retry, _ := call.Find("#call-try-again").Attr("href")
	if want := "/subscriptions/new?retry=" + strconv.FormatInt(id, 10); retry != want {
		t.Fatalf("try again link %q, want %q", retry, want)
	}
	if call.Find("#call-subscription").Length() != 0 {
		t.Error("a refused register links to a subscription")
	}
	t.Run("the form comes back filled from the call, without the token", func(t *testing.T) {
		form := e.Page(c, retry, http.StatusOK)
		if got, _ := form.Find("#gateway option[selected]").Attr("value"); got != strconv.FormatInt(e.Gw.ID, 10) {
			t.Errorf("gateway %q selected", got)
		}
		if got, _ := form.Find("#serviceCallBackUri").Attr("value"); got != "https://crm.example.com/retry" {
			t.Errorf("callback %q", got)
		}
		if _, on := form.Find("#nlpFlag").Attr("checked"); !on {
			t.Error("semantic analysis not kept")
		}
		if got, _ := form.Find("#flowAccessCode").Attr("value"); got != "8001" {
			t.Errorf("flow access code %q", got)
		}
		if got, _ := form.Find("#serviceToken").Attr("value"); got != "" || strings.Contains(form.Text(), f.Get("serviceToken")) {
			t.Error("the token came back to the browser")
		}
		if href, _ := form.Find("#retry-of a").Attr("href"); href != callPath {
			t.Errorf("the form does not say which call filled it (%q)", href)
		}
		key, _ := form.Find(`input[name="idempotencyKey"]`).Attr("value")
		if key == "" || key == f.Get("idempotencyKey") {
			t.Errorf("the retry form has key %q, want a new one", key)
		}
	})
	t.Run("an auditor sees the call but no offer to register", func(t *testing.T) {
		aud, _ := e.User(domain.RoleAuditor)
		if e.Page(aud, callPath, http.StatusOK).Find("#call-try-again").Length() != 0 {
			t.Error("an auditor is offered to try again")
		}
	})
	t.Run("a retry of what is not a register call is refused clearly", func(t *testing.T) {
		e.Post(c, "/gateways/"+strconv.FormatInt(e.Gw.ID, 10)+"/test", nil)
		var loginID int64
		if err := e.St.Pool().QueryRow(t.Context(), "SELECT max(id) FROM calls WHERE operation = 'login'").Scan(&loginID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			query  string
			status int
			want   string
		}{
			{"abc", http.StatusBadRequest, "number of a register call"},
			{"999999999", http.StatusNotFound, "no call #999999999"},
			{strconv.FormatInt(loginID, 10), http.StatusBadRequest, "not a register"},
		} {
			page := e.Page(c, "/subscriptions/new?retry="+tc.query, tc.status)
			if !strings.Contains(page.Text(), tc.want) {
				t.Errorf("retry=%s: the page does not say %q", tc.query, tc.want)
			}
		}
	})
}

// A register whose outcome is unknown stays on its call, which links to
// the unknown subscription to settle and does not offer to send it again.
func TestAnUnknownRegisterLinksToTheSubscriptionToSettle(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	e.Sim.Inject(gatewaysim.Fault{Op: "register", Retcode: "107-029", Processed: true})
	res := e.Post(c, "/subscriptions", e.RegisterForm())
	id := apptest.CallIDFrom(t, res)
	call, err := e.St.Call(t.Context(), id)
	if err != nil || call.SubscriptionID == nil {
		t.Fatalf("call %d: %v, subscription %v; want an unknown subscription", id, err, call.SubscriptionID)
	}
	page := e.Page(c, res.Header.Get("Location"), http.StatusOK)
	if href, _ := page.Find("#call-subscription").Attr("href"); href != "/subscriptions/"+strconv.FormatInt(*call.SubscriptionID, 10) {
		t.Errorf("subscription link %q", href)
	}
	if page.Find("#call-try-again").Length() != 0 {
		t.Error("a register that may have taken effect offers to try again")
	}
}
