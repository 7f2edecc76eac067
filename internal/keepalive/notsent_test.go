package keepalive_test

import (
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// A handshake ccsub refuses before sending (here the gateway's CA bundle
// became unusable) is recorded as refused by ccsub: failed, with the
// reason, and nothing reached the gateway.
func TestAHandshakeRefusedByCcsubIsRecordedAsNotSent(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	sub := e.register(1, false)[0]
	if _, err := e.st.Pool().Exec(t.Context(), `UPDATE gateways SET ca_pem = 'not a certificate' WHERE id = $1`, e.gw.ID); err != nil {
		t.Fatal(err)
	}
	before := len(e.sim.HandshakesFor(sub.ServerID))
	r := e.start(fastConfig("engine-a"))
	await(t, "a handshake failed", func() bool { return e.sub(sub.ID).HandshakesFailed >= 1 })
	r.stop(t)
	failed := e.historyOf(sub.ID, domain.OpHandshake)
	if len(failed) == 0 {
		t.Fatal("no failed handshake in the history")
	}
	c := failed[0]
	if !c.RefusedByCcsub || c.Outcome != domain.OutcomeFailed || !strings.Contains(c.NotSentReason(), "no valid PEM certificate") {
		t.Errorf("recorded refused %v, outcome %s, reason %q", c.RefusedByCcsub, c.Outcome, c.NotSentReason())
	}
	if n := len(e.sim.HandshakesFor(sub.ServerID)) - before; n != 0 {
		t.Errorf("%d handshakes reached the gateway", n)
	}
}
