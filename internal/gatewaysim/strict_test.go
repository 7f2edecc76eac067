package gatewaysim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLoginAgentIDAndPasswordRules(t *testing.T) {
	long256, long257 := strings.Repeat("p", 256), strings.Repeat("é", 257) // characters, not bytes
	accounts := map[int64]string{1: "pw-one", 999999: "pw-admin", 1000001: "pw-vdn", 1999999: "pw-top",
		0: "pw-zero", -7: "pw-negative", 2000000: "pw-over", 42: long256, 43: long257}
	tests := []struct {
		name, body        string
		strict, lax       string // retcode without and with LaxAgentID
		wantMessageSubstr string // of the strict answer
	}{
		{"work ID 1", loginBody("1", "pw-one"), "0", "0", "success"},
		{"work ID 999999", loginBody("999999", "pw-admin"), "0", "0", "success"},
		{"a VDN account (VDN 1 + 1000000)", loginBody("1000001", "pw-vdn"), "0", "0", "success"},
		{"the largest VDN account 1999999", loginBody("1999999", "pw-top"), "0", "0", "success"},
		{"agentId 0, even with an account, is 107-004", loginBody("0", "pw-zero"), "107-004", "0", "invalid administrator account"},
		{"a negative agentId is 107-004", loginBody("-7", "pw-negative"), "107-004", "0", "invalid administrator account"},
		{"agentId 2000000 is 107-004", loginBody("2000000", "pw-over"), "107-004", "0", "invalid administrator account"},
		{"an agentId in range without an account is 107-004", loginBody("5", "pw-one"), "107-004", "107-004", "invalid administrator account"},
		{"an agentId sent as a string is 107-002", loginBody(`"1"`, "pw-one"), "107-002", "107-002", "agentId must be a JSON number"},
		{"a password of 256 characters is accepted", loginBody("42", long256), "0", "0", "success"},
		{"a password of 257 characters is 107-002", loginBody("43", long257), "107-002", "0", "at most 256 characters"},
		{"a numeric password is 107-002", `{"agentId":1,"password":12345}`, "107-002", "107-002", "password is required"},
		{"an empty password is 107-002", loginBody("1", ""), "107-002", "107-002", "password is required"},
		{"a wrong password is 107-003", loginBody("1", "pw-two"), "107-003", "107-003", "wrong administrator password"},
	}
	strict := start(t, Config{Accounts: accounts})
	lax := start(t, Config{Accounts: accounts, LaxAgentID: true})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := strict.do(t, call{method: "POST", path: LoginPath, body: tc.body})
			expect(t, r, 200, tc.strict)
			if !strings.Contains(r.Env.Message, tc.wantMessageSubstr) {
				t.Errorf("message %q, want it to contain %q", r.Env.Message, tc.wantMessageSubstr)
			}
			expect(t, lax.do(t, call{method: "POST", path: LoginPath, body: tc.body}), 200, tc.lax)
		})
	}
}

func TestIFSubConfigureOffRefusesEveryRegister(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	if err := h.sim.UpdateRules(func(r *Rules) { r.IFSubConfigureOff = true }); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a valid register": validRegister, "an invalid register": `{}`} {
		t.Run(name+" is 107-026", func(t *testing.T) {
			r := h.do(t, call{method: "POST", path: RegisterPath, body: body, guid: guid})
			expect(t, r, 200, "107-026")
			if !strings.Contains(r.Env.Message, "IF_SUB_CONFIGURE") {
				t.Errorf("message %q does not name IF_SUB_CONFIGURE", r.Env.Message)
			}
		})
	}
	t.Run("the other operations still work", func(t *testing.T) {
		expect(t, h.handshake(t, guid, id, "tok-123"), 200, "0")
		expect(t, h.do(t, call{method: "POST", path: ModifyPath + "?serverId=" + id,
			body: `{"serviceCallBackUri":"https://b.test/x","nlpFlag":false}`, guid: guid}), 200, "0")
	})
	t.Run("an expired Guid is still the expired code", func(t *testing.T) {
		h.sim.ExpireGuids()
		expect(t, h.do(t, registerCall(guid)), 200, "107-000")
	})
	if n := len(h.sim.Subscriptions()); n != 1 {
		t.Errorf("%d subscriptions, want only the one from before", n)
	}
	t.Run("switched back on, a register works", func(t *testing.T) {
		if err := h.sim.UpdateRules(func(r *Rules) { r.IFSubConfigureOff = false }); err != nil {
			t.Fatal(err)
		}
		h.register(t, h.login(t), validRegister)
	})
}

func registerTo(uri string) string {
	return `{"subscribeType":"1","serviceToken":"tok-123","serviceCallBackUri":"` + uri + `","nlpFlag":false}`
}

func TestOnlySubscriptionServersCanBeCallbackHosts(t *testing.T) {
	servers := []string{"crm.example.com", "10.1.2.3", "[::1]", " Example.TEST. ", "2001:db8::7"}
	tests := []struct {
		uri, wantRetcode string
	}{
		{"https://crm.example.com/cc", "0"},
		{"https://CRM.Example.com:8443/cc", "0"}, // names compare case-insensitively; the port is not part of it
		{"https://crm.example.com./cc", "0"},
		{"https://10.1.2.3/r", "0"},
		{"https://[::1]:9443/r", "0"},
		{"https://[0:0::1]/r", "0"}, // IPs compare as addresses
		{"https://[2001:db8:0::7]/r", "0"},
		{"https://example.test/x", "0"},
		{"https://other.example.com/cc", "107-027"},
		{"https://crm.example.com.evil.test/cc", "107-027"},
		{"https://10.1.2.4/r", "107-027"},
		{"https://127.0.0.1/r", "107-027"},
		{"https://localhost/r", "107-027"},
	}
	h := start(t, Config{SubscriptionServers: servers})
	guid := h.login(t)
	for _, tc := range tests {
		t.Run(tc.uri+" is "+tc.wantRetcode, func(t *testing.T) {
			before := len(h.sim.Subscriptions())
			r := h.do(t, call{method: "POST", path: RegisterPath, body: registerTo(tc.uri), guid: guid})
			expect(t, r, 200, tc.wantRetcode)
			if tc.wantRetcode == "107-027" && !strings.Contains(r.Env.Message, "is not a subscription server") {
				t.Errorf("message %q", r.Env.Message)
			}
			if created := len(h.sim.Subscriptions()) - before; created != map[bool]int{true: 1}[tc.wantRetcode == "0"] {
				t.Errorf("%d subscriptions created", created)
			}
		})
	}
	t.Run("a modify to a host that is not listed is 107-027 and changes nothing", func(t *testing.T) {
		id := h.register(t, guid, registerTo("https://crm.example.com/cc"))
		r := h.do(t, call{method: "POST", path: ModifyPath + "?serverId=" + id,
			body: `{"serviceCallBackUri":"https://elsewhere.test/cc","nlpFlag":true}`, guid: guid})
		expect(t, r, 200, "107-027")
		if !strings.Contains(r.Env.Message, "elsewhere.test") {
			t.Errorf("message %q does not name the host", r.Env.Message)
		}
		if s := h.subscription(t, id); s.CallBackURI != "https://crm.example.com/cc" || s.NLPFlag {
			t.Errorf("subscription %+v changed", s)
		}
	})
	t.Run("an invalid callback is 107-002 before the list is consulted", func(t *testing.T) {
		expect(t, h.do(t, call{method: "POST", path: RegisterPath, body: registerTo("http://elsewhere.test/cc"), guid: guid}), 200, "107-002")
	})
	t.Run("the list is cleaned and deduplicated", func(t *testing.T) {
		want := []string{"crm.example.com", "10.1.2.3", "::1", "example.test", "2001:db8::7"}
		if got := h.sim.Rules().SubscriptionServers; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("servers %q, want %q", got, want)
		}
	})
}

func TestAnEmptyServerListListsNothingAndAStarListsEverything(t *testing.T) {
	h := start(t, Config{SubscriptionServers: []string{}})
	guid := h.login(t)
	for _, uri := range []string{"https://a.test/x", "https://127.0.0.1/x", "https://localhost/x"} {
		expect(t, h.do(t, call{method: "POST", path: RegisterPath, body: registerTo(uri), guid: guid}), 200, "107-027")
	}
	if err := h.sim.UpdateRules(func(r *Rules) { r.SubscriptionServers = []string{AnyServer} }); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"https://a.test/x", "https://203.0.113.9/x", "https://anything.example/x"} {
		expect(t, h.do(t, call{method: "POST", path: RegisterPath, body: registerTo(uri), guid: guid}), 200, "0")
	}
}

func TestCallbackAddressesAreValidatedAsThePlatformDoes(t *testing.T) {
	pad := func(prefix string, n int, r string) string { return prefix + strings.Repeat(r, n-len([]rune(prefix))) }
	tests := []struct {
		uri                   string
		strict, loopback, lax string // retcodes: strict, with AllowHTTPLoopback, with LaxCallbacks
		problem               string // in the strict message
	}{
		{"https://a.test/cb", "0", "0", "0", ""},
		{"https://a.test", "0", "0", "0", ""},
		{pad("https://a.test/", 200, "é"), "0", "0", "0", ""}, // 200 characters, more bytes
		{pad("https://a.test/", 201, "a"), "107-002", "107-002", "107-002", "at most 200 characters, not 201"},
		{"http://a.test/cb", "107-002", "107-002", "0", "must use https"},
		{"http://127.0.0.1:8080/receiver/k", "107-002", "0", "0", "must use https"},
		{"http://[::1]:8080/receiver/k", "107-002", "0", "0", "must use https"},
		{"http://localhost:8080/r", "107-002", "0", "0", "must use https"},
		{"http://127.0.0.1:8080/r?x=1", "107-002", "107-002", "0", "must use https"},
		{"ftp://a.test/cb", "107-002", "107-002", "107-002", `must use https, not "ftp"`},
		{"https://user:pw@a.test/cb", "107-002", "107-002", "0", "user info"},
		{"https://user@a.test/cb", "107-002", "107-002", "0", "user info"},
		{"https://a.test/cb?tenant=7", "107-002", "107-002", "0", "query string"},
		{"https://a.test/cb?", "107-002", "107-002", "0", "query string"},
		{"https://a.test/cb#top", "107-002", "107-002", "0", "fragment"},
		{"https://a.test/cb#", "107-002", "107-002", "0", "fragment"},
		{"/relative/cb", "107-002", "107-002", "107-002", "absolute URL with a host"},
		{"//a.test/cb", "107-002", "107-002", "107-002", "absolute URL with a host"},
		{"https:///cb", "107-002", "107-002", "107-002", "absolute URL with a host"},
		{"https:a.test", "107-002", "107-002", "107-002", "absolute URL with a host"},
		{"https://a.test:x/cb", "107-002", "107-002", "107-002", "not a valid URL"},
		{"", "107-002", "107-002", "107-002", "is required"},
	}
	servers := []string{AnyServer}
	strict := start(t, Config{SubscriptionServers: servers})
	loopback := start(t, Config{SubscriptionServers: servers, AllowHTTPLoopback: true})
	lax := start(t, Config{SubscriptionServers: servers, LaxCallbacks: true})
	guids := map[*harness]string{strict: strict.login(t), loopback: loopback.login(t), lax: lax.login(t)}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%.60q", tc.uri), func(t *testing.T) {
			for h, want := range map[*harness]string{strict: tc.strict, loopback: tc.loopback, lax: tc.lax} {
				r := h.do(t, call{method: "POST", path: RegisterPath, body: registerTo(tc.uri), guid: guids[h]})
				expect(t, r, 200, want)
			}
			r := strict.do(t, call{method: "POST", path: RegisterPath, body: registerTo(tc.uri), guid: guids[strict]})
			if tc.problem != "" && (!strings.HasPrefix(r.Env.Message, "serviceCallBackUri ") || !strings.Contains(r.Env.Message, tc.problem)) {
				t.Errorf("message %q, want serviceCallBackUri … %q", r.Env.Message, tc.problem)
			}
		})
	}
	t.Run("modify applies the same rules", func(t *testing.T) {
		id := strict.register(t, guids[strict], validRegister)
		r := strict.do(t, call{method: "POST", path: ModifyPath + "?serverId=" + id,
			body: `{"serviceCallBackUri":"https://a.test/cb?x=1","nlpFlag":true}`, guid: guids[strict]})
		expect(t, r, 200, "107-002")
		if !strings.Contains(r.Env.Message, "query string") {
			t.Errorf("message %q", r.Env.Message)
		}
	})
	t.Run("a callback that is not a string is 107-002", func(t *testing.T) {
		expect(t, strict.do(t, call{method: "POST", path: RegisterPath, guid: guids[strict],
			body: `{"subscribeType":"1","serviceCallBackUri":7,"nlpFlag":true}`}), 200, "107-002")
	})
}

func TestEveryHandshakeThatCarriesATokenMustCarryTheRegisteredOne(t *testing.T) {
	tests := []struct {
		name        string
		serverID    string // "tok" or "none": which subscription
		method      string
		header      map[string]string
		repeated    http.Header
		strict, lax string // retcodes without and with LaxHandshakeToken
	}{
		{"a GET without the header", "tok", "GET", nil, nil, "0", "0"},
		{"a GET with the registered token", "tok", "GET", map[string]string{"service_token": "tok-123"}, nil, "0", "0"},
		{"a GET with another token", "tok", "GET", map[string]string{"service_token": "tok-124"}, nil, "107-032", "0"},
		{"a GET with an empty token", "tok", "GET", map[string]string{"service_token": ""}, nil, "107-032", "0"},
		{"a GET with the token in canonical spelling", "tok", "GET", map[string]string{"Service_token": "tok-124"}, nil, "107-032", "0"},
		{"a GET with the token sent twice", "tok", "GET", nil, http.Header{"service_token": {"tok-123", "tok-123"}}, "107-032", "0"},
		{"a GET with a token for a subscription without one", "none", "GET", map[string]string{"service_token": "tok-123"}, nil, "107-032", "0"},
		{"a GET without the header for a subscription without a token", "none", "GET", nil, nil, "0", "0"},
		{"a POST with the registered token", "tok", "POST", map[string]string{"service_token": "tok-123"}, nil, "0", "0"},
		{"a POST with another token", "tok", "POST", map[string]string{"service_token": "tok-124"}, nil, "107-032", "107-032"},
		{"a POST without the header", "tok", "POST", nil, nil, "107-032", "107-032"},
		{"a POST with the token sent twice", "tok", "POST", nil, http.Header{"service_token": {"tok-123", "tok-123"}}, "107-032", "107-032"},
		{"a POST for a subscription without a token", "none", "POST", map[string]string{"service_token": ""}, nil, "107-032", "107-032"},
	}
	for _, laxMode := range []bool{false, true} {
		h := start(t, Config{LaxHandshakeToken: laxMode})
		guid := h.login(t)
		ids := map[string]string{"tok": h.register(t, guid, validRegister),
			"none": h.register(t, guid, `{"subscribeType":"1","serviceCallBackUri":"https://a.test","nlpFlag":false}`)}
		for _, tc := range tests {
			want := map[bool]string{false: tc.strict, true: tc.lax}[laxMode]
			t.Run(fmt.Sprintf("LaxHandshakeToken %v: %s is %s", laxMode, tc.name, want), func(t *testing.T) {
				h.clock.Advance(time.Second)
				id := ids[tc.serverID]
				before := h.subscription(t, id).LastHandshake
				r := h.do(t, call{method: tc.method, path: HandshakePrefix + id, guid: guid, header: tc.header, repeated: tc.repeated})
				expect(t, r, 200, want)
				after := h.subscription(t, id).LastHandshake
				if ok := want == "0"; ok != after.Equal(h.clock.Now()) || !ok && !after.Equal(before) {
					t.Errorf("LastHandshake %v (before %v, now %v)", after, before, h.clock.Now())
				}
			})
		}
	}
}
