package keepalive_test

import (
	"context"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gateways"
	"ccsub/internal/keepalive"
)

// TestAGatewayThatRefusedItsPasswordGetsNoHandshakeAndNoLogin: once the
// gateway refused the stored password (remembered in the database by
// another process), a fresh engine, whose client remembers nothing, sends
// nothing at all: every handshake is recorded as rejected without a
// request, so the subscriptions degrade and lapse (the platform drops them
// anyway), and the automatic re-register of a lapsed one is not sent either.
func TestAGatewayThatRefusedItsPasswordGetsNoHandshakeAndNoLogin(t *testing.T) {
	e := newEnv(t, nil)
	subs := e.register(2, true)
	kept, lapsing := subs[0], subs[1]
	// lapsing's last success is older than the limit: its first failure lapses it.
	if _, err := e.st.Pool().Exec(t.Context(), `UPDATE subscriptions SET last_success_at = now() - interval '1 minute'
		WHERE id = $1`, lapsing.ID); err != nil {
		t.Fatal(err)
	}
	other := newApp(e.st.Pool(), e.keys)
	if _, err := other.Gateways.Update(context.Background(), domain.Actor{Name: "admin"}, e.gw.ID, gateways.Input{
		Name: e.gw.Name, BaseURL: e.gw.BaseURL, AgentID: e.gw.AgentID, Password: "not-the-password", CAPEM: e.gw.CAPEM}); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireGuids()
	if call, err := other.Subscribe.TestGateway(context.Background(), domain.Actor{Name: "admin"}, e.gw.ID); err != nil || call.Retcode != "107-003" {
		t.Fatalf("the test that is refused: %+v, %v", call, err)
	}
	e.sim.ResetLog()

	r := e.start(fastConfig("engine-refused"))
	await(t, "both subscriptions failed their handshakes without a request", func() bool {
		k, l := e.sub(kept.ID), e.sub(lapsing.ID)
		return k.HandshakesFailed >= 2 && k.State == domain.SubDegraded && l.State == domain.SubLapsed
	})
	r.stop(t)

	if reqs := e.sim.Requests(); len(reqs) != 0 {
		t.Fatalf("the simulator received %d requests (first: %s); want none: no handshake, no login", len(reqs), reqs[0].Op)
	}
	for _, sub := range subs {
		for _, c := range e.historyOf(sub.ID, domain.OpHandshake) {
			if c.Outcome != domain.OutcomeRejected || c.Retcode != "107-003" || c.Attempts != 0 ||
				!strings.Contains(c.Message, "the gateway refused this password on") {
				t.Errorf("handshake of %d recorded as %s %s, %d attempts, %q; want rejected 107-003 with nothing sent",
					sub.ID, c.Outcome, c.Retcode, c.Attempts, c.Message)
			}
		}
	}
	got := e.sub(lapsing.ID)
	if got.ReplacedByID != nil {
		t.Errorf("the lapsed subscription was re-registered (by %d) with a refused password", *got.ReplacedByID)
	}
	var reregisters []domain.Call
	for _, c := range e.history() {
		if c.Operation == domain.OpRegister && c.Actor == keepalive.Actor {
			reregisters = append(reregisters, c)
		}
	}
	if len(reregisters) != 1 || reregisters[0].Outcome != domain.OutcomeRejected || reregisters[0].Attempts != 0 {
		t.Errorf("automatic re-registers = %+v; want one, rejected without a request", reregisters)
	}
}
