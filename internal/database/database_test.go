package database_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/dbtest"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func settings(t *testing.T, p *pgxpool.Pool) (timeout, name string) {
	t.Helper()
	if err := p.QueryRow(t.Context(), "SELECT current_setting('statement_timeout'), current_setting('application_name')").
		Scan(&timeout, &name); err != nil {
		t.Fatal(err)
	}
	return timeout, name
}

// TestAConsolesPoolsCarryTheirStatementTimeouts: the interactive pool has
// the configured timeout, the reserved one a minute, and each names itself
// in pg_stat_activity.
func TestAConsolesPoolsCarryTheirStatementTimeouts(t *testing.T) {
	pools, err := database.OpenPools(t.Context(), dbtest.URL(t), database.PoolSizes{MaxConns: 2, ReservedConns: 1, StatementTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pools.Close()
	if timeout, name := settings(t, pools.Interactive); timeout != "150ms" || name != "ccsub" {
		t.Errorf("interactive: statement_timeout %s, application_name %q", timeout, name)
	}
	if timeout, name := settings(t, pools.Reserved); timeout != "1min" || name != "ccsub-reserved" {
		t.Errorf("reserved: statement_timeout %s, application_name %q", timeout, name)
	}
	if n := pools.Reserved.Config().MaxConns; n != 1 {
		t.Errorf("reserved pool of %d connections, want 1", n)
	}

	_, err = pools.Interactive.Exec(t.Context(), "SELECT pg_sleep(5)")
	if !database.TimedOut(err) || database.Unavailable(err) {
		t.Errorf("a statement over the timeout: %v, want TimedOut", err)
	}
	if cancelled := fmt.Errorf("%w: %w", context.Canceled, err); database.TimedOut(cancelled) {
		t.Errorf("a statement cancelled with its client counts as a timeout: %v", cancelled)
	}
}

func TestTheURLsApplicationNameIsKept(t *testing.T) {
	u, err := url.Parse(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "ops-name")
	u.RawQuery = q.Encode()
	p, err := database.OpenWith(t.Context(), u.String(), database.Options{MaxConns: 1, Name: "ccsub"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, name := settings(t, p); name != "ops-name" {
		t.Errorf("application_name %q, want the URL's", name)
	}
}

// TestEveryPoolPlansForItsValuesWithoutJIT: the settings the list pages
// rely on (store.SessionLookup's batches are named statements) and the one
// that keeps small statements small, unless the URL sets its own.
func TestEveryPoolPlansForItsValuesWithoutJIT(t *testing.T) {
	pool, err := database.Open(t.Context(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := setting(t, pool, "plan_cache_mode"); got != "force_custom_plan" {
		t.Errorf("plan_cache_mode %q, want force_custom_plan", got)
	}
	if got := setting(t, pool, "jit"); got != "off" {
		t.Errorf("jit %q, want off", got)
	}
	u, _ := url.Parse(dbtest.URL(t))
	q := u.Query()
	q.Set("jit", "on")
	u.RawQuery = q.Encode()
	own, err := database.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if got := setting(t, own, "jit"); got != "on" {
		t.Errorf("a URL's own jit=on became %q", got)
	}
}

func setting(t *testing.T, pool *pgxpool.Pool, name string) string {
	t.Helper()
	var v string
	if err := pool.QueryRow(t.Context(), "SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
