package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/apptest"
	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"

	"github.com/jackc/pgx/v5/pgxpool"
)

// outageEnv is a console on a private PostgreSQL the test stops and
// starts, with its simulator.
func outageEnv(t *testing.T) (*testEnv, *pgProxy, *pgxpool.Pool) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL of its own")
	}
	db := startPGProxy(t)
	pool, err := database.Open(context.Background(), db.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := database.Migrate(context.Background(), pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return &testEnv{apptest.NewOn(t, pool)}, db, pool
}

// registerAnsweredDuringAnOutage submits a register that the gateway
// grants at once but answers only after the test has stopped the
// database, and returns the serverId granted. The submit must not answer
// 500, and the answer must be in the journal and in the log.
func registerAnsweredDuringAnOutage(t *testing.T, e *testEnv, db *pgProxy) string {
	t.Helper()
	browser, _ := e.User(domain.RoleOperator)
	e.Sim.Inject(gatewaysim.Fault{Op: "register", Delay: time.Hour, Processed: true}) // until Release
	done := make(chan *http.Response, 1)
	go func() { done <- e.Post(browser, "/subscriptions", e.RegisterForm()) }()
	if err := e.Sim.WaitRequests(t.Context(), "register", 1); err != nil {
		t.Fatal(err)
	}
	db.stop()
	e.Sim.Release()
	res := <-done
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the register answered %d during the outage, want 503", res.StatusCode)
	}
	body, _ := io.ReadAll(res.Body)
	page := string(body)
	subs := e.Sim.Subscriptions()
	if len(subs) != 1 {
		t.Fatalf("the gateway holds %d subscriptions, want 1", len(subs))
	}
	if !strings.Contains(page, "granted serverId "+subs[0].ServerID) || !strings.Contains(page, "Do not send it again") {
		t.Errorf("the 503 page does not name the serverId granted:\n%s", page)
	}
	if n := e.App.Subscribe.Journalled(); n != 1 {
		t.Fatalf("%d answers in the journal, want 1", n)
	}
	if logs := e.Logs.String(); !strings.Contains(logs, "kept in the journal") || !strings.Contains(logs, "server_id="+subs[0].ServerID) {
		t.Fatalf("the granted serverId %s is not in the log:\n%s", subs[0].ServerID, logs)
	}
	return subs[0].ServerID
}

// awaitRecorded waits, at most 30 s, until the register that was granted
// serverID is recorded as the success it was: the call, an active
// subscription linked to it, and the register's audit entry.
func awaitRecorded(t *testing.T, pool *pgxpool.Pool, serverID string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var outcome, why string
	for {
		var subs, entries int
		err := pool.QueryRow(t.Context(), `SELECT c.outcome,
				(SELECT count(*) FROM subscriptions s WHERE s.server_id = c.server_id AND s.id = c.subscription_id AND s.state = 'active'),
				(SELECT count(*) FROM audit_log a WHERE a.action = $2 AND a.target_name = c.server_id AND a.outcome = 'success'
					AND a.target_id = c.subscription_id::text)
			FROM calls c WHERE c.operation = 'register' AND c.server_id = $1`, serverID, string(domain.AuditSubRegister)).
			Scan(&outcome, &subs, &entries)
		switch {
		case err != nil:
			why = err.Error()
		case outcome == string(domain.OutcomeSuccess) && subs == 1 && entries == 1:
			return
		default:
			why = "call " + outcome + ", active subscriptions " + strconv.Itoa(subs) + ", audit entries " + strconv.Itoa(entries)
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the database came back the register of %s is not recorded: %s", serverID, why)
		}
		time.Sleep(100 * time.Millisecond) // polling the database, as an operator's page would
	}
}

// TestARegisterAnsweredDuringAnOutageIsRecordedWhenTheDatabaseIsBack: the
// database stops while a register is at the gateway; its answer goes to
// the journal, and once the database is back the call is success with its
// serverId, an active subscription and its audit entry, without a restart.
func TestARegisterAnsweredDuringAnOutageIsRecordedWhenTheDatabaseIsBack(t *testing.T) {
	e, db, pool := outageEnv(t)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	go e.App.ReplayJournal(ctx) // as Serve runs it
	serverID := registerAnsweredDuringAnOutage(t, e, db)

	db.start()
	awaitRecorded(t, pool, serverID)
	if n := e.App.Subscribe.Journalled(); n != 0 {
		t.Errorf("%d answers still in the journal", n)
	}
	// Recorded once: a second round of the sweep and of the replay changes nothing.
	if _, err := e.App.Subscribe.RecoverInterrupted(t.Context()); err != nil {
		t.Fatal(err)
	}
	var calls, subs int
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM calls WHERE operation = 'register'),
		(SELECT count(*) FROM subscriptions)`).Scan(&calls, &subs); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || subs != 1 {
		t.Errorf("%d register calls and %d subscriptions, want 1 and 1", calls, subs)
	}
}

// TestARegisterAnsweredDuringAnOutageSurvivesAGracefulStop: the same, but
// the console is stopped before the database comes back, and the sweep of
// the next console runs first (the call is long past any answer): the
// next console on the same data dir records the answer at start-up, and
// the register reads success, not unknown.
func TestARegisterAnsweredDuringAnOutageSurvivesAGracefulStop(t *testing.T) {
	e, db, pool := outageEnv(t)
	serverID := registerAnsweredDuringAnOutage(t, e, db)
	e.Srv.Close() // the first console stops; its journal stays in its data dir

	db.start()
	// The next console sweeps first, the call being older than any answer
	// can take: the register becomes an unknown subscription to settle.
	if _, err := pool.Exec(t.Context(), `UPDATE calls SET started_at = started_at - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	cfg := apptest.Config("http://127.0.0.1:1")
	cfg.DataDir, cfg.ListenAddr = e.App.Config.DataDir, "127.0.0.1:0"
	next := app.New(app.Parts{Config: cfg, Log: e.Logger(), Pool: pool, Keys: e.Keys})
	if n, err := next.Subscribe.RecoverInterrupted(t.Context()); err != nil || n != 1 {
		t.Fatalf("the sweep settled %d calls (%v), want 1", n, err)
	}
	var state string
	if err := pool.QueryRow(t.Context(), `SELECT state FROM subscriptions`).Scan(&state); err != nil || state != string(domain.SubUnknown) {
		t.Fatalf("after the sweep the subscription is %q (%v), want unknown", state, err)
	}

	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- next.Serve(ctx, io.Discard) }()
	awaitRecorded(t, pool, serverID)
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	var reason string
	if err := pool.QueryRow(t.Context(), `SELECT state_reason FROM subscriptions`).Scan(&reason); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, serverID) || !strings.Contains(reason, "recorded late") {
		t.Errorf("the subscription's reason %q does not say its answer came late", reason)
	}
}

// TestACancelAnsweredDuringAnOutageIsRecordedWhenTheDatabaseIsBack: the
// same for an unregister, through the API: the answer is a JSON 503 that
// says what the gateway did, and once the database is back the call is
// success, the subscription cancelled and the cancel audited, once.
func TestACancelAnsweredDuringAnOutageIsRecordedWhenTheDatabaseIsBack(t *testing.T) {
	e, db, pool := outageEnv(t)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	go e.App.ReplayJournal(ctx)
	browser, _ := e.User(domain.RoleOperator)
	token := e.Token(domain.RoleOperator)
	sub := e.Registered(browser, nil)

	e.Sim.Inject(gatewaysim.Fault{Op: "unregister", Delay: time.Hour, Processed: true}) // until Release
	done := make(chan apptest.Reply, 1)
	go func() {
		done <- e.Call(token, http.MethodPost, "/api/v1/subscriptions/"+strconv.FormatInt(sub.ID, 10)+"/cancel",
			`{"confirmServerId":"`+sub.ServerID+`"}`)
	}()
	if err := e.Sim.WaitRequests(t.Context(), "unregister", 1); err != nil {
		t.Fatal(err)
	}
	db.stop()
	e.Sim.Release()
	reply := <-done
	if reply.Status != http.StatusServiceUnavailable || !strings.Contains(string(reply.Body), "The gateway cancelled subscription "+sub.ServerID) {
		t.Fatalf("the cancel answered %d %s during the outage, want a 503 that says the gateway cancelled it", reply.Status, reply.Body)
	}

	db.start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state, outcome string
		var entries int
		err := pool.QueryRow(t.Context(), `SELECT s.state,
				(SELECT outcome FROM calls WHERE operation = 'unregister' AND subscription_id = s.id),
				(SELECT count(*) FROM audit_log WHERE action = $2 AND target_id = s.id::text AND outcome = 'success')
			FROM subscriptions s WHERE s.id = $1`, sub.ID, string(domain.AuditSubCancel)).Scan(&state, &outcome, &entries)
		if err == nil && state == string(domain.SubCancelled) && outcome == string(domain.OutcomeSuccess) && entries == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the database came back: subscription %s, unregister %s, %d audit entries (%v)", state, outcome, entries, err)
		}
		time.Sleep(100 * time.Millisecond) // polling the database, as an operator's page would
	}
}
