package gatewaysim

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// fakeReal is a controlled real-time source for ScaledClock.
type fakeReal struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeReal) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeReal) pass(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func TestScaledClockArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		factor  float64
		real    time.Duration
		advance time.Duration
		want    time.Duration // simulated time elapsed since creation
	}{
		{"at factor 60 five real seconds are five minutes", 60, 5 * time.Second, 0, 5 * time.Minute},
		{"at factor 1 it keeps real time", 1, 7 * time.Second, 0, 7 * time.Second},
		{"a factor below 1 runs slower than real time", 0.5, 10 * time.Second, 0, 5 * time.Second},
		{"Advance adds to the scaled time", 60, time.Second, 3 * time.Minute, 4 * time.Minute},
		{"a huge factor saturates instead of wrapping into the past", 1e300, time.Second, 0, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeReal{now: t0}
			c := newScaledClock(tc.factor, src.Now)
			start := c.Now()
			src.pass(tc.real)
			c.Advance(tc.advance)
			if got := c.Now().Sub(start); got != tc.want {
				t.Errorf("elapsed %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("it starts at the real time of its creation", func(t *testing.T) {
		before := time.Now()
		c := NewScaledClock(1000)
		if now := c.Now(); now.Before(before.Round(0)) || c.Factor() != 1000 {
			t.Errorf("Now %v before creation at %v (factor %v)", now, before, c.Factor())
		}
	})
}

func TestNewScaledClockRefusesFactorsThatAreNotPositiveAndFinite(t *testing.T) {
	for _, f := range []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		t.Run(fmt.Sprintf("factor %v panics", f), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewScaledClock(%v) did not panic", f)
				}
			}()
			NewScaledClock(f)
		})
	}
}

// TestExpiryOnAScaledClock lets real time pass: at factor 600 the 5-minute
// expiry takes half a real second. Only a lower bound on real time is
// asserted, so a slow machine cannot make it fail.
func TestExpiryOnAScaledClock(t *testing.T) {
	const factor = 600
	h := start(t, Config{Clock: NewScaledClock(factor)})
	guid := h.login(t)
	realStart := time.Now()
	id := h.register(t, guid, validRegister)
	awaitState(t, h.sim, id, StateExpired)
	if waited, least := time.Since(realStart), DefaultExpiry/factor; waited < least {
		t.Errorf("expired after %v of real time, before %v", waited, least)
	}
	assertGoneAfterExpiry(t, h, guid, id)
}

// awaitState polls until the subscription reaches state: expiry is lazy,
// so there is no event to wait for, only the state to look at.
func awaitState(t *testing.T, sim *Sim, id, state string) {
	t.Helper()
	ctx := waitCtx(t)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if sub, _ := sim.SubscriptionByServerID(id); sub.State == state {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("subscription %s never became %s", id, state)
		}
	}
}

// assertGoneAfterExpiry checks what every call on an expired subscription
// answers (doc.go).
func assertGoneAfterExpiry(t *testing.T, h *harness, guid, id string) {
	t.Helper()
	tests := []struct {
		name, retcode string
		c             call
	}{
		{"a plain handshake is 107-032", "107-032", call{method: "GET", path: HandshakePrefix + id, guid: guid}},
		{"an extended handshake with the right token is 107-032", "107-032",
			call{method: "POST", path: HandshakePrefix + id, guid: guid, header: map[string]string{"service_token": "tok-123"}}},
		{"a modify is 107-002", "107-002", call{method: "POST", path: ModifyPath + "?serverId=" + id,
			body: `{"serviceCallBackUri":"https://a.test","nlpFlag":true}`, guid: guid}},
		{"an unregister is 107-031", "107-031", call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + id + `"}`, guid: guid}},
	}
	for _, tc := range tests {
		t.Run("after expiry "+tc.name, func(t *testing.T) {
			expect(t, h.do(t, tc.c), 200, tc.retcode)
		})
	}
	if sub, _ := h.sim.SubscriptionByServerID(id); sub.Active || sub.State != StateExpired {
		t.Errorf("after the calls: %+v, want still expired", sub)
	}
}

func TestAdvancingAScaledClock(t *testing.T) {
	// Factor 1: real time alone cannot reach the expiry during the test.
	clock := NewScaledClock(1)
	h := start(t, Config{Clock: clock})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	expect(t, h.handshake(t, guid, id, "tok-123"), 200, "0")
	t.Run("the control endpoint moves it", func(t *testing.T) {
		before := clock.Now()
		status, body := h.control(t, "POST", "/_sim/clock/advance?by=5m", "")
		if status != 200 || clock.Now().Sub(before) < 5*time.Minute {
			t.Fatalf("HTTP %d %s; clock moved %v", status, body, clock.Now().Sub(before))
		}
		if sub, _ := h.sim.SubscriptionByServerID(id); sub.State != StateExpired {
			t.Errorf("state %s, want expired", sub.State)
		}
	})
	assertGoneAfterExpiry(t, h, guid, id)
}
