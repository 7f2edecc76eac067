package gateway

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

func serverCAPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestLoginCachesTheGuid(t *testing.T) {
	t.Run("a second register makes no new login and reuses the Guid", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		first := c.Register(context.Background(), tg, validRegister())
		second := c.Register(context.Background(), tg, validRegister())
		wantOutcome(t, first, domain.OutcomeSuccess)
		wantOutcome(t, second, domain.OutcomeSuccess)
		wantOps(t, sim, "login", "register", "register")
		if first.Attempts != 2 || second.Attempts != 1 {
			t.Errorf("attempts %d then %d, want 2 (login+register) then 1", first.Attempts, second.Attempts)
		}
		regs := sim.RequestsFor("register")
		g1, g2 := regs[0].Header.Get("Guid"), regs[1].Header.Get("Guid")
		if g1 == "" || g1 != g2 || !strings.HasSuffix(g1, ".AgentGateway1") {
			t.Errorf("Guid headers %q and %q, want the same issued Guid", g1, g2)
		}
	})
	t.Run("Login always logs in afresh and its Guid is then used", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		for range 2 {
			if res := c.Login(context.Background(), tg); res.Outcome != domain.OutcomeSuccess || res.Attempts != 1 {
				t.Fatalf("login: %+v", res)
			}
		}
		c.Unregister(context.Background(), tg, "no-such-id")
		wantOps(t, sim, "login", "login", "unregister")
	})
	t.Run("Forget drops the Guid so the next call logs in", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		mustRegister(t, c, tg, validRegister())
		c.Forget(tg.GatewayID)
		mustRegister(t, c, tg, validRegister())
		wantOps(t, sim, "login", "register", "login", "register")
	})
	t.Run("a changed address or account drops the Guid without Forget", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		mustRegister(t, c, tg, validRegister())
		tg.BaseURL += "/"
		mustRegister(t, c, tg, validRegister())
		wantOps(t, sim, "login", "register", "login", "register")
	})
}

// decode returns the JSON body of a logged request as a generic map.
func decode(t *testing.T, r gatewaysim.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

func TestRegisterSendsTheContractShape(t *testing.T) {
	tests := []struct {
		name         string
		req          RegisterRequest
		wantToken    bool
		wantFlowCode bool
		wantNLPFlag  bool
	}{
		{"optional fields are omitted when empty", validRegister(), false, false, false},
		{"token and flow access code are sent when given", RegisterRequest{SubscribeType: "1", ServiceToken: testToken,
			ServiceCallBackURI: "https://ccsub.example/cb", NLPFlag: true, FlowAccessCode: "1234"}, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			c, _ := newClient(Config{})
			wantOutcome(t, c.Register(context.Background(), simTarget(sim), tt.req), domain.OutcomeSuccess)
			login, reg := sim.RequestsFor("login")[0], sim.RequestsFor("register")[0]
			checkHeaders(t, login, "POST", "/agentgateway/resource/config/login", false)
			checkHeaders(t, reg, "POST", "/agentgateway/resource/config/subscribe/register", true)
			if _, ok := decode(t, login)["agentId"].(float64); !ok {
				t.Errorf("login agentId is %T, want a JSON number", decode(t, login)["agentId"])
			}
			body := decode(t, reg)
			if v, ok := body["subscribeType"].(string); !ok || v != "1" {
				t.Errorf("subscribeType = %#v, want the string \"1\"", body["subscribeType"])
			}
			if v, ok := body["nlpFlag"].(bool); !ok || v != tt.wantNLPFlag {
				t.Errorf("nlpFlag = %#v, want the JSON boolean %v", body["nlpFlag"], tt.wantNLPFlag)
			}
			if v, ok := body["serviceCallBackUri"].(string); !ok || v != tt.req.ServiceCallBackURI {
				t.Errorf("serviceCallBackUri = %#v, want %q", body["serviceCallBackUri"], tt.req.ServiceCallBackURI)
			}
			if _, ok := body["serviceToken"]; ok != tt.wantToken {
				t.Errorf("serviceToken present = %v, want %v", ok, tt.wantToken)
			}
			if _, ok := body["flowAccessCode"]; ok != tt.wantFlowCode {
				t.Errorf("flowAccessCode present = %v, want %v", ok, tt.wantFlowCode)
			}
			if sent, _ := RegisterBody(tt.req); string(sent) != string(reg.Body) {
				t.Errorf("simulator received %s, RegisterBody says %s", reg.Body, sent)
			}
		})
	}
}

func checkHeaders(t *testing.T, r gatewaysim.Request, method, path string, wantGuid bool) {
	t.Helper()
	if r.Method != method || r.Path != path {
		t.Errorf("%s %s, want %s %s", r.Method, r.Path, method, path)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json; charset=UTF-8" {
		t.Errorf("%s Content-Type %q", r.Op, got)
	}
	if got := r.Header.Get("Guid") != ""; got != wantGuid {
		t.Errorf("%s carries a Guid header: %v, want %v", r.Op, got, wantGuid)
	}
}

func TestOtherOperationsOnTheWire(t *testing.T) {
	sim := startSim(t)
	c, _ := newClient(Config{})
	tg := simTarget(sim)
	withToken := validRegister()
	withToken.ServiceToken = testToken
	id := mustRegister(t, c, tg, withToken)
	ctx := context.Background()

	t.Run("modify sends serverId in the query and the new fields in the body", func(t *testing.T) {
		res := c.Modify(ctx, tg, ModifyRequest{ServerID: id, ServiceCallBackURI: "https://other.example/cb", NLPFlag: true, FlowAccessCode: "77"})
		wantOutcome(t, res, domain.OutcomeSuccess)
		r := sim.RequestsFor("modify")[0]
		checkHeaders(t, r, "POST", "/agentgateway/resource/config/subscribe/modify", true)
		if r.RawQuery != "serverId="+id {
			t.Errorf("query %q, want serverId=%s", r.RawQuery, id)
		}
		if b := decode(t, r); b["nlpFlag"] != true || b["flowAccessCode"] != "77" || b["serviceCallBackUri"] != "https://other.example/cb" {
			t.Errorf("modify body %s", r.Body)
		}
	})
	t.Run("a handshake with a token is the extended POST with service_token", func(t *testing.T) {
		wantOutcome(t, c.Handshake(ctx, tg, id, testToken), domain.OutcomeSuccess)
		r := sim.RequestsFor("handshake")[0]
		checkHeaders(t, r, "POST", "/agentgateway/resource/config/subscribe/handshake/"+id, true)
		if got := r.Header.Get("service_token"); got != testToken {
			t.Errorf("service_token header %q, want the registered token", got)
		}
	})
	t.Run("a handshake without a token is a plain GET without service_token", func(t *testing.T) {
		wantOutcome(t, c.Handshake(ctx, tg, id, ""), domain.OutcomeSuccess)
		r := sim.RequestsFor("handshake")[1]
		checkHeaders(t, r, "GET", "/agentgateway/resource/config/subscribe/handshake/"+id, true)
		if _, ok := r.Header["Service_token"]; ok {
			t.Errorf("plain handshake carries service_token")
		}
	})
	t.Run("unregister is a PUT naming the serverId and cancels it", func(t *testing.T) {
		wantOutcome(t, c.Unregister(ctx, tg, id), domain.OutcomeSuccess)
		r := sim.RequestsFor("unregister")[0]
		checkHeaders(t, r, "PUT", "/agentgateway/resource/config/subscribe/unregister", true)
		if b := decode(t, r); b["serverId"] != id {
			t.Errorf("unregister body %s", r.Body)
		}
		if subs := sim.Subscriptions(); subs[0].Active {
			t.Errorf("subscription still active after unregister")
		}
	})
	t.Run("an operation without serverId sends nothing", func(t *testing.T) {
		before := len(sim.Requests())
		for _, res := range []Result{c.Unregister(ctx, tg, " "), c.Handshake(ctx, tg, "", ""), c.Modify(ctx, tg, ModifyRequest{})} {
			wantOutcome(t, res, domain.OutcomeFailed)
		}
		if after := len(sim.Requests()); after != before {
			t.Errorf("%d requests sent", after-before)
		}
	})
}

func TestConcurrentRegistersShareOneLogin(t *testing.T) {
	tests := []struct {
		name       string
		expire     bool // the cached Guid expires before the burst
		wantLogins int
	}{
		{"a burst with no Guid cached makes one login", false, 1},
		{"a burst hitting an expired Guid makes one new login", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			c, _ := newClient(Config{})
			tg := simTarget(sim)
			if tt.expire {
				mustRegister(t, c, tg, validRegister())
				sim.ExpireGuids()
			}
			// The delay widens the window in which callers overlap; the
			// assertion does not depend on it.
			sim.Inject(gatewaysim.Fault{Op: "login", Delay: 100 * time.Millisecond})
			const n = 16
			results := make([]Result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { results[i] = c.Register(context.Background(), tg, validRegister()) })
			}
			wg.Wait()
			for _, res := range results {
				wantOutcome(t, res, domain.OutcomeSuccess)
			}
			if got := len(sim.RequestsFor("login")); got != tt.wantLogins {
				t.Errorf("%d logins, want %d", got, tt.wantLogins)
			}
		})
	}
}
