package gatewaysim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// waitCtx bounds a wait so a broken test fails instead of hanging.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sendAsync sends c in the background; the result arrives on the channel.
func (h *harness) sendAsync(ctx context.Context, c call) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := h.send(ctx, c)
		done <- err
	}()
	return done
}

func registerCall(guid string) call {
	return call{method: "POST", path: RegisterPath, body: validRegister, guid: guid}
}

func TestRetcodeFaultAnswersTheCodeAndChangesNothing(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	h.sim.Inject(Fault{Op: OpRegister, Retcode: "107-027"})
	r := h.do(t, registerCall(guid))
	expect(t, r, 200, "107-027")
	if r.Env.Message == "" {
		t.Error("a faulted answer has no message")
	}
	if n := len(h.sim.Subscriptions()); n != 0 {
		t.Errorf("%d subscriptions after a faulted register, want 0", n)
	}
	t.Run("a fault without Times applies once", func(t *testing.T) {
		h.register(t, guid, validRegister)
	})
}

func TestFaultTimesAndOps(t *testing.T) {
	tests := []struct {
		name        string
		fault       Fault
		calls       []string // op of each call, in order
		wantRetcode []string
	}{
		{"Times 2 applies to exactly two matching requests",
			Fault{Op: OpRegister, Retcode: "107-026", Times: 2},
			[]string{OpRegister, OpRegister, OpRegister}, []string{"107-026", "107-026", "0"}},
		{"a fault for one op leaves the others alone",
			Fault{Op: OpHandshake, Retcode: "107-032"},
			[]string{OpLogin, OpRegister, OpHandshake, OpHandshake}, []string{"0", "0", "107-032", "0"}},
		{"an empty Op matches login too",
			Fault{Retcode: "107-001", Times: 2},
			[]string{OpLogin, OpRegister, OpRegister}, []string{"107-001", "107-001", "0"}},
		{"Times -1 applies until cleared",
			Fault{Op: OpRegister, Retcode: "107-028", Times: -1},
			[]string{OpRegister, OpRegister, OpRegister, OpRegister}, []string{"107-028", "107-028", "107-028", "107-028"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			id := h.register(t, guid, validRegister)
			h.sim.Inject(tc.fault)
			for i, op := range tc.calls {
				c := map[string]call{
					OpLogin:     {method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)},
					OpRegister:  registerCall(guid),
					OpHandshake: {method: "GET", path: HandshakePrefix + id, guid: guid},
				}[op]
				if got := h.do(t, c).Env.Retcode; got != tc.wantRetcode[i] {
					t.Fatalf("call %d (%s): retcode %q, want %q", i, op, got, tc.wantRetcode[i])
				}
			}
		})
	}
}

func TestClearFaultsEndsAnUntilClearedFault(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	h.sim.Inject(Fault{Op: OpRegister, Retcode: "107-028", Times: -1})
	h.sim.Inject(Fault{Op: OpLogin, HTTPStatus: 500, Times: 3})
	expect(t, h.do(t, registerCall(guid)), 200, "107-028")
	if got := h.sim.Faults(); len(got) != 2 || got[0].Times != -1 || got[1].Times != 3 {
		t.Fatalf("pending faults %+v", got)
	}
	h.sim.ClearFaults()
	if got := h.sim.Faults(); len(got) != 0 {
		t.Fatalf("pending faults after ClearFaults: %+v", got)
	}
	h.register(t, guid, validRegister)
}

func TestHTTPStatusAndMalformedFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
	}{
		{"an HTTPStatus fault answers that status with a body that is not JSON", Fault{Op: OpRegister, HTTPStatus: 503}, 503},
		{"a Malformed fault answers 200 with a body that is not JSON", Fault{Op: OpRegister, Malformed: true}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			h.sim.Inject(tc.fault)
			r := h.do(t, registerCall(guid))
			if r.Status != tc.wantStatus || json.Valid(r.Body) {
				t.Fatalf("HTTP %d body %q; want HTTP %d and a body that is not JSON", r.Status, r.Body, tc.wantStatus)
			}
			logged := h.sim.RequestsFor(OpRegister)
			if len(logged) != 1 || logged[0].Status != tc.wantStatus || logged[0].Retcode != "" {
				t.Errorf("log %+v; want one register answered %d without retcode", logged, tc.wantStatus)
			}
			if n := len(h.sim.Subscriptions()); n != 0 {
				t.Errorf("%d subscriptions, want 0", n)
			}
		})
	}
}

func TestDropClosesTheConnectionAfterReadingTheRequest(t *testing.T) {
	for _, processed := range []bool{false, true} {
		name := map[bool]string{false: "a dropped register creates nothing",
			true: "a processed-then-dropped register creates its subscription"}[processed]
		t.Run(name, func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			h.sim.Inject(Fault{Op: OpRegister, Drop: true, Processed: processed})
			if _, err := h.send(context.Background(), registerCall(guid)); err == nil {
				t.Fatal("the client got an answer to a dropped request")
			}
			logged := h.sim.RequestsFor(OpRegister)
			if len(logged) != 1 || string(logged[0].Body) != validRegister || logged[0].Status != 0 {
				t.Fatalf("log %+v; want the whole register body, status 0", logged)
			}
			want := map[bool]int{false: 0, true: 1}[processed]
			if n := len(h.sim.Subscriptions()); n != want {
				t.Errorf("%d subscriptions, want %d", n, want)
			}
		})
	}
}

func TestHangBlocksUntilReleaseCloseOrTheClientLeaves(t *testing.T) {
	tests := []struct {
		name    string
		unblock func(h *harness, cancel context.CancelFunc)
		wantErr error // nil: any error
	}{
		{"Release ends a hang without an answer", func(h *harness, _ context.CancelFunc) { h.sim.Release() }, nil},
		{"Close ends a hang without an answer", func(h *harness, _ context.CancelFunc) { _ = h.sim.Close() }, nil},
		{"a client that gives up is let go", func(_ *harness, cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			h.sim.Inject(Fault{Op: OpRegister, Hang: true})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := h.sendAsync(ctx, registerCall(guid))
			if err := h.sim.WaitRequests(waitCtx(t), OpRegister, 1); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				t.Fatalf("the hung request returned before it was released: %v", err)
			default:
			}
			tc.unblock(h, cancel)
			err := <-done
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("client error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestAHungRequestDoesNotBlockOthers(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	h.sim.Inject(Fault{Op: OpRegister, Hang: true, Processed: true})
	done := h.sendAsync(context.Background(), registerCall(guid))
	if err := h.sim.WaitRequests(waitCtx(t), OpRegister, 1); err != nil {
		t.Fatal(err)
	}
	h.login(t)
	second := h.register(t, guid, validRegister)
	h.sim.Release()
	if err := <-done; err == nil {
		t.Fatal("a released request got an answer")
	}
	subs := h.sim.Subscriptions()
	if len(subs) != 2 || subs[1].ServerID != second {
		t.Errorf("subscriptions %+v; want the processed hung one and then %s", subs, second)
	}
}

func TestDelay(t *testing.T) {
	t.Run("a delayed request is answered normally after the delay", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		const delay = 30 * time.Millisecond
		h.sim.Inject(Fault{Op: OpRegister, Delay: delay})
		began := time.Now()
		h.register(t, guid, validRegister)
		if took := time.Since(began); took < delay {
			t.Errorf("answered after %v, before the %v delay", took, delay)
		}
	})
	t.Run("a delay then a retcode answers the retcode", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(Fault{Op: OpRegister, Delay: time.Millisecond, Retcode: "107-029"})
		expect(t, h.do(t, registerCall(guid)), 200, "107-029")
	})
	t.Run("a client that gives up during a delay leaves nothing behind", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(Fault{Op: OpRegister, Delay: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := h.sendAsync(ctx, registerCall(guid))
		if err := h.sim.WaitRequests(waitCtx(t), OpRegister, 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("client error %v, want context.Canceled", err)
		}
		if n := len(h.sim.Subscriptions()); n != 0 {
			t.Errorf("%d subscriptions, want 0", n)
		}
	})
}

func TestFaultsApplyToUnknownPathsOnlyThroughAnEmptyOp(t *testing.T) {
	h := start(t, Config{})
	h.sim.Inject(Fault{Op: OpLogin, HTTPStatus: 502})
	h.sim.Inject(Fault{HTTPStatus: 503})
	r := h.do(t, call{method: "GET", path: "/nowhere"})
	if r.Status != 503 || !strings.Contains(string(r.Body), "503") {
		t.Fatalf("unknown path: HTTP %d %q, want the any-op fault's 503", r.Status, r.Body)
	}
	if got := h.sim.Faults(); len(got) != 1 || got[0].Op != OpLogin {
		t.Errorf("pending faults %+v, want only the login one", got)
	}
}
