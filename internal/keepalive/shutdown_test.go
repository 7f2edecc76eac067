package keepalive_test

import (
	"context"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// TestSIGTERMFinishesOrReleasesEveryClaim stops an engine in a child
// process with SIGTERM while a handshake is in flight.
func TestSIGTERMFinishesOrReleasesEveryClaim(t *testing.T) {
	cases := []struct {
		name      string
		fault     gatewaysim.Fault
		grace     string
		timeout   string // the child's CallTimeout
		wantOK    int64
		takenOver bool
	}{
		{"a handshake that answers within the grace period is finished and recorded",
			// A call timeout far over the delay: under load a 400 ms one could
			// time the delayed handshake out, which is not what this case is about.
			gatewaysim.Fault{Op: "handshake", Delay: 200 * time.Millisecond}, "5s", "5s", 1, false},
		{"a handshake stuck past the grace period is abandoned, not counted as a failure, and another engine takes it",
			// The call timeout outlasts the grace period, so it is the stop that
			// ends the handshake, not a timeout (which would be a failure).
			gatewaysim.Fault{Op: "handshake", Hang: true}, "100ms", "1m", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, gatewaysim.NewManualClock(t0))
			t.Cleanup(e.sim.Release)
			sub := e.register(1, false)[0]
			e.sim.Inject(tc.fault)
			c := startChild(t, "engine-"+itoa(sub.ID), tc.grace, tc.timeout)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := e.sim.WaitRequests(ctx, "handshake", 1); err != nil {
				t.Fatal(err)
			}
			c.terminate(t)

			got := e.sub(sub.ID)
			if got.HandshakesOK != tc.wantOK || got.HandshakesFailed != 0 || got.State != domain.SubActive {
				t.Fatalf("after SIGTERM: %d ok, %d failed, %s; want %d ok, no failure, active",
					got.HandshakesOK, got.HandshakesFailed, got.State, tc.wantOK)
			}
			if held := leasesOf(t, e, c.owner); len(held) != 0 {
				t.Fatalf("the stopped engine still holds leases on %v", held)
			}
			if n := len(e.historyOf(sub.ID, domain.OpHandshake)); n != 0 {
				t.Errorf("%d handshake rows in the history, want none", n)
			}
			assertNothingPending(t, e)
			if tc.takenOver {
				e.start(fastConfig("engine-after"))
				await(t, "another engine handshook it", func() bool { return e.sub(sub.ID).HandshakesOK == 1 })
			}
		})
	}
}

func assertNothingPending(t *testing.T, e *env) {
	t.Helper()
	for _, c := range e.history() {
		if c.Outcome == domain.OutcomePending {
			t.Errorf("call %d (%s) left pending", c.ID, c.Operation)
		}
	}
}
