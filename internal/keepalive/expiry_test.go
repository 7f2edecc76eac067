package keepalive_test

import (
	"fmt"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// TestEveryExpiredGuidAnswerKeepsSubscriptionsAlive: whichever of the
// vendor's four "who are you?" codes a gateway uses for an expired Guid,
// the engine logs in again exactly once per expiry, retries each refused
// handshake exactly once, and no subscription ever degrades.
func TestEveryExpiredGuidAnswerKeepsSubscriptionsAlive(t *testing.T) {
	for _, code := range []string{"107-000", "107-007", "000-003", "100-006"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t, nil)
			if err := e.sim.SetExpiredCode(code); err != nil {
				t.Fatal(err)
			}
			subs := e.register(3, false)
			r := e.start(fastConfig("engine-" + code))
			// The engine is a process of its own: it logs in at its first
			// handshake, so its Guid exists before the gateway expires it.
			await(t, "every subscription handshaken once", func() bool {
				for _, s := range subs {
					if e.sub(s.ID).HandshakesOK == 0 {
						return false
					}
				}
				return true
			})
			for expiry := 1; expiry <= 2; expiry++ {
				mark := len(e.sim.Requests())
				before := make(map[int64]int64, len(subs))
				for _, s := range subs {
					before[s.ID] = e.sub(s.ID).HandshakesOK
				}
				e.sim.ExpireGuids()
				await(t, fmt.Sprintf("every subscription handshaken after expiry %d", expiry), func() bool {
					for _, s := range subs {
						if e.sub(s.ID).HandshakesOK <= before[s.ID] {
							return false
						}
					}
					return true
				})
				assertOneLoginOneRetryEach(t, e.sim.Requests()[mark:], code)
			}
			r.stop(t)
			for _, s := range subs {
				if got := e.sub(s.ID); got.State != domain.SubActive || got.HandshakesFailed != 0 {
					t.Errorf("subscription %d: state %s, %d failed handshakes; want active with none", s.ID, got.State, got.HandshakesFailed)
				}
			}
		})
	}
}

// assertOneLoginOneRetryEach checks the gateway's log after an expiry: one
// login for all of them, and every handshake answered code is followed by
// exactly one retry of the same subscription, which succeeds.
func assertOneLoginOneRetryEach(t *testing.T, reqs []gatewaysim.Request, code string) {
	t.Helper()
	logins, expired := 0, map[string]int{}
	retried := map[string]int{}
	for _, r := range reqs {
		switch {
		case r.Op == "login":
			logins++
		case r.Op == "handshake" && r.Retcode == code:
			expired[r.Path]++
		case r.Op == "handshake" && expired[r.Path] > retried[r.Path]:
			retried[r.Path]++
			if r.Retcode != "0" {
				t.Errorf("the retry of %s was answered %q, want success", r.Path, r.Retcode)
			}
		}
	}
	if logins != 1 {
		t.Errorf("%d logins after the expiry, want exactly 1", logins)
	}
	if len(expired) == 0 {
		t.Fatalf("no handshake was answered %s: the expiry was not exercised", code)
	}
	for path, n := range expired {
		if n != 1 || retried[path] != 1 {
			t.Errorf("%s: answered %s %d time(s), retried %d time(s); want once each", path, code, n, retried[path])
		}
	}
}
