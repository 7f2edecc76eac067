package gateway

import (
	"context"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// TestLoginRefusedSaysTheGatewayRefusedThisCallsLogin: the signal the
// action stores in the database is set only when the gateway itself refused
// a login with a locking code, never for a refusal the client remembered
// (nothing was sent) nor for other refusals or successes.
func TestLoginRefusedSaysTheGatewayRefusedThisCallsLogin(t *testing.T) {
	t.Run("a wrong password, by Login and by an operation", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		tg.Password = "wrong"
		if res := c.Login(context.Background(), tg); !res.LoginRefused || res.Retcode != "107-003" {
			t.Errorf("Login: LoginRefused %v, retcode %q; want true, 107-003", res.LoginRefused, res.Retcode)
		}
		c.Forget(tg.GatewayID) // the next operation logs in instead of repeating the memory
		if res := c.Register(context.Background(), tg, validRegister()); !res.LoginRefused || res.Outcome != domain.OutcomeRejected {
			t.Errorf("Register: LoginRefused %v, outcome %s; want true, rejected", res.LoginRefused, res.Outcome)
		}
		again := c.Handshake(context.Background(), tg, "x-1", "")
		if again.LoginRefused || again.Attempts != 0 {
			t.Errorf("a remembered refusal: LoginRefused %v, attempts %d; want false, 0 (nothing was sent)", again.LoginRefused, again.Attempts)
		}
		wantOps(t, sim, "login", "login")
	})
	t.Run("a refusal that does not lock the account", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		sim.Inject(gatewaysim.Fault{Op: "login", Retcode: "107-002"})
		if res := c.Register(context.Background(), simTarget(sim), validRegister()); res.LoginRefused || res.Retcode != "107-002" {
			t.Errorf("LoginRefused %v, retcode %q; want false, 107-002", res.LoginRefused, res.Retcode)
		}
	})
	t.Run("a login that succeeds", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		if res := c.Login(context.Background(), simTarget(sim)); res.LoginRefused || res.Outcome != domain.OutcomeSuccess {
			t.Errorf("LoginRefused %v, outcome %s", res.LoginRefused, res.Outcome)
		}
	})
}

// TestARefusalEndedElsewhereIsNotRepeated: the client's own memory of a
// refusal is a second guard within one process; when the caller's shared
// record says a refusal was ended since (Target.RefusalsEnded grew), the
// memory no longer blocks the password, and an unchanged count still does.
func TestARefusalEndedElsewhereIsNotRepeated(t *testing.T) {
	sim := startSim(t)
	c, _ := newClient(Config{})
	tg := simTarget(sim)
	sim.Inject(gatewaysim.Fault{Op: "login", Retcode: "107-003"})
	if res := c.Register(context.Background(), tg, validRegister()); !res.LoginRefused {
		t.Fatalf("first register: %+v", res)
	}
	if res := c.Register(context.Background(), tg, validRegister()); res.Attempts != 0 || res.Outcome != domain.OutcomeRejected {
		t.Fatalf("with the same count the memory must still block: %+v", res)
	}
	tg.RefusalsEnded++
	if res := c.Register(context.Background(), tg, validRegister()); res.Outcome != domain.OutcomeSuccess {
		t.Fatalf("after the refusal was ended elsewhere: %s %q", res.Outcome, res.Message)
	}
	wantOps(t, sim, "login", "login", "register")
}
