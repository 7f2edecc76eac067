package cli

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// `ccsub retention run` applies the configured windows now, records and
// audits the run under the command line's name; `show` prints the policy,
// the sizes and the run; a bad window stops both before anything runs.
func TestRetentionRunAndShow(t *testing.T) {
	env := map[string]string{"DATABASE_URL": freshDatabase(t), "CCSUB_DATA_DIR": t.TempDir(), "USER": "ops",
		"CCSUB_RETAIN_NOTIFICATIONS": "30d"}
	if _, _, err := runCLI(t, env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), `INSERT INTO notifications (received_at, receiver_key, accepted, http_status)
		VALUES (now() - interval '31 days', 'rk', true, 200), (now() - interval '29 days', 'rk', true, 200)`); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCLI(t, env, "", "retention", "run")
	if err != nil {
		t.Fatalf("retention run: %v\n%s", err, out)
	}
	for _, want := range []string{"run #", "done", "notifications", "1 deleted", "calls"} {
		if !strings.Contains(out, want) {
			t.Errorf("retention run printed %q; want %q in it", out, want)
		}
	}
	var left int
	var actor string
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM notifications),
		(SELECT actor FROM audit_log WHERE action = 'retention_run')`).Scan(&left, &actor); err != nil || left != 1 || actor != "cli:ops" {
		t.Errorf("after the run: %d notifications, audit actor %q, %v; want 1 and cli:ops", left, actor, err)
	}

	out, _, err = runCLI(t, env, "", "retention", "show")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"notifications", "30d", "CCSUB_RETAIN_AUDIT", "for ever", "audit_log", "by cli:ops (cli)"} {
		if !strings.Contains(out, want) {
			t.Errorf("retention show printed %q; want %q in it", out, want)
		}
	}

	env["CCSUB_RETAIN_AUDIT"] = "7d"
	if _, _, err := runCLI(t, env, "", "retention", "run"); err == nil || !strings.Contains(err.Error(), "CCSUB_RETAIN_AUDIT") {
		t.Errorf("a 7-day audit window: err %v; want the setting named", err)
	}
}
