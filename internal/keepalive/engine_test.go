package keepalive_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/keepalive"
)

// t0 is where the manual clocks start.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestHandshakes(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	subs := e.register(2, false) // subs[0] has a token, subs[1] has none
	r := e.start(fastConfig("engine-a"))
	await(t, "both subscriptions were handshaken twice", func() bool {
		return e.sub(subs[0].ID).HandshakesOK >= 2 && e.sub(subs[1].ID).HandshakesOK >= 2
	})
	r.stop(t)

	t.Run("a subscription with a token gets the extended POST form with its token", func(t *testing.T) {
		for _, r := range e.sim.HandshakesFor(subs[0].ServerID) {
			if r.Method != http.MethodPost || r.Header.Get("service_token") != "token-0-abcdefghijklmnop" {
				t.Fatalf("handshake %s with service_token %q", r.Method, r.Header.Get("service_token"))
			}
		}
	})
	t.Run("a subscription without a token gets the plain GET form", func(t *testing.T) {
		for _, r := range e.sim.HandshakesFor(subs[1].ServerID) {
			if r.Method != http.MethodGet || len(r.Header.Values("service_token")) != 0 {
				t.Fatalf("handshake %s with a service_token header", r.Method)
			}
		}
	})
	t.Run("a success updates counters, due time and heartbeat strip but writes no history", func(t *testing.T) {
		sub := e.sub(subs[0].ID)
		if sub.State != domain.SubActive || sub.ConsecutiveFailures != 0 || sub.HandshakesFailed != 0 ||
			sub.LastSuccessAt == nil || !sub.LastHandshakeAt.Equal(*sub.LastSuccessAt) {
			t.Fatalf("after successes: %+v", sub)
		}
		if next := sub.NextDueAt.Sub(*sub.LastSuccessAt); next != interval {
			t.Errorf("next handshake due %s after the last success, want %s", next, interval)
		}
		if n := len(e.historyOf(sub.ID, domain.OpHandshake)) + len(e.historyOf(sub.ID, domain.OpStateChange)); n != 0 {
			t.Errorf("successful handshakes wrote %d history rows, want none", n)
		}
		hb, err := e.st.Heartbeats(t.Context(), sub.ID, time.Now().Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for _, b := range hb {
			ok += b.OK
		}
		if int64(ok) != sub.HandshakesOK {
			t.Errorf("the heartbeat strip counts %d successes, the subscription %d", ok, sub.HandshakesOK)
		}
	})
}

func TestAFailedHandshakeDegradesTheSubscriptionUntilOneSucceeds(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	sub := e.register(1, false)[0]
	e.sim.Inject(gatewaysim.Fault{Op: "handshake", HTTPStatus: http.StatusServiceUnavailable})
	cfg := fastConfig("engine-a")
	cfg.Retry = 200 * time.Millisecond
	e.start(cfg)
	await(t, "the subscription recovered after the failure", func() bool {
		s := e.sub(sub.ID)
		return s.HandshakesFailed == 1 && s.HandshakesOK >= 1 && s.State == domain.SubActive
	})

	failed := e.historyOf(sub.ID, domain.OpHandshake)
	// A 503 may come after the gateway acted, so the outcome is unknown.
	if len(failed) != 1 || failed[0].Outcome != domain.OutcomeUnknown || failed[0].HTTPStatus != http.StatusServiceUnavailable ||
		failed[0].Actor != keepalive.Actor || failed[0].ServerID != sub.ServerID || failed[0].FinishedAt == nil {
		t.Fatalf("handshake history = %+v, want the one failure with the gateway's answer", failed)
	}
	changes := e.historyOf(sub.ID, domain.OpStateChange)
	if len(changes) != 2 || !strings.HasPrefix(changes[0].Message, "active → degraded: handshake unknown") ||
		changes[1].Message != "degraded → active: handshake succeeded" {
		t.Fatalf("state changes = %v, want active → degraded → active with reasons", messages(changes))
	}
}

func TestAFailurePastTheLimitLapsesTheSubscription(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	sub := e.register(1, false)[0]
	// The last success was longer ago than the platform keeps a subscription.
	if _, err := e.st.Pool().Exec(t.Context(), `UPDATE subscriptions SET last_success_at = now() - interval '1 minute'
		WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	e.sim.Inject(gatewaysim.Fault{Op: "handshake", HTTPStatus: http.StatusBadGateway, Times: -1})
	r := e.start(fastConfig("engine-a"))
	await(t, "the subscription lapsed", func() bool { return e.sub(sub.ID).State == domain.SubLapsed })
	r.stop(t)

	got := e.sub(sub.ID)
	if got.NextDueAt != nil || got.LapsedAt == nil || !strings.HasPrefix(got.StateReason, "no successful handshake for 5s") {
		t.Fatalf("lapsed subscription: next due %v, lapsed at %v, reason %q", got.NextDueAt, got.LapsedAt, got.StateReason)
	}
	if n := len(e.sim.HandshakesFor(sub.ServerID)); n != 1 {
		t.Errorf("%d handshakes sent, want 1: a lapsed subscription is no longer handshaken", n)
	}
}

func TestExpiryOnTheGateway(t *testing.T) {
	cases := []struct {
		name    string
		policy  bool
		engines int
	}{
		{"without the policy the subscription lapses and nothing is re-registered", false, 1},
		{"with the policy two engines re-register it exactly once, linked both ways", true, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := gatewaysim.NewManualClock(t0)
			e := newEnv(t, clock)
			old := e.register(1, tc.policy)[0]
			var engines []*running
			for i := range tc.engines {
				engines = append(engines, e.start(fastConfig("engine-"+string(rune('a'+i)))))
			}
			await(t, "the first handshake succeeded", func() bool { return e.sub(old.ID).HandshakesOK >= 1 })
			clock.Advance(gatewaysim.DefaultExpiry) // the gateway drops it
			await(t, "the subscription lapsed", func() bool { return e.sub(old.ID).State == domain.SubLapsed })
			for _, r := range engines {
				r.stop(t) // a re-register runs before Run returns
			}

			assertLapsedAfterTheLimit(t, e, old)
			registers := len(e.sim.RequestsFor("register")) - 1
			lapsed := e.sub(old.ID)
			if !tc.policy {
				if registers != 0 || lapsed.ReplacedByID != nil {
					t.Fatalf("%d re-registers, replaced by %v; want none without the policy", registers, lapsed.ReplacedByID)
				}
				return
			}
			if registers != 1 || lapsed.ReplacedByID == nil {
				t.Fatalf("%d re-registers, replaced by %v; want exactly one, linked", registers, lapsed.ReplacedByID)
			}
			assertReplacement(t, e, lapsed)
		})
	}
}

// assertLapsedAfterTheLimit checks that the gateway's 107-032 only
// degraded the subscription, and that it lapsed when the limit had passed
// since its last success (the platform's own rule), with every failure and
// both state changes in the history.
func assertLapsedAfterTheLimit(t *testing.T, e *env, old domain.Subscription) {
	t.Helper()
	hs := e.sim.HandshakesFor(old.ServerID)
	if len(hs) < 2 || hs[0].Retcode != "0" || hs[len(hs)-1].Retcode != "107-032" {
		t.Fatalf("handshakes answered %v; want success, then 107-032 until the end", retcodes(hs))
	}
	got := e.sub(old.ID)
	if got.NextDueAt != nil || got.LapsedAt == nil || !strings.HasPrefix(got.StateReason, "no successful handshake for 5s") ||
		!strings.Contains(got.StateReason, "107-032") {
		t.Fatalf("lapsed: next due %v, lapsed at %v, reason %q", got.NextDueAt, got.LapsedAt, got.StateReason)
	}
	changes := messages(e.historyOf(old.ID, domain.OpStateChange))
	if len(changes) < 2 || !strings.HasPrefix(changes[0], "active → degraded: handshake rejected: 107-032") ||
		!strings.HasPrefix(changes[1], "degraded → lapsed: no successful handshake for 5s") {
		t.Fatalf("state changes = %v, want active → degraded on the 107-032, then degraded → lapsed at the limit", changes)
	}
	for _, f := range e.historyOf(old.ID, domain.OpHandshake) {
		if f.Retcode != "107-032" || f.Outcome != domain.OutcomeRejected {
			t.Fatalf("failed handshake %+v, want only 107-032s", f)
		}
	}
}

// TestASingle107032NeverLapsesASubscription: the vendor's "handshake
// failed" does not say the subscription is gone, so one such answer
// degrades it and the next success makes it active again.
func TestASingle107032NeverLapsesASubscription(t *testing.T) {
	e := newEnv(t, nil)
	sub := e.register(1, true)[0]
	e.sim.Inject(gatewaysim.Fault{Op: "handshake", Retcode: "107-032"})
	r := e.start(fastConfig("engine-a"))
	await(t, "the subscription degraded and recovered", func() bool {
		s := e.sub(sub.ID)
		return s.HandshakesFailed == 1 && s.HandshakesOK >= 1 && s.State == domain.SubActive
	})
	r.stop(t)
	changes := messages(e.historyOf(sub.ID, domain.OpStateChange))
	if len(changes) != 2 || !strings.HasPrefix(changes[0], "active → degraded: handshake rejected: 107-032") ||
		!strings.HasPrefix(changes[1], "degraded → active") {
		t.Fatalf("state changes = %v, want degraded on the 107-032, then active again", changes)
	}
	if got := e.sub(sub.ID); got.LapsedAt != nil || got.ReplacedByID != nil || len(e.sim.RequestsFor("register")) != 1 {
		t.Fatalf("after one 107-032: lapsed at %v, replaced by %v, %d registers; want none of it",
			got.LapsedAt, got.ReplacedByID, len(e.sim.RequestsFor("register")))
	}
}

// assertReplacement checks the new subscription: same settings, linked to
// the old one both ways, registered by the keep-alive, kept alive itself.
func assertReplacement(t *testing.T, e *env, old domain.Subscription) {
	t.Helper()
	repl := e.sub(*old.ReplacedByID)
	if repl.ReplacesID == nil || *repl.ReplacesID != old.ID || repl.ServerID == old.ServerID ||
		repl.CallbackURI != old.CallbackURI || repl.NLPFlag != old.NLPFlag || repl.TokenPresent != old.TokenPresent ||
		!repl.AutoReregister || repl.State != domain.SubActive {
		t.Fatalf("replacement = %+v, want the old settings, linked back to %d", repl, old.ID)
	}
	reg := e.historyOf(repl.ID, domain.OpRegister)
	if len(reg) != 1 || reg[0].Actor != keepalive.Actor || reg[0].Outcome != domain.OutcomeSuccess || reg[0].ServerID != repl.ServerID {
		t.Fatalf("register history of the replacement = %+v", reg)
	}
	notes := messages(e.historyOf(old.ID, domain.OpStateChange))
	want := "lapsed: re-registered as serverId " + repl.ServerID
	if len(notes) == 0 || notes[len(notes)-1] != want {
		t.Fatalf("history of the old subscription = %v, want it to end with %q", notes, want)
	}
	tokens := e.sim.RequestsFor("register")
	if body := string(tokens[len(tokens)-1].Body); !strings.Contains(body, "token-0-abcdefghijklmnop") {
		t.Errorf("the re-register did not carry the old service token")
	}
}

func TestReregisterHappensAtMostOnceWhateverTheRace(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	old := e.register(1, false)[0]
	if _, err := e.st.Pool().Exec(t.Context(), `UPDATE subscriptions SET state = 'lapsed', next_due_at = NULL,
		lapsed_at = now() WHERE id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	old = e.sub(old.ID)
	const racers = 6
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() { _, errs[i] = newApp(e.st.Pool(), e.keys).Subscribe.Reregister(t.Context(), old, "racer") })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, domain.ErrConflict):
			t.Fatalf("Reregister: %v", err)
		}
	}
	if registers := len(e.sim.RequestsFor("register")) - 1; won != 1 || registers != 1 {
		t.Fatalf("%d racers succeeded and %d registers were sent; want exactly one", won, registers)
	}
	if _, err := e.svc.Reregister(t.Context(), e.sub(old.ID), "late"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a re-register of a replaced subscription: %v, want a conflict", err)
	}
}

func TestAnInvalidConfigurationIsRefused(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	cases := []struct {
		name string
		cfg  keepalive.Config
		want string
	}{
		{"a lease no longer than a handshake may take", keepalive.Config{CallTimeout: time.Second, Lease: time.Second}, "lease"},
		{"an interval as long as the platform's limit", keepalive.Config{Interval: 5 * time.Minute}, "interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := keepalive.New(e.st, e.svc, tc.cfg).Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an error about the %s", err, tc.want)
			}
		})
	}
}

func messages(calls []domain.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Message
	}
	return out
}

func retcodes(rs []gatewaysim.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Retcode
	}
	return out
}
