package subscribe_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gateways"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/subscribe"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var tester = domain.Actor{Name: "refusal-tester"}

// process is another ccsub process on the env's database: its own store,
// gateway client (so its own memory of Guids and refusals) and actions. A
// "restart" is one more of these.
func process(e *apptest.Env) *app.App {
	return app.New(app.Parts{Config: apptest.Config(e.Srv.URL), Log: e.Logger(), Pool: e.St.Pool(), Keys: e.Keys})
}

func registerInput(gatewayID int64) subscribe.RegisterInput {
	return subscribe.RegisterInput{GatewayID: gatewayID, SubscribeType: "1", CallbackURI: "https://crm.example.com/cc"}
}

// setPassword saves a gateway's password as an administrator would, through
// the gateways action of a.
func setPassword(t *testing.T, a *app.App, g domain.Gateway, pw string) {
	t.Helper()
	if _, err := a.Gateways.Update(context.Background(), tester, g.ID,
		gateways.Input{Name: g.Name, BaseURL: g.BaseURL, AgentID: g.AgentID, Password: pw, CAPEM: g.CAPEM}); err != nil {
		t.Fatal(err)
	}
}

func gatewayNow(t *testing.T, e *apptest.Env, id int64) domain.Gateway {
	t.Helper()
	g, err := e.St.Gateway(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// wantNotSent checks a call answered from the remembered refusal: rejected
// with the refusal's retcode, no request, and words that say why.
func wantNotSent(t *testing.T, what string, call domain.Call) {
	t.Helper()
	if call.Outcome != domain.OutcomeRejected || call.Retcode != "107-003" || call.Attempts != 0 ||
		!strings.Contains(call.Message, "the gateway refused this password on") || !strings.Contains(call.Message, "asks for one retry") {
		t.Errorf("%s: %s %s, %d attempts, message %q; want rejected 107-003 with nothing sent and the remembered refusal's words",
			what, call.Outcome, call.Retcode, call.Attempts, call.Message)
	}
}

func wantLogins(t *testing.T, sim *gatewaysim.Sim, n int) {
	t.Helper()
	if got := len(sim.RequestsFor("login")); got != n {
		t.Errorf("the simulator received %d logins, want %d (every wrong one counts towards locking the account)", got, n)
	}
}

// TestARefusedPasswordIsTriedOnceByTwoProcessesAndARestart is issue 9,
// point 3: the refusal is in the database, so the process that saw it, a
// second process and a restarted one together send the wrong password
// exactly once, whatever they are asked to do.
func TestARefusedPasswordIsTriedOnceByTwoProcessesAndARestart(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	a, b := e.App, process(e)
	g := e.AddGateway(apptest.Uniq("refusing"), e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
	reg, err := a.Subscribe.Register(ctx, tester, registerInput(g.ID))
	if err != nil || reg.SubscriptionID == nil {
		t.Fatalf("register with the right password: %+v, %v", reg, err)
	}
	sub, err := e.St.Subscription(ctx, *reg.SubscriptionID)
	if err != nil {
		t.Fatal(err)
	}
	// Someone saves a wrong password; every Guid the gateway issued expires.
	setPassword(t, a, g, "not-the-password")
	e.Sim.ExpireGuids()
	e.Sim.ResetLog()

	// Process A: its keep-alive's handshake logs in and is refused.
	res, err := a.Subscribe.Handshake(ctx, sub)
	if err != nil || res.Outcome != domain.OutcomeRejected || res.Retcode != "107-003" || !res.LoginRefused {
		t.Fatalf("first handshake: %+v, %v; want the gateway's 107-003", res, err)
	}
	wantLogins(t, e.Sim, 1)
	refused := gatewayNow(t, e, g.ID).LoginRefused
	if refused == nil || refused.Retcode != "107-003" || time.Since(refused.At) > time.Minute {
		t.Fatalf("the refusal in the database: %+v", refused)
	}

	// Process A again, process B, and a restarted process C: nothing is sent.
	for name, p := range map[string]*app.App{"process A": a, "process B": b, "restarted process": process(e)} {
		call, err := p.Subscribe.Register(ctx, tester, registerInput(g.ID))
		if err != nil {
			t.Fatalf("%s register: %v", name, err)
		}
		wantNotSent(t, name+" register", call)
		if res, err := p.Subscribe.Handshake(ctx, sub); err != nil || res.Outcome != domain.OutcomeRejected || res.Attempts != 0 || res.LoginRefused {
			t.Errorf("%s handshake: %+v, %v; want rejected with nothing sent", name, res, err)
		}
		call, err = p.Subscribe.Modify(ctx, tester, sub, subscribe.ModifyInput{CallbackURI: "https://new.example.com/cb"})
		if err != nil {
			t.Fatalf("%s modify: %v", name, err)
		}
		wantNotSent(t, name+" modify", call)
		call, err = p.Subscribe.Cancel(ctx, tester, sub)
		if err != nil {
			t.Fatalf("%s cancel: %v", name, err)
		}
		wantNotSent(t, name+" cancel", call)
		call, err = p.Subscribe.TestGateway(ctx, tester, g.ID)
		if err != nil {
			t.Fatalf("%s test: %v", name, err)
		}
		wantNotSent(t, name+" connection test", call)
	}
	wantLogins(t, e.Sim, 1)
	if n := len(e.Sim.Requests()); n != 1 {
		t.Errorf("the simulator received %d requests in all, want the one refused login", n)
	}
	if now := gatewayNow(t, e, g.ID); now.LoginRefused == nil || !now.LoginRefused.At.Equal(refused.At) {
		t.Errorf("the refusal changed although nothing was sent: %+v", now.LoginRefused)
	}
	if s, _ := e.St.Subscription(ctx, sub.ID); s.State == domain.SubCancelled {
		t.Error("a cancel that was never sent cancelled the subscription")
	}

	// Saving the right password ends the refusal: the next call logs in.
	setPassword(t, b, g, apptest.SimPassword)
	if now := gatewayNow(t, e, g.ID); now.LoginRefused != nil {
		t.Fatalf("the refusal outlived a new password: %+v", now.LoginRefused)
	}
	call, err := process(e).Subscribe.Register(ctx, tester, registerInput(g.ID))
	if err != nil || call.Outcome != domain.OutcomeSuccess {
		t.Fatalf("register after the new password: %s %q, %v", call.Outcome, call.Message, err)
	}
	wantLogins(t, e.Sim, 2)
}

// TestARefusalRecordedForAnOldPasswordDoesNotBlockTheNewOne: a login
// refused while an administrator was saving a new password must not block
// the new one, and an edit that keeps the credentials keeps the refusal.
func TestARefusalRecordedForAnOldPasswordDoesNotBlockTheNewOne(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	g := e.AddGateway(apptest.Uniq("late-refusal"), e.Sim.URL(), string(e.Sim.CAPEM()), "old-wrong-password")
	old := gatewayNow(t, e, g.ID)
	setPassword(t, e.App, g, apptest.SimPassword)
	if ok, err := e.St.RecordLoginRefusal(ctx, old, "107-003", "wrong password"); err != nil || ok {
		t.Fatalf("a refusal for the replaced password was recorded: %v, %v", ok, err)
	}
	now := gatewayNow(t, e, g.ID)
	if ok, err := e.St.RecordLoginRefusal(ctx, now, "107-003", "wrong password"); err != nil || !ok {
		t.Fatalf("recording the refusal of the current password: %v, %v", ok, err)
	}
	// A rename keeps the password, so it keeps the refusal.
	if _, err := e.App.Gateways.Update(ctx, tester, g.ID, gateways.Input{Name: g.Name + "-renamed", BaseURL: g.BaseURL,
		AgentID: g.AgentID, CAPEM: g.CAPEM}); err != nil {
		t.Fatal(err)
	}
	if gatewayNow(t, e, g.ID).LoginRefused == nil {
		t.Error("a rename ended the refusal")
	}
	// Another agent ID is another account: the refusal was not about it.
	if _, err := e.App.Gateways.Update(ctx, tester, g.ID, gateways.Input{Name: g.Name, BaseURL: g.BaseURL,
		AgentID: g.AgentID + 1, CAPEM: g.CAPEM}); err != nil {
		t.Fatal(err)
	}
	if r := gatewayNow(t, e, g.ID).LoginRefused; r != nil {
		t.Errorf("a new agent ID kept the refusal: %+v", r)
	}
	entries := e.AuditEntries(domain.AuditGatewayUpdate, g.Name)
	if len(entries) == 0 || entries[0].Diff["loginRefused"].Before == nil {
		t.Errorf("the edit that ended the refusal does not say so: %+v", entries)
	}
}

// TestTheAdministratorsRetryMakesExactlyOneLogin: "Try the login once
// more" sends one login whatever else runs, and settles the refusal by its
// answer.
func TestTheAdministratorsRetryMakesExactlyOneLogin(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	g := e.AddGateway(apptest.Uniq("retry"), e.Sim.URL(), string(e.Sim.CAPEM()), "still-wrong")

	if _, err := e.Svc.RetryLogin(ctx, tester, g.ID); !errors.Is(err, subscribe.ErrNotRefused) {
		t.Fatalf("a retry without a refusal: %v, want ErrNotRefused", err)
	}
	wantLogins(t, e.Sim, 0)
	if call, err := e.Svc.TestGateway(ctx, tester, g.ID); err != nil || call.Retcode != "107-003" || call.Attempts != 1 {
		t.Fatalf("first test: %+v, %v", call, err)
	}
	first := gatewayNow(t, e, g.ID).LoginRefused
	if first == nil {
		t.Fatal("the refused test was not remembered")
	}

	t.Run("refused again, it is one login and the refusal stays", func(t *testing.T) {
		e.Sim.ResetLog()
		call, err := process(e).Subscribe.RetryLogin(ctx, tester, g.ID)
		if err != nil || call.Outcome != domain.OutcomeRejected || call.Retcode != "107-003" || call.Attempts != 1 {
			t.Fatalf("retry: %+v, %v", call, err)
		}
		wantLogins(t, e.Sim, 1)
		again := gatewayNow(t, e, g.ID).LoginRefused
		if again == nil || !again.At.After(first.At) {
			t.Errorf("after a refused retry the refusal is %+v, want a newer one than %v", again, first.At)
		}
		if call, _ := e.Svc.TestGateway(ctx, tester, g.ID); call.Attempts != 0 {
			t.Errorf("a test after the refused retry sent %d requests", call.Attempts)
		}
		wantLogins(t, e.Sim, 1)
		entries := e.AuditEntries(domain.AuditGatewayRetry, g.Name)
		if len(entries) != 1 || entries[0].Actor != tester.Name || entries[0].Outcome != "rejected" || entries[0].Diff["retcode"].After != "107-003" {
			t.Errorf("audit entries of the retry: %+v", entries)
		}
	})

	t.Run("two retries at once make one login", func(t *testing.T) {
		e.Sim.ResetLog()
		e.Sim.Inject(gatewaysim.Fault{Op: "login", Delay: 300 * time.Millisecond})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, p := range []*app.App{process(e), process(e)} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = p.Subscribe.RetryLogin(ctx, tester, g.ID)
			}()
		}
		wg.Wait()
		wantLogins(t, e.Sim, 1)
		if !errors.Is(errs[0], subscribe.ErrRetryInProgress) && !errors.Is(errs[1], subscribe.ErrRetryInProgress) {
			t.Errorf("neither retry was told another one is in progress: %v", errs)
		}
	})

	t.Run("accepted, it ends the refusal", func(t *testing.T) {
		// The contact center set the account back to the stored password.
		setPassword(t, e.App, g, apptest.SimPassword)
		e.Sim.Inject(gatewaysim.Fault{Op: "login", Retcode: "107-003"})
		if call, _ := e.Svc.TestGateway(ctx, tester, g.ID); call.Retcode != "107-003" || gatewayNow(t, e, g.ID).LoginRefused == nil {
			t.Fatalf("the injected refusal was not remembered: %+v", call)
		}
		e.Sim.ResetLog()
		call, err := process(e).Subscribe.RetryLogin(ctx, tester, g.ID)
		if err != nil || call.Outcome != domain.OutcomeSuccess || call.Attempts != 1 {
			t.Fatalf("retry: %+v, %v", call, err)
		}
		if r := gatewayNow(t, e, g.ID).LoginRefused; r != nil {
			t.Errorf("a successful retry left the refusal: %+v", r)
		}
		// Process A saw the refusal itself and remembers it in its client;
		// the retry that logged in elsewhere frees it too.
		if call, err := e.Svc.Register(ctx, tester, registerInput(g.ID)); err != nil || call.Outcome != domain.OutcomeSuccess {
			t.Errorf("register after the successful retry, in the process that saw the refusal: %s %q, %v", call.Outcome, call.Message, err)
		}
		wantLogins(t, e.Sim, 2)
	})
}
