package keepalive_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/config"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/keepalive"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) {
	if runChildEngine() {
		return
	}
	dbtest.Main(m)
}

const simAgent, simPassword = 100001, "sim-password-1"

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// Timing of the fast tests: handshakes every second against a gateway that
// drops a subscription after 5 s without one (the real 2 min and 5 min,
// scaled by 1/60 or so). The lease outlives a handshake (CallTimeout) and
// its recording by a wide margin, even on a loaded machine under the race
// detector, yet runs out within one interval, so a dead engine's work moves
// on in time. Concurrency matches the pool's connections on a small
// machine, so handshakes do not queue for the database inside their lease.
const (
	interval    = time.Second
	limit       = 5 * time.Second
	callTimeout = 400 * time.Millisecond
	lease       = 800 * time.Millisecond
)

func fastConfig(owner string) keepalive.Config {
	return keepalive.Config{Interval: interval, Limit: limit, CallTimeout: callTimeout, Lease: lease,
		Grace: 2 * time.Second, Owner: owner, Concurrency: 4, Log: testLogger()}
}

// testLogger discards, unless KEEPALIVE_TEST_LOG is set to see what the
// engines did.
func testLogger() *slog.Logger {
	if os.Getenv("KEEPALIVE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// env is the package's database and one simulated gateway over real HTTPS.
type env struct {
	t    testing.TB
	st   *store.Store
	keys *secret.Keyring
	svc  *subscribe.Service
	sim  *gatewaysim.Sim
	gw   domain.Gateway
}

// newEnv starts a simulator on clock and configures it as a gateway. When
// the test ends, its subscriptions leave the keep-alive so no later test's
// engine handshakes a closed simulator.
func newEnv(t testing.TB, clock gatewaysim.Clock) *env {
	t.Helper()
	keys, err := secret.ParseKeys(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{simAgent: simPassword}, Clock: clock,
		SubscriptionServers: []string{"crm.example.com"}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	a := newApp(dbtest.Pool(t), keys)
	e := &env{t: t, st: a.Store, keys: keys, svc: a.Subscribe, sim: sim}
	sealed, err := keys.Seal([]byte(simPassword), secret.PurposeGatewayPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.gw, err = e.st.CreateGateway(t.Context(), domain.GatewayInput{Name: fmt.Sprintf("sim-%s-%d", t.Name(), time.Now().UnixNano()),
		BaseURL: sim.URL(), AgentID: simAgent, PasswordSealed: sealed, CAPEM: string(sim.CAPEM())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.park)
	return e
}

// newApp builds the app through the composition root on pool, as one
// ccsub process would: its own store, gateway client and actions.
func newApp(pool *pgxpool.Pool, keys *secret.Keyring) *app.App {
	return app.New(app.Parts{Config: config.Config{GatewayCallTimeout: 5 * time.Second}, Log: testLogger(), Pool: pool, Keys: keys})
}

func (e *env) park() {
	if _, err := e.st.Pool().Exec(context.Background(), `UPDATE subscriptions SET state = 'cancelled',
		next_due_at = NULL, lease_owner = '', lease_until = NULL WHERE gateway_id = $1`, e.gw.ID); err != nil {
		e.t.Error(err)
	}
}

// register makes n subscriptions on the simulator, every other one with a
// service token (so both handshake forms are used).
func (e *env) register(n int, autoReregister bool) []domain.Subscription {
	e.t.Helper()
	subs := make([]domain.Subscription, n)
	for i := range subs {
		in := subscribe.RegisterInput{GatewayID: e.gw.ID, SubscribeType: "1", NLPFlag: i%3 == 0,
			CallbackURI: fmt.Sprintf("https://crm.example.com/cc/events/%d", i), AutoReregister: autoReregister}
		if i%2 == 0 {
			in.ServiceToken = fmt.Sprintf("token-%d-abcdefghijklmnop", i)
		}
		call, err := e.svc.Register(e.t.Context(), domain.Actor{Name: "tester"}, in)
		if err != nil || call.Outcome != domain.OutcomeSuccess || call.SubscriptionID == nil {
			e.t.Fatalf("register %d: %+v, %v", i, call, err)
		}
		subs[i] = e.sub(*call.SubscriptionID)
	}
	return subs
}

func (e *env) sub(id int64) domain.Subscription {
	e.t.Helper()
	sub, err := e.st.Subscription(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// history returns the gateway's calls, newest first.
func (e *env) history() []domain.Call {
	e.t.Helper()
	page, err := e.st.ListCalls(context.Background(), domain.CallFilter{GatewayID: e.gw.ID}, domain.PageRequest{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Calls
}

// historyOf returns the calls about one subscription, oldest first.
func (e *env) historyOf(id int64, op domain.Operation) []domain.Call {
	var out []domain.Call
	calls := e.history()
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		if c.SubscriptionID != nil && *c.SubscriptionID == id && (op == "" || c.Operation == op) {
			out = append(out, c)
		}
	}
	return out
}

// running is an engine running in this process.
type running struct {
	engine *keepalive.Engine
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start runs an engine until stop (or the end of the test).
func (e *env) start(cfg keepalive.Config) *running {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := newApp(e.st.Pool(), e.keys)
	r := &running{engine: keepalive.New(a.Store, a.Subscribe, cfg), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.engine.Run(ctx) }()
	e.t.Cleanup(func() { r.stop(e.t) })
	return r
}

// stop cancels the engine and waits until Run has returned.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("the engine did not stop within a minute")
		}
	})
}

// await polls cond until it holds, failing the test after a deadline that
// only a broken engine reaches.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
