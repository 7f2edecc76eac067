package gatewaysim

import (
	"testing"
	"time"
)

func TestSubscriptionByServerID(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	active := h.register(t, guid, validRegister)
	cancelled := h.register(t, guid, validRegister)
	expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + cancelled + `"}`, guid: guid}), 200, "0")
	expired := h.register(t, guid, validRegister)
	h.clock.Advance(DefaultExpiry - time.Second)
	expect(t, h.handshake(t, guid, active, ""), 200, "0")
	h.clock.Advance(time.Second)
	tests := []struct {
		name, id, wantState string
		wantFound           bool
	}{
		{"an active subscription is found active", active, StateActive, true},
		{"a cancelled subscription is found cancelled", cancelled, StateCancelled, true},
		{"a subscription past its expiry is found expired without any call", expired, StateExpired, true},
		{"an unknown serverId is not found", "20260101000000-001-99999", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub, found := h.sim.SubscriptionByServerID(tc.id)
			if found != tc.wantFound || sub.State != tc.wantState || found && (sub.ServerID != tc.id || sub.ServiceToken != "tok-123") {
				t.Errorf("got %+v, %v; want state %q, found %v", sub, found, tc.wantState, tc.wantFound)
			}
		})
	}
}

func TestHandshakesForListsOnlyThatSubscriptionsHandshakes(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	a, b := h.register(t, guid, validRegister), h.register(t, guid, validRegister)
	expect(t, h.handshake(t, guid, a, ""), 200, "0")
	expect(t, h.handshake(t, guid, b, ""), 200, "0")
	expect(t, h.handshake(t, guid, a, "wrong-token"), 200, "107-032")
	h.do(t, call{method: "GET", path: HandshakePrefix + a + "/extra", guid: guid})
	got := h.sim.HandshakesFor(a)
	if len(got) != 2 || got[0].Method != "GET" || got[0].Retcode != "0" || got[1].Method != "POST" || got[1].Retcode != "107-032" {
		t.Fatalf("handshakes for %s: %+v, want GET 0 then POST 107-032", a, got)
	}
	if n := len(h.sim.HandshakesFor(b)); n != 1 {
		t.Errorf("%d handshakes for %s, want 1", n, b)
	}
	if n := len(h.sim.HandshakesFor("20260101000000-001-99999")); n != 0 {
		t.Errorf("%d handshakes for an unknown serverId", n)
	}
}
