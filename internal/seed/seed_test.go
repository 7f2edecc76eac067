package seed

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func testKeys(t *testing.T) *secret.Keyring {
	t.Helper()
	kr, err := secret.ParseKeys(base64.StdEncoding.EncodeToString([]byte("internal/seed test key, 32 bytes")))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// small is a data set that a test writes in a second or two, with every
// kind of row in it.
func small() Options {
	o := Defaults()
	o.Calls, o.Subscriptions, o.Notifications, o.Audit = 6000, 80, 900, 700
	o.Gateways, o.Hosts, o.Months, o.Seed = 3, 40, 12, 7
	o.PublicURL = "https://ccsub.example.com"
	return o
}

// count runs a query returning one number.
func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func run(t *testing.T, pool *pgxpool.Pool, o Options) (Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	return Run(ctx, store.New(pool), testKeys(t), o)
}

func TestSeedWritesARealisticYear(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	o := small()
	rep, err := run(t, pool, o)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)

	t.Run("every table has the rows asked for", func(t *testing.T) {
		for table, want := range map[string]int64{"calls": int64(o.Calls), "subscriptions": int64(o.Subscriptions),
			"notifications": int64(o.Notifications), "audit_log": int64(o.Audit)} {
			if got := count(t, pool, "SELECT count(*) FROM "+table); got != want {
				t.Errorf("%s: %d rows, want %d", table, got, want)
			}
			if got := rep.Rows(table); got != want {
				t.Errorf("report: %s %d rows, want %d", table, got, want)
			}
		}
		if n := count(t, pool, "SELECT count(*) FROM gateways WHERE name LIKE 'seed-gw-%' AND base_url LIKE 'https://192.0.2.%'"); n != int64(o.Gateways) {
			t.Errorf("%d seeded gateways, want %d", n, o.Gateways)
		}
		if n := count(t, pool, "SELECT count(DISTINCT gateway_id) FROM calls"); n != int64(o.Gateways) {
			t.Errorf("calls on %d gateways, want %d", n, o.Gateways)
		}
		if n := count(t, pool, "SELECT count(*) FROM heartbeats"); n == 0 {
			t.Error("no heartbeats")
		}
	})

	t.Run("rows are in time order: ids grow with time", func(t *testing.T) {
		for _, q := range []string{
			"SELECT count(*) FROM (SELECT started_at < lag(started_at) OVER (ORDER BY id) AS back FROM calls) x WHERE back",
			"SELECT count(*) FROM (SELECT received_at < lag(received_at) OVER (ORDER BY id) AS back FROM notifications) x WHERE back",
			"SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back FROM subscriptions) x WHERE back",
		} {
			if n := count(t, pool, q); n != 0 {
				t.Errorf("%d rows older than the row before them: %s", n, q)
			}
		}
		if n := count(t, pool, "SELECT count(*) FROM calls WHERE started_at < $1 OR finished_at > $2 OR finished_at < started_at",
			rep.From, rep.To); n != 0 {
			t.Errorf("%d calls outside %s – %s", n, rep.From, rep.To)
		}
		// The history spans the months asked for, not a corner of them.
		if n := count(t, pool, "SELECT count(DISTINCT date_trunc('month', started_at)) FROM calls"); n < int64(o.Months) {
			t.Errorf("calls in %d months, want %d or more", n, o.Months)
		}
	})

	t.Run("subscriptions are in every state and linked to their register calls", func(t *testing.T) {
		if n := count(t, pool, "SELECT count(DISTINCT state) FROM subscriptions"); n != int64(len(domain.SubStates)) {
			t.Errorf("%d states, want all %d", n, len(domain.SubStates))
		}
		if n := count(t, pool, `SELECT count(*) FROM subscriptions s JOIN calls c ON c.id = s.register_call_id
			WHERE c.operation = 'register' AND c.subscription_id = s.id AND c.server_id = s.server_id
				AND c.gateway_id = s.gateway_id AND c.callback_uri = s.callback_uri
				AND (c.outcome = 'success') = (s.state <> 'unknown')`); n != int64(o.Subscriptions) {
			t.Errorf("%d subscriptions match their register call, want %d", n, o.Subscriptions)
		}
		if n := count(t, pool, `SELECT count(*) FROM subscriptions WHERE server_id !~ '^[0-9]{14}-[0-9]{3}-[0-9]{5}$' AND state <> 'unknown'`); n != 0 {
			t.Errorf("%d serverIds not in the gateway's format", n)
		}
		if n := count(t, pool, `SELECT count(*) FROM subscriptions s WHERE state = 'cancelled' AND NOT EXISTS (
			SELECT 1 FROM calls c WHERE c.subscription_id = s.id AND c.operation = 'unregister' AND c.outcome = 'success')`); n != 0 {
			t.Errorf("%d cancelled subscriptions without their successful unregister", n)
		}
		if n := count(t, pool, `SELECT count(*) FROM subscriptions n JOIN subscriptions o ON o.id = n.replaces_id
			WHERE o.replaced_by_id IS DISTINCT FROM n.id OR o.state <> 'lapsed' OR n.created_at < o.lapsed_at OR n.created_by <> 'keep-alive'`); n != 0 {
			t.Errorf("%d replacements that do not match what they replace", n)
		}
		if n := count(t, pool, `SELECT count(*) FROM subscriptions WHERE state IN ('active', 'degraded') AND next_due_at IS NULL
			OR state = 'lapsed' AND lapsed_at IS NULL OR state = 'degraded' AND consecutive_failures = 0`); n != 0 {
			t.Errorf("%d subscriptions whose keep-alive columns contradict their state", n)
		}
	})

	t.Run("the history has a deployment's mix", func(t *testing.T) {
		if n := count(t, pool, "SELECT count(DISTINCT operation) FROM calls"); n != int64(len(domain.Operations)) {
			t.Errorf("%d operations, want all %d", n, len(domain.Operations))
		}
		if n := count(t, pool, "SELECT count(*) FROM calls WHERE outcome = 'success'"); n < int64(o.Calls)/2 {
			t.Errorf("%d successes of %d calls: want mostly success", n, o.Calls)
		}
		var top string
		if err := pool.QueryRow(t.Context(), `SELECT retcode FROM calls WHERE outcome = 'rejected'
			GROUP BY retcode ORDER BY count(*) DESC LIMIT 1`).Scan(&top); err != nil || top != "107-032" {
			t.Errorf("most common refusal %q (%v), want 107-032", top, err)
		}
		if n := count(t, pool, "SELECT count(*) FROM calls WHERE retcode <> '' AND NOT (retcode = ANY($1))", domain.KnownRetcodes()); n != 0 {
			t.Errorf("%d calls with a retcode the contract does not list", n)
		}
		if n := count(t, pool, `SELECT count(DISTINCT substring(callback_uri FROM '^https://([^/:]+)')) FROM calls`); n < int64(o.Hosts)/2 {
			t.Errorf("callbacks to %d hosts, want most of the %d", n, o.Hosts)
		}
	})

	t.Run("pushes go to receiver subscriptions while they live", func(t *testing.T) {
		if n := count(t, pool, `SELECT count(*) FROM notifications n JOIN subscriptions s ON s.id = n.subscription_id
			WHERE n.received_at < s.created_at OR NOT s.callback_uri LIKE $1 || '/receiver/' || n.receiver_key`, o.PublicURL); n != 0 {
			t.Errorf("%d pushes to a subscription not yet registered, or not to its receiver", n)
		}
		if n := count(t, pool, "SELECT count(*) FROM notifications WHERE NOT accepted AND received_at < now() - interval '31 days'"); n != 0 {
			t.Errorf("%d refused pushes older than the receiver keeps them", n)
		}
		rows, err := pool.Query(t.Context(), "SELECT receiver_key, body, digest FROM notifications WHERE accepted LIMIT 50")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var key, body string
			var digest []byte
			if err := rows.Scan(&key, &body, &digest); err != nil {
				t.Fatal(err)
			}
			if want := canonicalDigest(t, key, body); string(digest) != string(want) {
				t.Errorf("digest of %s is not the receiver's", body)
			}
		}
	})

	t.Run("service tokens are sealed with the console's keys", func(t *testing.T) {
		var sub, call []byte
		if err := pool.QueryRow(t.Context(), `SELECT s.token_sealed, c.token_sealed FROM subscriptions s
			JOIN calls c ON c.id = s.register_call_id WHERE s.token_sealed IS NOT NULL LIMIT 1`).Scan(&sub, &call); err != nil {
			t.Fatal(err)
		}
		a, errA := testKeys(t).Open(sub, secret.PurposeServiceToken)
		b, errB := testKeys(t).Open(call, secret.PurposeServiceToken)
		if errA != nil || errB != nil || len(a) == 0 || string(a) != string(b) {
			t.Errorf("tokens %q, %q (%v, %v): want one token, opened", a, b, errA, errB)
		}
	})

	t.Run("the audit trail's hash chain verifies", func(t *testing.T) {
		v, err := st.VerifyAuditChain(t.Context())
		if err != nil || v.Break != nil || v.Checked != int64(o.Audit) {
			t.Errorf("verify: checked %d, break %+v, err %v; want %d intact", v.Checked, v.Break, err, o.Audit)
		}
		if n := count(t, pool, `SELECT count(*) FROM audit_log a JOIN subscriptions s ON a.target_id = s.id::text
			WHERE a.action = 'subscription_register' AND (a.diff::jsonb -> 'callId' ->> 'after')::bigint = s.register_call_id`); n == 0 {
			t.Error("no register entry names its subscription's register call")
		}
	})

	t.Run("the lists the pages show return rows", func(t *testing.T) {
		calls, err := st.ListCalls(t.Context(), domain.CallFilter{}, domain.PageRequest{Limit: 50})
		if err != nil || len(calls.Calls) != 50 || calls.Older == nil {
			t.Errorf("ListCalls: %d calls, older %v, err %v", len(calls.Calls), calls.Older, err)
		}
		pushes, err := st.ListNotifications(t.Context(), domain.NotificationFilter{}, domain.PageRequest{Limit: 50})
		if err != nil || len(pushes.Notifications) == 0 {
			t.Errorf("ListNotifications: %d, err %v", len(pushes.Notifications), err)
		}
		entries, err := st.ListAudit(t.Context(), domain.AuditFilter{}, domain.PageRequest{Limit: 50})
		if err != nil || len(entries.Entries) == 0 {
			t.Errorf("ListAudit: %d, err %v", len(entries.Entries), err)
		}
	})
}

// canonicalDigest is the receiver's pushDigest (internal/receiver).
func canonicalDigest(t *testing.T, key, body string) []byte {
	t.Helper()
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(canonicalJSON(t, body))
	return h.Sum(nil)
}

func TestSeedIsReproducible(t *testing.T) {
	o := small()
	o.Calls, o.Subscriptions, o.Notifications, o.Audit = 1500, 20, 100, 200
	o.Now = time.Now().Add(-time.Hour)
	var sums [2]string
	for i := range sums {
		pool, _ := dbtest.Isolated(t)
		if _, err := run(t, pool, o); err != nil {
			t.Fatal(err)
		}
		// Everything but what is sealed (random nonces) and the audit
		// hashes (they cover the ids of a fresh database only by chance).
		if err := pool.QueryRow(t.Context(), `SELECT md5(string_agg(concat_ws('|', id, started_at, duration_us, gateway_name,
				actor, operation, outcome, retcode, message, server_id, callback_uri, request_body, response_body, error,
				subscription_id), E'\n' ORDER BY id)) FROM calls`).Scan(&sums[i]); err != nil {
			t.Fatal(err)
		}
	}
	if sums[0] != sums[1] {
		t.Errorf("two loads with --seed %d differ", o.Seed)
	}
}

func TestSeedRefusesADatabaseWithRealData(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	st := store.New(pool)
	o := small()
	o.Calls, o.Subscriptions, o.Notifications, o.Audit = 1500, 20, 100, 200
	if _, err := st.CreateUser(t.Context(), "admin", domain.RoleAdmin, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, pool, o); err != nil {
		t.Fatalf("a console's first admin alone is no real data: %v", err)
	}
	if _, err := run(t, pool, o); err != nil {
		t.Fatalf("seeded data is no real data: %v", err)
	}
	if n := count(t, pool, "SELECT count(*) FROM calls"); n != 2*int64(o.Calls) {
		t.Errorf("%d calls after two loads, want %d", n, 2*o.Calls)
	}
	if v, err := st.VerifyAuditChain(t.Context()); err != nil || v.Break != nil || v.Checked != 2*int64(o.Audit) {
		t.Errorf("after two loads: checked %d, break %+v, err %v", v.Checked, v.Break, err)
	}

	for _, real := range []struct {
		name, sql, want string
	}{
		{"a gateway of its own", `INSERT INTO gateways (name, base_url, agent_id, password_sealed)
			VALUES ('Frankfurt', 'https://10.1.2.3:8043', 1234, '\x00')`, `gateways ["Frankfurt"]`},
		{"calls on the simulator", `WITH g AS (INSERT INTO gateways (name, base_url, agent_id, password_sealed)
			VALUES ('simulator', 'https://127.0.0.1:1', 100001, '\x00') RETURNING id, name)
			INSERT INTO calls (gateway_id, gateway_name, actor, operation) SELECT id, name, 'alice', 'login' FROM g`, "gateway calls"},
		{"a user besides the first admin", `INSERT INTO users (username, role, password_hash)
			VALUES ('admin', 'admin', 'x'), ('alice', 'operator', 'x')`, "2 users"},
	} {
		t.Run(real.name, func(t *testing.T) {
			pool, _ := dbtest.Isolated(t)
			if _, err := pool.Exec(t.Context(), real.sql); err != nil {
				t.Fatal(err)
			}
			before := count(t, pool, "SELECT count(*) FROM users")
			_, err := run(t, pool, o)
			var rd *RealDataError
			if !errors.Is(err, ErrRealData) || !errors.As(err, &rd) || !strings.Contains(err.Error(), real.want) ||
				!strings.Contains(err.Error(), "--force") {
				t.Fatalf("err = %v, want a refusal naming %s and --force", err, real.want)
			}
			if n := count(t, pool, "SELECT count(*) FROM users"); n != before {
				t.Errorf("a refused load left %d users, want %d", n, before)
			}
			if n := count(t, pool, "SELECT count(*) FROM subscriptions"); n != 0 {
				t.Errorf("a refused load left %d subscriptions", n)
			}
			o := o
			o.Force = true
			if _, err := run(t, pool, o); err != nil {
				t.Fatalf("with Force: %v", err)
			}
		})
	}
}

func TestSeedRefusesTooFewCallsBeforeWriting(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	o := small()
	o.Calls = 50
	_, err := run(t, pool, o)
	if err == nil || !regexp.MustCompile(`--calls 50 is too few for --subscriptions 80: .* are \d+ calls`).MatchString(err.Error()) {
		t.Fatalf("err = %v", err)
	}
	o = small()
	o.Audit = 10
	if _, err := run(t, pool, o); err == nil || !strings.Contains(err.Error(), "--audit 10 is too few") {
		t.Fatalf("err = %v", err)
	}
	if n := count(t, pool, "SELECT count(*) FROM users"); n != 0 {
		t.Errorf("a refused load left %d users", n)
	}
}

func TestSeedRebuildsIndexesItDropped(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	indexes := func() int64 {
		return count(t, pool, `SELECT count(*) FROM pg_indexes WHERE tablename IN ('calls', 'notifications', 'audit_log')`)
	}
	before := indexes()
	o := small()
	o.Indexes = IndexesRebuild
	rep, err := run(t, pool, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rebuilt) != 3 || len(rep.Indexes) == 0 {
		t.Errorf("rebuilt %v (%d indexes), want calls, notifications, audit_log", rep.Rebuilt, len(rep.Indexes))
	}
	if after := indexes(); after != before {
		t.Errorf("%d indexes after the load, %d before", after, before)
	}
	if n := count(t, pool, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relname IN ('calls', 'notifications', 'audit_log') AND NOT i.indisvalid`); n != 0 {
		t.Errorf("%d invalid indexes", n)
	}
}

func TestSeedHoldsOnlyWhatRetentionKeeps(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	o := small()
	day := 24 * time.Hour
	o.Keep = domain.RetentionPolicy{domain.RetainCalls: 200 * day, domain.RetainFailedHandshakes: 30 * day,
		domain.RetainNotifications: 60 * day, domain.RetainRefusedPushes: 10 * day}
	rep, err := run(t, pool, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Shortened || rep.To.Sub(rep.From) != 200*day {
		t.Errorf("history from %s to %s (shortened %v), want the last 200 days", rep.From, rep.To, rep.Shortened)
	}
	for what, q := range map[string]string{
		"calls older than 200 days":            "SELECT count(*) FROM calls WHERE started_at < $1::timestamptz - interval '200 days'",
		"failed handshakes older than 30 days": "SELECT count(*) FROM calls WHERE operation = 'handshake' AND started_at < $1::timestamptz - interval '30 days'",
		"accepted pushes older than 60 days":   "SELECT count(*) FROM notifications WHERE accepted AND received_at < $1::timestamptz - interval '60 days'",
		"refused pushes older than 10 days":    "SELECT count(*) FROM notifications WHERE NOT accepted AND received_at < $1::timestamptz - interval '10 days'",
	} {
		if n := count(t, pool, strings.ReplaceAll(q, "$1", "'"+rep.To.Format(time.RFC3339Nano)+"'")); n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
	// What retention deletes is gone, not the count: the rows asked for are all there.
	for table, want := range map[string]int64{"calls": int64(o.Calls), "notifications": int64(o.Notifications)} {
		if n := count(t, pool, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM calls WHERE operation = 'state_change' AND started_at < $1", rep.To.Add(-30*day)); n == 0 {
		t.Error("no state changes before the failed handshakes' window: the keep-alive's story is missing")
	}
}
