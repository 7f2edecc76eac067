package retention_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"ccsub/internal/audit"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/retention"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const day = 24 * time.Hour

// policy is the default windows (audit off), as config.Parse sets them.
var policy = domain.RetentionPolicy{
	domain.RetainCalls: 365 * day, domain.RetainNotifications: 90 * day, domain.RetainRefusedPushes: 30 * day,
	domain.RetainHeartbeats: 25 * time.Hour, domain.RetainFailedHandshakes: 90 * day,
}

// fixture is a database of the test's own (retention acts on whole
// tables) with a gateway, and helpers that put rows of every kind at a
// chosen age.
type fixture struct {
	t    *testing.T
	pool *pgxpool.Pool
	st   *store.Store
	gw   int64
}

func newFixture(t *testing.T) *fixture {
	pool, _ := dbtest.Isolated(t)
	f := &fixture{t: t, pool: pool, st: store.New(pool)}
	f.gw = f.id(`INSERT INTO gateways (name, base_url, agent_id, password_sealed)
		VALUES ('gw', 'https://10.0.0.1:8043', 100001, '\x00') RETURNING id`)
	return f
}

func (f *fixture) id(sql string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// call inserts a history row of op started age ago about sub (0: none).
func (f *fixture) call(op, outcome string, age time.Duration, sub int64, serverID string) int64 {
	f.t.Helper()
	var subID *int64
	if sub != 0 {
		subID = &sub
	}
	return f.id(`INSERT INTO calls (started_at, gateway_id, gateway_name, actor, operation, outcome, server_id, subscription_id)
		VALUES (now() - $1::interval, $2, 'gw', 'alice', $3, $4, $5, $6) RETURNING id`, age, f.gw, op, outcome, serverID, subID)
}

// subscription inserts a subscription in state whose register call is
// registerCall.
func (f *fixture) subscription(serverID, state string, registerCall int64) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO subscriptions (gateway_id, server_id, state, subscribe_type, callback_uri, nlp_flag,
			created_by, register_call_id)
		VALUES ($1, $2, $3, '1', 'https://crm.example.com/cb', false, 'alice', $4) RETURNING id`, f.gw, serverID, state, registerCall)
}

func (f *fixture) push(accepted bool, age time.Duration) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO notifications (received_at, receiver_key, accepted, http_status)
		VALUES (now() - $1::interval, 'rk', $2, 200) RETURNING id`, age, accepted)
}

// auditAt appends an entry written at (a valid link of the chain, as
// AppendAudit would have written it then).
func (f *fixture) auditAt(at time.Time) int64 {
	f.t.Helper()
	prev := make([]byte, sha256.Size)
	err := f.pool.QueryRow(context.Background(), `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		f.t.Fatal(err)
	}
	at = at.UTC().Truncate(time.Microsecond)
	e := domain.AuditEntry{Actor: "alice", Action: domain.AuditLogin, Outcome: "success"}
	return f.id(`INSERT INTO audit_log (at, actor, action, outcome, diff, prev_hash, hash)
		VALUES ($1, 'alice', 'login', 'success', '{}', $2, $3) RETURNING id`, at, prev, store.AuditHash(prev, at, e, "{}"))
}

func (f *fixture) ids(sql string) []int64 {
	f.t.Helper()
	rows, err := f.pool.Query(context.Background(), sql)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (f *fixture) service(p domain.RetentionPolicy) *retention.Service {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Batches of 2 rows, so every kind takes several and the cursors move.
	return retention.New(f.st, audit.New(f.st, log), log, retention.Options{Policy: p, Batch: 2, Pause: time.Millisecond})
}

// Retention deletes each kind once older than its own window, keeps every
// row inside its window and what it must keep whatever its age, and never
// touches the audit trail when no window is set for it; the run is
// recorded and audited once.
func TestARunDeletesOnlyRowsOutsideTheirWindowAndNeverTheAuditTrail(t *testing.T) {
	f := newFixture(t)
	old, recent := 400*day, 300*day // outside and inside the calls' year

	// Subscriptions and their register calls, all older than a year.
	liveReg := f.call("register", "success", old, 0, "srv-live")
	live := f.subscription("srv-live", "active", liveReg)
	goneReg := f.call("register", "success", old, 0, "srv-gone")
	gone := f.subscription("srv-gone", "cancelled", goneReg)

	keep := map[string]int64{
		"register call of an active subscription":                     liveReg,
		"register call of a cancelled subscription":                   goneReg,
		"a call inside the year":                                      f.call("modify", "success", recent, live, "srv-live"),
		"a pending call":                                              f.call("modify", "pending", old, live, "srv-live"),
		"newest unregister of a subscription not cancelled":           f.call("unregister", "rejected", old-day, live, "srv-live"),
		"failed handshake inside its 90 days":                         f.call("handshake", "failed", 89*day, live, "srv-live"),
		"a state change inside the year (older than the handshakes')": f.call("state_change", "success", 200*day, live, "srv-live"),
	}
	drop := map[string]int64{
		"a modify older than a year":                    f.call("modify", "success", old, live, "srv-live"),
		"an older unregister of a live subscription":    f.call("unregister", "rejected", old, live, "srv-live"),
		"an unregister of a cancelled subscription":     f.call("unregister", "success", old, gone, "srv-gone"),
		"a failed register (no subscription)":           f.call("register", "failed", old, 0, ""),
		"a failed handshake older than its 90 days":     f.call("handshake", "failed", 91*day, live, "srv-live"),
		"a failed handshake still inside calls' window": f.call("handshake", "unknown", 200*day, live, "srv-live"),
		"a login older than a year":                     f.call("login", "success", old, 0, ""),
	}
	f.exec(`INSERT INTO submissions (key, call_id) VALUES ('k-kept', $1), ('k-gone', $2)`, liveReg, drop["a failed register (no subscription)"])

	pushesKept := []int64{f.push(true, 89*day), f.push(false, 29*day), f.push(true, 60*day)}
	pushesGone := []int64{f.push(true, 91*day), f.push(false, 31*day), f.push(false, 60*day)}

	f.exec(`INSERT INTO heartbeats (subscription_id, bucket, ok) VALUES
		($1, date_trunc('hour', now()) - interval '26 hours', 1), ($1, date_trunc('hour', now()) - interval '2 hours', 1),
		($1, date_trunc('hour', now()) - interval '30 days', 1)`, live)

	// The audit trail: entries far older than any window, and recent ones.
	for _, age := range []time.Duration{3650 * day, 400 * day, 100 * day, time.Hour} {
		f.auditAt(time.Now().Add(-age))
	}
	auditBefore := f.ids(`SELECT id FROM audit_log ORDER BY id`)

	run, err := f.service(policy).Run(t.Context(), retention.Scheduler, domain.RunScheduled)
	if err != nil {
		t.Fatal(err)
	}

	calls := f.ids(`SELECT id FROM calls`)
	for what, id := range keep {
		if !slices.Contains(calls, id) {
			t.Errorf("call %d (%s) was deleted; retention must keep it", id, what)
		}
	}
	for what, id := range drop {
		if slices.Contains(calls, id) {
			t.Errorf("call %d (%s) is still there; it is past its window", id, what)
		}
	}
	if keys := f.ids(`SELECT call_id FROM submissions ORDER BY call_id`); !slices.Equal(keys, []int64{liveReg}) {
		t.Errorf("submissions left for calls %v; want only the kept register call's (%d)", keys, liveReg)
	}
	pushes := f.ids(`SELECT id FROM notifications`)
	for _, id := range pushesKept {
		if !slices.Contains(pushes, id) {
			t.Errorf("push %d was deleted inside its window", id)
		}
	}
	for _, id := range pushesGone {
		if slices.Contains(pushes, id) {
			t.Errorf("push %d is still there past its window", id)
		}
	}
	var beats int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM heartbeats`).Scan(&beats); err != nil || beats != 1 {
		t.Errorf("heartbeats left: %d, %v; want the one of 2 hours ago", beats, err)
	}

	auditAfter := f.ids(`SELECT id FROM audit_log ORDER BY id`)
	if len(auditAfter) != len(auditBefore)+1 || !slices.Equal(auditAfter[:len(auditBefore)], auditBefore) {
		t.Errorf("audit trail went from %v to %v; want every entry kept and one added for the run", auditBefore, auditAfter)
	}
	if v, err := f.st.VerifyAuditChain(t.Context()); err != nil || v.Break != nil || v.Anchor != 0 {
		t.Errorf("VerifyAuditChain = %+v, %v; want the whole chain intact from genesis", v, err)
	}

	want := map[domain.RetentionKind]int64{domain.RetainCalls: 5, domain.RetainFailedHandshakes: 2,
		domain.RetainNotifications: 1, domain.RetainRefusedPushes: 2, domain.RetainHeartbeats: 2}
	if run.Status != domain.RunDone || run.FinishedAt == nil || !mapsEqual(run.Deleted, want) {
		t.Errorf("run = %+v; want done with %v", run, want)
	}
	runs, err := f.st.RetentionRuns(t.Context(), 5)
	if err != nil || len(runs) != 1 || runs[0].ID != run.ID || runs[0].Status != domain.RunDone ||
		runs[0].Policy[domain.RetainCalls] != 365*day || runs[0].Policy[domain.RetainAudit] != 0 {
		t.Errorf("recorded runs = %+v, %v; want this run, done, with the policy it applied", runs, err)
	}
	entries := auditEntries(t, f.st, domain.AuditRetentionRun)
	if len(entries) != 1 {
		t.Fatalf("%d retention_run audit entries; want exactly 1", len(entries))
	}
	e := entries[0]
	if e.Actor != "ccsub" || e.TargetType != domain.TargetRetention || e.TargetID != itoa(run.ID) || e.Outcome != "success" ||
		e.Diff["deleted.calls"].After != float64(5) || e.Diff["keep.audit"].After != "for ever" || e.Diff["keep.calls"].After != "365d" {
		t.Errorf("audit entry = %+v; want actor ccsub, the run as target, the counts and the policy", e)
	}
}

// With a window set for it, the audit trail loses its oldest entries,
// from the start of the chain only, and the chain still verifies.
func TestTheAuditTrailIsDeletedOnlyWhenAWindowIsSetAndStillVerifies(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	f.auditAt(now.Add(-800 * day))
	f.auditAt(now.Add(-700 * day))
	old3 := f.auditAt(now.Add(-600 * day))
	mid := f.auditAt(now.Add(-100 * day))
	// Older than the window, but after an entry inside it: the chain is cut
	// only from its start, so it stays.
	late := f.auditAt(now.Add(-500 * day))
	head := f.auditAt(now.Add(-time.Hour))

	p := domain.RetentionPolicy{domain.RetainAudit: 365 * day}
	run, err := f.service(p).Run(t.Context(), domain.Actor{Name: "cli:root", Addr: "local"}, domain.RunCLI)
	if err != nil {
		t.Fatal(err)
	}
	left := f.ids(`SELECT id FROM audit_log WHERE action = 'login' ORDER BY id`)
	if !slices.Equal(left, []int64{mid, late, head}) {
		t.Errorf("entries left %v; want %v (the first three, before %d, deleted)", left, []int64{mid, late, head}, mid)
	}
	if run.Deleted[domain.RetainAudit] != 3 {
		t.Errorf("run deleted %v; want 3 audit entries", run.Deleted)
	}
	v, err := f.st.VerifyAuditChain(t.Context())
	if err != nil || v.Break != nil || v.Anchor != old3 {
		t.Errorf("VerifyAuditChain = %+v, %v; want intact, anchored on entry %d", v, err, old3)
	}

	// The trail stays append-only for everyone else.
	if _, err := f.pool.Exec(t.Context(), `DELETE FROM audit_log WHERE id = $1`, mid); err == nil {
		t.Error("a plain DELETE of an audit entry went through")
	}
}

// One run at a time, whichever process or person asks; a second submit of
// the same form starts nothing; the hourly run is shared by processes.
func TestOneRunAtATimeAndOneFormOneRun(t *testing.T) {
	f := newFixture(t)
	svc := f.service(policy)
	admin := domain.Actor{Name: "alice", Addr: "127.0.0.1"}
	first, err := svc.Start(t.Context(), admin, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := svc.Start(t.Context(), admin, "key-1")
	if !errors.Is(err, domain.ErrDuplicateSubmission) || again.ID != first.ID {
		t.Errorf("same form again = run %d, %v; want run %d and ErrDuplicateSubmission", again.ID, err, first.ID)
	}
	done := waitForRun(t, f.st, first.ID)
	if done.Status != domain.RunDone || done.Actor != "alice" || done.Trigger != domain.RunManual {
		t.Errorf("run = %+v; want done, by alice, manual", done)
	}
	if n := len(auditEntries(t, f.st, domain.AuditRetentionRun)); n != 1 {
		t.Errorf("%d audit entries for one run; want 1", n)
	}

	// A run in progress (its row open) refuses another.
	f.exec(`INSERT INTO retention_runs (trigger, actor, policy) VALUES ('cli', 'cli:bob', '{}')`)
	busy, err := svc.Start(t.Context(), admin, "key-2")
	if !errors.Is(err, domain.ErrConflict) || busy.Actor != "cli:bob" {
		t.Errorf("Start while a run is in progress = %+v, %v; want that run and ErrConflict", busy, err)
	}
	if _, err := svc.Run(t.Context(), admin, domain.RunCLI); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Run while a run is in progress = %v; want ErrConflict", err)
	}
	// …until it stops reporting progress: then it counts as abandoned.
	f.exec(`UPDATE retention_runs SET progress_at = now() - interval '11 minutes' WHERE finished_at IS NULL`)
	next, err := svc.Run(t.Context(), admin, domain.RunCLI)
	if err != nil || next.Status != domain.RunDone {
		t.Fatalf("Run after the other went silent = %+v, %v", next, err)
	}
	runs, _ := f.st.RetentionRuns(t.Context(), 10)
	if len(runs) != 3 || runs[1].Status != domain.RunAbandoned {
		t.Errorf("runs = %+v; want the silent one abandoned", runs)
	}

	// The hourly run skips when any run started within the hour.
	sched := retention.New(f.st, audit.New(f.st, slog.New(slog.NewTextHandler(io.Discard, nil))),
		slog.New(slog.NewTextHandler(io.Discard, nil)), retention.Options{Policy: policy})
	if _, err := sched.RunIfDue(t.Context()); !errors.Is(err, store.ErrNotDue) {
		t.Errorf("the hourly run = %v although run %d started a moment ago; want store.ErrNotDue", err, next.ID)
	}
	f.exec(`UPDATE retention_runs SET started_at = started_at - interval '2 hours', progress_at = progress_at - interval '2 hours',
		finished_at = finished_at - interval '2 hours'`)
	if _, err := sched.RunIfDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if after, _ := f.st.RetentionRuns(t.Context(), 10); len(after) != 4 || after[0].Trigger != domain.RunScheduled || after[0].Actor != "ccsub" {
		t.Errorf("runs after an hour = %+v; want a new hourly run by ccsub", after)
	}
}

func waitForRun(t *testing.T, st *store.Store, id int64) domain.RetentionRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := st.RetentionRuns(t.Context(), 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.ID == id && r.Status != domain.RunRunning {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %d did not finish within 10 s", id)
	return domain.RetentionRun{}
}

func auditEntries(t *testing.T, st *store.Store, action domain.AuditAction) []domain.AuditEntry {
	t.Helper()
	page, err := st.ListAudit(t.Context(), domain.AuditFilter{Action: action}, domain.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}

func mapsEqual(a, b map[domain.RetentionKind]int64) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
