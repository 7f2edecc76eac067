package gatewaysim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRegister(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	uri200 := "https://example.test/" + strings.Repeat("a", 200-len("https://example.test/"))
	tests := []struct {
		name, body, wantRetcode string
	}{
		{"a complete request is accepted", validRegister, "0"},
		{"nlpFlag as the string \"true\" is accepted as the vendor examples send it",
			`{"subscribeType":"1","serviceCallBackUri":"https://a.test/cb","nlpFlag":"true","flowAccessCode":"777"}`, "0"},
		{"a callback URI of exactly 200 characters is accepted",
			`{"subscribeType":"1","serviceCallBackUri":"` + uri200 + `","nlpFlag":true}`, "0"},
		{"a token of exactly 256 characters is accepted",
			`{"subscribeType":"1","serviceToken":"` + strings.Repeat("t", 256) + `","serviceCallBackUri":"https://a.test","nlpFlag":true}`, "0"},
		{"subscribeType as a number is 107-002", `{"subscribeType":1,"serviceCallBackUri":"https://a.test","nlpFlag":true}`, "107-002"},
		{"subscribeType \"2\" is 107-002", `{"subscribeType":"2","serviceCallBackUri":"https://a.test","nlpFlag":true}`, "107-002"},
		{"a missing subscribeType is 107-002", `{"serviceCallBackUri":"https://a.test","nlpFlag":true}`, "107-002"},
		{"a missing callback URI is 107-002", `{"subscribeType":"1","nlpFlag":true}`, "107-002"},
		{"a callback URI of 201 characters is 107-002",
			`{"subscribeType":"1","serviceCallBackUri":"` + uri200 + `b","nlpFlag":true}`, "107-002"},
		{"a callback that is not an http(s) URL is 107-002", `{"subscribeType":"1","serviceCallBackUri":"callback","nlpFlag":true}`, "107-002"},
		{"a token of 257 characters is 107-002",
			`{"subscribeType":"1","serviceToken":"` + strings.Repeat("t", 257) + `","serviceCallBackUri":"https://a.test","nlpFlag":true}`, "107-002"},
		{"a token that is a number is 107-002", `{"subscribeType":"1","serviceToken":7,"serviceCallBackUri":"https://a.test","nlpFlag":true}`, "107-002"},
		{"a missing nlpFlag is 107-002", `{"subscribeType":"1","serviceCallBackUri":"https://a.test"}`, "107-002"},
		{"nlpFlag \"yes\" is 107-002", `{"subscribeType":"1","serviceCallBackUri":"https://a.test","nlpFlag":"yes"}`, "107-002"},
		{"nlpFlag 1 is 107-002", `{"subscribeType":"1","serviceCallBackUri":"https://a.test","nlpFlag":1}`, "107-002"},
		{"a numeric flowAccessCode is 107-002", `{"subscribeType":"1","serviceCallBackUri":"https://a.test","nlpFlag":true,"flowAccessCode":7}`, "107-002"},
		{"a JSON array body is 107-002", `[]`, "107-002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.sim.Subscriptions())
			r := h.do(t, call{method: "POST", path: RegisterPath, body: tc.body, guid: guid})
			expect(t, r, 200, tc.wantRetcode)
			created := len(h.sim.Subscriptions()) - before
			if want := map[bool]int{true: 1, false: 0}[tc.wantRetcode == "0"]; created != want {
				t.Errorf("%d subscriptions created, want %d", created, want)
			}
		})
	}
}

func TestRegisterIssuesUniqueServerIDsAndKeepsTheFields(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	first := h.register(t, guid, `{"subscribeType":"1","serviceToken":"s3cret","serviceCallBackUri":"https://cb.test/x","nlpFlag":"true","flowAccessCode":"12345"}`)
	second := h.register(t, guid, validRegister)
	if ok, _ := regexp.MatchString(`^`+t0.Format("20060102150405")+`-\d{3}-\d{5}$`, first); !ok {
		t.Errorf("first serverId %q, want <time>-<3 digits>-<5 digits>", first)
	}
	if first == second {
		t.Errorf("two registers got the same serverId %q", first)
	}
	got := h.subscription(t, first)
	want := Subscription{ServerID: first, SubscribeType: "1", ServiceToken: "s3cret", CallBackURI: "https://cb.test/x",
		FlowAccessCode: "12345", NLPFlag: true, Registered: t0, Active: true, State: StateActive}
	if got != want {
		t.Errorf("subscription\n got %+v\nwant %+v", got, want)
	}
}

func TestCallsWithoutAValidGuid(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	h.sim.ExpireGuids()
	ops := []call{
		{method: "POST", path: RegisterPath, body: validRegister},
		{method: "POST", path: ModifyPath + "?serverId=" + id, body: `{"serviceCallBackUri":"https://a.test","nlpFlag":true}`},
		{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + id + `"}`},
		{method: "GET", path: HandshakePrefix + id},
		{method: "POST", path: HandshakePrefix + id, header: map[string]string{"service_token": "tok-123"}},
	}
	for _, c := range ops {
		t.Run(c.method+" "+strings.SplitN(c.path, "?", 2)[0]+" without a Guid is 000-003", func(t *testing.T) {
			expect(t, h.do(t, c), 200, "000-003")
		})
		t.Run(c.method+" "+strings.SplitN(c.path, "?", 2)[0]+" with an expired Guid is 107-000", func(t *testing.T) {
			c.guid = guid
			expect(t, h.do(t, c), 200, "107-000")
		})
		t.Run(c.method+" "+strings.SplitN(c.path, "?", 2)[0]+" with a made-up Guid is 107-000", func(t *testing.T) {
			c.guid = "00000000-0000-4000-8000-000000000000.AgentGateway1"
			expect(t, h.do(t, c), 200, "107-000")
		})
	}
	if s := h.subscription(t, id); !s.Active || len(h.sim.Subscriptions()) != 1 {
		t.Errorf("unauthorised calls changed state: %+v", h.sim.Subscriptions())
	}
}

func TestModify(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	cancelled := h.register(t, guid, validRegister)
	expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + cancelled + `"}`, guid: guid}), 200, "0")
	body := `{"serviceCallBackUri":"https://new.test/cb","nlpFlag":"true","flowAccessCode":"99","serviceToken":"ignored","subscribeType":"2"}`
	tests := []struct {
		name, query, body, wantRetcode string
	}{
		{"an active subscription changes", "?serverId=" + id, body, "0"},
		{"an unknown serverId is 107-002", "?serverId=20260101000000-001-99999", body, "107-002"},
		{"a cancelled subscription is 107-002", "?serverId=" + cancelled, body, "107-002"},
		{"a missing serverId is 107-002", "", body, "107-002"},
		{"a missing callback URI is 107-002", "?serverId=" + id, `{"nlpFlag":true}`, "107-002"},
		{"a missing nlpFlag is 107-002", "?serverId=" + id, `{"serviceCallBackUri":"https://a.test"}`, "107-002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, call{method: "POST", path: ModifyPath + tc.query, body: tc.body, guid: guid})
			expect(t, r, 200, tc.wantRetcode)
		})
	}
	got := h.subscription(t, id)
	if got.CallBackURI != "https://new.test/cb" || !got.NLPFlag || got.FlowAccessCode != "99" ||
		got.ServiceToken != "tok-123" || got.SubscribeType != "1" {
		t.Errorf("after modify: %+v; want new callback, nlp, flow code and the old token and type", got)
	}
}

func TestUnregister(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	tests := []struct {
		name, body, wantRetcode string
	}{
		{"an active subscription is cancelled", `{"serverId":"` + id + `"}`, "0"},
		{"cancelling it again is 107-031", `{"serverId":"` + id + `"}`, "107-031"},
		{"an unknown serverId is 107-031", `{"serverId":"20260101000000-001-99999"}`, "107-031"},
		{"a missing serverId is 107-002", `{}`, "107-002"},
		{"a numeric serverId is 107-002", `{"serverId":5}`, "107-002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: tc.body, guid: guid}), 200, tc.wantRetcode)
		})
	}
	if s := h.subscription(t, id); s.Active || s.State != StateCancelled {
		t.Errorf("after unregister: %+v", s)
	}
}

func TestHandshake(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	withToken := h.register(t, guid, validRegister) // token "tok-123"
	noToken := h.register(t, guid, `{"subscribeType":"1","serviceCallBackUri":"https://a.test","nlpFlag":false}`)
	cancelled := h.register(t, guid, validRegister)
	expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + cancelled + `"}`, guid: guid}), 200, "0")
	tests := []struct {
		name         string
		serverID     string
		method       string
		header       map[string]string
		wantRetcode  string
		wantLastSeen bool
	}{
		{"a plain GET keeps a subscription alive", noToken, "GET", nil, "0", true},
		{"a plain GET works for a subscription with a token too", withToken, "GET", nil, "0", true},
		{"an extended POST with the registered token works", withToken, "POST", map[string]string{"service_token": "tok-123"}, "0", true},
		{"the token header is found in canonical spelling too", withToken, "POST", map[string]string{"Service_token": "tok-123"}, "0", true},
		{"an extended POST with a wrong token is 107-032", withToken, "POST", map[string]string{"service_token": "tok-124"}, "107-032", false},
		{"an extended POST without the token header is 107-032", withToken, "POST", nil, "107-032", false},
		{"an extended POST for a subscription without a token is 107-032", noToken, "POST", map[string]string{"service_token": ""}, "107-032", false},
		{"an unknown serverId is 107-032", "20260101000000-001-99999", "GET", nil, "107-032", false},
		{"a cancelled subscription is 107-032", cancelled, "GET", nil, "107-032", false},
		{"an empty serverId is 107-002", "", "GET", nil, "107-002", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.clock.Advance(time.Second)
			r := h.do(t, call{method: tc.method, path: HandshakePrefix + tc.serverID, guid: guid, header: tc.header})
			expect(t, r, 200, tc.wantRetcode)
			if tc.wantLastSeen {
				if got := h.subscription(t, tc.serverID).LastHandshake; !got.Equal(h.clock.Now()) {
					t.Errorf("LastHandshake %v, want %v", got, h.clock.Now())
				}
			}
		})
	}
}

func TestExpiryOnTheManualClock(t *testing.T) {
	const expiry = 5 * time.Minute
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	step := func(name string, advance time.Duration, wantRetcode string) {
		t.Run(name, func(t *testing.T) {
			h.clock.Advance(advance)
			expect(t, h.handshake(t, guid, id, "tok-123"), 200, wantRetcode)
		})
	}
	step("a handshake just before the expiry keeps it alive", expiry-time.Second, "0")
	step("the countdown restarts at each handshake", expiry-time.Second, "0")
	step("after five minutes without a handshake it is gone", expiry, "107-032")
	step("it does not come back", 0, "107-032")
	if s := h.subscription(t, id); s.Active || s.State != StateExpired {
		t.Errorf("subscription %+v, want expired", s)
	}
	t.Run("an expired subscription can neither be modified nor cancelled", func(t *testing.T) {
		expect(t, h.do(t, call{method: "POST", path: ModifyPath + "?serverId=" + id,
			body: `{"serviceCallBackUri":"https://a.test","nlpFlag":true}`, guid: guid}), 200, "107-002")
		expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + id + `"}`, guid: guid}), 200, "107-031")
	})
}

func TestExpiryIsConfigurableAndCountsFromRegister(t *testing.T) {
	h := start(t, Config{Expiry: time.Minute})
	guid := h.login(t)
	alive, dead := h.register(t, guid, validRegister), h.register(t, guid, validRegister)
	h.clock.Advance(59 * time.Second)
	expect(t, h.handshake(t, guid, alive, ""), 200, "0")
	h.clock.Advance(time.Second)
	if s := h.subscription(t, dead); s.State != StateExpired {
		t.Errorf("never handshaken subscription after 1m: %s, want expired", s.State)
	}
	if s := h.subscription(t, alive); s.State != StateActive {
		t.Errorf("handshaken subscription: %s, want active", s.State)
	}
}

func TestRouting(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	big := fmt.Sprintf(`{"subscribeType":"1","serviceCallBackUri":"https://a.test","nlpFlag":true,"pad":"%s"}`, strings.Repeat("x", 64<<10))
	tests := []struct {
		name        string
		c           call
		wantStatus  int
		wantRetcode string
		wantAllow   string
	}{
		{"an unknown path is 404 with 000-002", call{method: "GET", path: "/agentgateway/resource/config/nope"}, 404, "000-002", ""},
		{"a handshake path with an extra segment is 404", call{method: "GET", path: HandshakePrefix + "a/b"}, 404, "000-002", ""},
		{"GET on login is 405", call{method: "GET", path: LoginPath}, 405, "000-002", "POST"},
		{"POST on unregister is 405", call{method: "POST", path: UnregisterPath, body: `{}`}, 405, "000-002", "PUT"},
		{"DELETE on a handshake is 405", call{method: "DELETE", path: HandshakePrefix + "x"}, 405, "000-002", "GET, POST"},
		{"a body over 64 KiB is 107-002", call{method: "POST", path: RegisterPath, body: big, guid: guid}, 200, "107-002", ""},
		{"a GET handshake without Content-Type is 000-002",
			call{method: "GET", path: HandshakePrefix + "x", guid: guid, header: map[string]string{"Content-Type": ""}}, 200, "000-002", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.c)
			expect(t, r, tc.wantStatus, tc.wantRetcode)
			if got := r.Header.Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow %q, want %q", got, tc.wantAllow)
			}
		})
	}
}
