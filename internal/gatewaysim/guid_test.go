package gatewaysim

import (
	"strings"
	"testing"
	"time"
)

func TestAGuidExpiresAfterGuidIdleWithoutUse(t *testing.T) {
	const idle = 10 * time.Minute
	h := start(t, Config{GuidIdle: idle})
	guid := h.login(t)
	other := h.login(t) // never used again: expires on its own schedule
	step := func(name string, advance time.Duration, g, wantRetcode string) {
		t.Run(name, func(t *testing.T) {
			h.clock.Advance(advance)
			expect(t, h.do(t, registerCall(g)), 200, wantRetcode)
		})
	}
	step("a Guid used just before GuidIdle still works", idle-time.Second, guid, "0")
	step("every use restarts its countdown", idle-time.Second, guid, "0")
	step("the Guid not used since login has expired", 0, other, "107-000")
	step("at exactly GuidIdle without use it has expired", idle, guid, "107-000")
	step("an expired Guid never comes back", 0, guid, "107-000")
	t.Run("a new login gets a working Guid", func(t *testing.T) {
		expect(t, h.do(t, registerCall(h.login(t))), 200, "0")
	})
	t.Run("a request refused before the Guid is checked does not use it", func(t *testing.T) {
		g := h.login(t)
		h.clock.Advance(idle - time.Second)
		c := registerCall(g)
		c.header = map[string]string{"Content-Type": "text/plain"}
		expect(t, h.do(t, c), 200, "000-002")
		h.clock.Advance(time.Second)
		expect(t, h.do(t, registerCall(g)), 200, "107-000")
	})
}

func TestGuidIdleDefaultsToThirtyMinutesAndCanBeSwitchedOff(t *testing.T) {
	t.Run("the default is 30 minutes", func(t *testing.T) {
		h := start(t, Config{})
		if got := h.sim.Rules().GuidIdle; got != DefaultGuidIdle || DefaultGuidIdle != 30*time.Minute {
			t.Fatalf("GuidIdle %v, want 30m", got)
		}
		guid := h.login(t)
		h.clock.Advance(30*time.Minute - time.Nanosecond)
		expect(t, h.do(t, registerCall(guid)), 200, "0")
		h.clock.Advance(30 * time.Minute)
		expect(t, h.do(t, registerCall(guid)), 200, "107-000")
	})
	t.Run("a negative GuidIdle keeps Guids until ExpireGuids", func(t *testing.T) {
		h := start(t, Config{GuidIdle: -1})
		guid := h.login(t)
		h.clock.Advance(1000 * time.Hour)
		expect(t, h.do(t, registerCall(guid)), 200, "0")
		h.sim.ExpireGuids()
		expect(t, h.do(t, registerCall(guid)), 200, "107-000")
	})
	t.Run("shortening GuidIdle at run time applies to Guids already issued", func(t *testing.T) {
		h := start(t, Config{GuidIdle: -1})
		guid := h.login(t)
		h.clock.Advance(time.Minute)
		if err := h.sim.UpdateRules(func(r *Rules) { r.GuidIdle = time.Minute }); err != nil {
			t.Fatal(err)
		}
		expect(t, h.do(t, registerCall(guid)), 200, "107-000")
	})
}

func TestTheExpiredCodeAnswersExpiredAndNeverIssuedGuids(t *testing.T) {
	if len(ExpiredCodes) != 4 || ExpiredCodes[0] != DefaultExpiredCode || DefaultExpiredCode != "107-000" {
		t.Fatalf("ExpiredCodes %v", ExpiredCodes)
	}
	for _, code := range ExpiredCodes {
		t.Run(code, func(t *testing.T) {
			h := start(t, Config{ExpiredCode: code})
			guid := h.login(t)
			id := h.register(t, guid, validRegister)
			h.sim.ExpireGuids()
			for name, c := range map[string]call{
				"an expired Guid":     {method: "GET", path: HandshakePrefix + id, guid: guid},
				"a never-issued Guid": {method: "GET", path: HandshakePrefix + id, guid: "00000000-0000-4000-8000-000000000000.AgentGateway1"},
			} {
				r := h.do(t, c)
				expect(t, r, 200, code)
				if r.Env.Message != expiredMessages[code] || r.Env.Message == "" || r.Env.Result != nil {
					t.Errorf("%s: message %q result %v, want %q and no result", name, r.Env.Message, r.Env.Result, expiredMessages[code])
				}
			}
			t.Run("a missing Guid is still 000-003", func(t *testing.T) {
				expect(t, h.do(t, call{method: "GET", path: HandshakePrefix + id}), 200, "000-003")
			})
		})
	}
}

func TestSetExpiredCodeSwitchesTheCodeWhileRunning(t *testing.T) {
	h := start(t, Config{})
	stale := "00000000-0000-4000-8000-000000000000.AgentGateway1"
	expect(t, h.do(t, registerCall(stale)), 200, "107-000")
	if err := h.sim.SetExpiredCode("100-006"); err != nil {
		t.Fatal(err)
	}
	expect(t, h.do(t, registerCall(stale)), 200, "100-006")
	for _, bad := range []string{"107-001", "0", "107000"} {
		if err := h.sim.SetExpiredCode(bad); err == nil || !strings.Contains(err.Error(), "107-000, 107-007, 000-003, 100-006") {
			t.Errorf("SetExpiredCode(%q): %v, want an error listing the accepted codes", bad, err)
		}
	}
	if got := h.sim.Rules().ExpiredCode; got != "100-006" {
		t.Errorf("after refused changes the code is %q, want 100-006", got)
	}
	if err := h.sim.SetExpiredCode(""); err != nil || h.sim.Rules().ExpiredCode != "107-000" {
		t.Errorf(`SetExpiredCode(""): %v, code %q; want the default`, err, h.sim.Rules().ExpiredCode)
	}
}

func TestGuidInPutsTheGuidWhereTheModeSays(t *testing.T) {
	tests := []struct {
		mode                string
		wantBody            bool
		wantGuid, wantSetID string // header values; "%s" stands for the Guid
	}{
		{GuidInBody, true, "", ""},
		{GuidInBodyAndHeader, true, "%s", ""},
		{GuidInHeader, false, "%s", ""},
		{GuidInSetGUIDJSessionID, false, "", "JSESSIONID=%s"},
		{GuidInSetGUIDGuid, false, "", "Guid=%s"},
	}
	if len(tests) != len(GuidInModes) || GuidInModes[0] != DefaultGuidIn || DefaultGuidIn != GuidInBody {
		t.Fatalf("GuidInModes %v", GuidInModes)
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			h := start(t, Config{GuidIn: tc.mode})
			r := h.do(t, call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)})
			expect(t, r, 200, "0")
			bodyGuid, inBody := r.Env.Result["guid"].(string)
			if inBody != tc.wantBody || r.Env.Result == nil {
				t.Fatalf("body %s: guid in result %v, want %v (and a result object either way)", r.Body, inBody, tc.wantBody)
			}
			// The Guid is whichever place holds it; every place must agree.
			guid := bodyGuid
			for _, v := range []string{r.Header.Get("Guid"), r.Header.Get("Set-GUID")} {
				if _, after, found := strings.Cut(v, "="); found {
					v = after
				}
				if v != "" && guid == "" {
					guid = v
				}
			}
			if guid == "" || !strings.HasSuffix(guid, "."+DefaultNode) {
				t.Fatalf("no Guid found in %s / %v", r.Body, r.Header)
			}
			if got, want := r.Header.Get("Guid"), strings.ReplaceAll(tc.wantGuid, "%s", guid); got != want {
				t.Errorf("Guid header %q, want %q", got, want)
			}
			if got, want := r.Header.Get("Set-GUID"), strings.ReplaceAll(tc.wantSetID, "%s", guid); got != want {
				t.Errorf("Set-GUID header %q, want %q", got, want)
			}
			h.register(t, guid, validRegister)
		})
	}
}

func TestInvalidRulesAreRefused(t *testing.T) {
	bad := []struct {
		name string
		cfg  Config
	}{
		{"an unknown expired code", Config{ExpiredCode: "107-001"}},
		{"an unknown Guid place", Config{GuidIn: "cookie"}},
		{"a server with a port", Config{SubscriptionServers: []string{"crm.example.com:443"}}},
		{"a server given as a URL", Config{SubscriptionServers: []string{"https://crm.example.com"}}},
		{"an empty server", Config{SubscriptionServers: []string{" "}}},
	}
	for _, tc := range bad {
		t.Run(tc.name+" makes New panic and Validate fail", func(t *testing.T) {
			if tc.cfg.Validate() == nil {
				t.Error("Validate accepted it")
			}
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			New(tc.cfg)
		})
		t.Run(tc.name+" is refused by SetRules, which then changes nothing", func(t *testing.T) {
			s := New(Config{SubscriptionServers: []string{"a.test"}})
			if err := s.SetRules(tc.cfg.rules()); err == nil {
				t.Fatal("SetRules accepted it")
			}
			if got := s.Rules(); got.ExpiredCode != "107-000" || got.GuidIn != GuidInBody || len(got.SubscriptionServers) != 1 {
				t.Errorf("rules after a refused SetRules: %+v", got)
			}
		})
	}
	t.Run("SetRules of the zero Rules restores the strictest defaults", func(t *testing.T) {
		s := New(Config{GuidIdle: -1, ExpiredCode: "000-003", GuidIn: GuidInHeader, LaxAgentID: true, IFSubConfigureOff: true,
			SubscriptionServers: []string{"*"}, AllowHTTPLoopback: true, LaxCallbacks: true, LaxHandshakeToken: true})
		if err := s.SetRules(Rules{}); err != nil {
			t.Fatal(err)
		}
		want := Rules{GuidIdle: DefaultGuidIdle, ExpiredCode: DefaultExpiredCode, GuidIn: DefaultGuidIn, SubscriptionServers: []string{}}
		if got := s.Rules(); got.GuidIdle != want.GuidIdle || got.ExpiredCode != want.ExpiredCode || got.GuidIn != want.GuidIn ||
			got.LaxAgentID || got.IFSubConfigureOff || len(got.SubscriptionServers) != 0 || got.AllowHTTPLoopback ||
			got.LaxCallbacks || got.LaxHandshakeToken {
			t.Errorf("rules %+v, want %+v", got, want)
		}
	})
	t.Run("Rules returns a copy", func(t *testing.T) {
		s := New(Config{SubscriptionServers: []string{"a.test"}})
		s.Rules().SubscriptionServers[0] = "evil.test"
		if got := s.Rules().SubscriptionServers[0]; got != "a.test" {
			t.Errorf("server %q after editing a returned copy", got)
		}
	})
}
