package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/config"
	"ccsub/internal/database"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/keepalive"

	"github.com/jackc/pgx/v5/pgxpool"
)

// isoConsole is a console on a database of the test's own, with the two
// pools `ccsub serve` opens, sized by sizes: only this test's connections
// and work are on it, so the test can count them.
type isoConsole struct {
	*testEnv
	pools database.Pools
	admin *pgxpool.Pool // the test's own connections, without a timeout
}

func newIsoConsole(t *testing.T, sizes database.PoolSizes) *isoConsole {
	t.Helper()
	admin, url := dbtest.Isolated(t)
	pools, err := database.OpenPools(t.Context(), url, sizes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pools.Close)
	e := apptest.NewOnPools(t, pools, func(c *config.Config) {
		c.DBMaxConns, c.DBReservedConns, c.DBStatementTimeout = sizes.MaxConns, sizes.ReservedConns, sizes.StatementTimeout
	})
	return &isoConsole{testEnv: &testEnv{e}, pools: pools, admin: admin}
}

// holdEveryConnection takes every interactive connection and runs slow
// searches on each (statements that sleep past the statement timeout, and
// are stopped by it) until release is called. timeouts counts the
// statements the statement timeout stopped.
func (c *isoConsole) holdEveryConnection(t *testing.T) (release func(), timeouts *atomic.Int64) {
	t.Helper()
	timeouts = &atomic.Int64{}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range c.pools.Interactive.Config().MaxConns {
		conn, err := c.pools.Interactive.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer conn.Release()
			for ctx.Err() == nil {
				_, err := conn.Exec(ctx, "SELECT pg_sleep(3600)")
				switch {
				case database.TimedOut(err):
					timeouts.Add(1)
				case ctx.Err() == nil:
					t.Errorf("a slow search ended with %v, want the statement timeout", err)
					return
				}
			}
		})
	}
	var once sync.Once
	release = func() { once.Do(func() { stop(); wg.Wait() }) }
	t.Cleanup(release)
	if st := c.pools.Interactive.Stat(); st.AcquiredConns() != st.MaxConns() {
		t.Fatalf("%d of %d interactive connections held", st.AcquiredConns(), st.MaxConns())
	}
	return release, timeouts
}

// startEngine runs a keep-alive engine of the console's own actions, as
// Serve does, with a short interval; it stops when the test ends.
func (c *isoConsole) startEngine(t *testing.T, interval time.Duration) {
	t.Helper()
	engine := keepalive.New(c.App.Store, c.App.Subscribe, keepalive.Config{Interval: interval,
		CallTimeout: 2 * time.Second, Lease: 3 * time.Second, Grace: 2 * time.Second, Owner: apptest.Uniq("iso"),
		Log: c.App.Log.With("component", "keepalive")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- engine.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("keep-alive engine: %v", err)
		}
	})
}

// isoAwait polls cond until it holds, failing the test after limit.
func isoAwait(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// timedGet fetches path as c and reads the whole answer.
func timedGet(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, string, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body), time.Since(start)
}

// TestHandshakesAndPushesGoOnWhileSlowSearchesHoldEveryConnection is the
// acceptance of issue 9's isolation under load: while slow searches hold
// every interactive connection, the keep-alive engine handshakes on
// schedule (as the gateway sees it), the receiver stores pushes and
// readiness holds, all on the reserved connections; pages and the API
// answer a clear 503 "busy" with Retry-After once they have waited the
// statement timeout for a connection, never a hang or a 500; and when the
// searches end, pages answer again.
func TestHandshakesAndPushesGoOnWhileSlowSearchesHoldEveryConnection(t *testing.T) {
	const timeout, interval = time.Second, time.Second
	c := newIsoConsole(t, database.PoolSizes{MaxConns: 3, ReservedConns: 2, StatementTimeout: timeout})
	browser, _ := c.User(domain.RoleOperator)
	token := c.Token(domain.RoleAuditor)
	sub := c.Registered(browser, nil)
	push := c.NewReceiverSub("tok-" + apptest.Uniq("push"))
	// A subscription of ccsub's own receiver, not known to the simulator:
	// left out of the keep-alive.
	c.Exec(t, "UPDATE subscriptions SET next_due_at = NULL WHERE id = $1", push.ID)
	c.startEngine(t, interval)
	isoAwait(t, 30*time.Second, "the first handshake", func() bool { return len(c.Sim.HandshakesFor(sub.ServerID)) > 0 })

	release, timeouts := c.holdEveryConnection(t)
	held := time.Now()

	t.Run("a page answers 503 busy, with Retry-After, after waiting the statement timeout", func(t *testing.T) {
		res, body, took := timedGet(t, browser, c.Srv.URL+"/history")
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "ccsub is busy") {
			t.Errorf("status %d, Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
		if took < timeout || took > timeout+10*time.Second {
			t.Errorf("answered after %s, want about the statement timeout (%s)", took, timeout)
		}
	})
	t.Run("the API answers 503 busy as JSON", func(t *testing.T) {
		res, body, _ := timedGet(t, http.DefaultClient, c.Srv.URL+"/api/v1/calls", "Authorization", "Bearer "+token)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
			!strings.Contains(res.Header.Get("Content-Type"), "json") || !strings.Contains(body, "database connection") {
			t.Errorf("status %d, Retry-After %q, %s\n%s", res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), body)
		}
	})
	t.Run("the receiver stores a push", func(t *testing.T) {
		if got := c.SendPush(push.PushPath(), apptest.OKBody(push), apptest.RightToken(push)); got.Status != http.StatusOK || got.Retcode != "0" {
			t.Errorf("push answered %+v", got)
		}
		// Read on the test's own connection: the interactive ones are held.
		var n int
		if err := c.admin.QueryRow(t.Context(), `SELECT count(*) FROM notifications
			WHERE receiver_key = $1 AND accepted`, push.ReceiverKey).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d accepted pushes stored (%v), want 1", n, err)
		}
	})
	t.Run("readiness holds", func(t *testing.T) {
		if res, body, _ := timedGet(t, http.DefaultClient, c.Srv.URL+"/readyz"); res.StatusCode != http.StatusOK {
			t.Errorf("status %d: %s", res.StatusCode, body)
		}
	})
	t.Run("the gateway sees handshakes on schedule", func(t *testing.T) {
		const want = 3
		during := func() []time.Time {
			var at []time.Time
			for _, r := range c.Sim.HandshakesFor(sub.ServerID) {
				if r.Time.After(held) {
					if r.Retcode != "0" {
						t.Fatalf("a handshake was answered %q (HTTP %d)", r.Retcode, r.Status)
					}
					at = append(at, r.Time)
				}
			}
			return at
		}
		isoAwait(t, 30*time.Second, "3 handshakes while every interactive connection is held", func() bool { return len(during()) >= want })
		if st := c.pools.Interactive.Stat(); st.AcquiredConns() != st.MaxConns() {
			t.Fatalf("only %d of %d interactive connections were still held", st.AcquiredConns(), st.MaxConns())
		}
		// On schedule: one every interval, give or take the handshake's
		// own round trip, on a loaded machine under the race detector.
		prev := held
		for _, at := range during() {
			if gap := at.Sub(prev); gap > interval+2*time.Second {
				t.Errorf("%s between two handshakes, want about the interval (%s)", gap, interval)
			}
			prev = at
		}
	})

	release()
	if timeouts.Load() == 0 {
		t.Error("no slow search was stopped by the statement timeout")
	}
	if res, body, _ := timedGet(t, browser, c.Srv.URL+"/history"); res.StatusCode != http.StatusOK {
		t.Errorf("once the searches ended the history answers %d\n%s", res.StatusCode, body)
	}
}

// TestAPageAnswersWithinTheStatementTimeoutWhileSearchesHoldEveryConnection:
// slow searches hold every interactive connection; the statement timeout
// stops them, so a page asked for meanwhile gets a connection and answers
// 200 within the statement timeout.
func TestAPageAnswersWithinTheStatementTimeoutWhileSearchesHoldEveryConnection(t *testing.T) {
	const timeout = 2 * time.Second
	c := newIsoConsole(t, database.PoolSizes{MaxConns: 3, ReservedConns: 2, StatementTimeout: timeout})
	browser, _ := c.User(domain.RoleOperator)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := c.pools.Interactive.Exec(context.Background(), "SELECT pg_sleep(3600)"); !database.TimedOut(err) {
				t.Errorf("a slow search ended with %v, want the statement timeout", err)
			}
		})
	}
	t.Cleanup(wg.Wait)
	// The page is asked for once every search has run for half the
	// timeout, so it waits for a connection about the other half.
	isoAwait(t, 30*time.Second, "3 slow searches running for half the statement timeout", func() bool {
		var n int
		err := c.admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'ccsub' AND state = 'active'
				AND query LIKE 'SELECT pg_sleep%' AND now() - query_start > $1`, timeout/2).Scan(&n)
		return err == nil && n == 3
	})
	res, body, took := timedGet(t, browser, c.Srv.URL+"/history")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", res.StatusCode, body)
	}
	if took > timeout {
		t.Errorf("answered after %s, want within the statement timeout (%s)", took, timeout)
	}
	t.Logf("the history answered after %s", took)
}

// lockCalls holds an exclusive lock on the calls table until the test
// ends: every statement that reads calls waits, as long as a search over
// millions of rows would run.
func (c *isoConsole) lockCalls(t *testing.T) (unlock func()) {
	t.Helper()
	tx, err := c.admin.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unlock = func() { once.Do(func() { _ = tx.Rollback(context.Background()) }) }
	t.Cleanup(unlock)
	return unlock
}

// TestASearchOverTheStatementTimeoutAsksToNarrowTheFilters: a search the
// statement timeout stops answers 422 with words that say what to do, on
// the pages and in the API, not a 500 or a dropped connection; the
// connection it used serves the next request.
func TestASearchOverTheStatementTimeoutAsksToNarrowTheFilters(t *testing.T) {
	c := newIsoConsole(t, database.PoolSizes{MaxConns: 2, ReservedConns: 1, StatementTimeout: time.Second})
	browser, _ := c.User(domain.RoleOperator)
	token := c.Token(domain.RoleAuditor)
	c.Registered(browser, nil)
	unlock := c.lockCalls(t)

	res, body, _ := timedGet(t, browser, c.Srv.URL+"/history")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Narrow your filters") {
		t.Errorf("page: status %d\n%s", res.StatusCode, body)
	}
	res, body, _ = timedGet(t, http.DefaultClient, c.Srv.URL+"/api/v1/calls?outcome=success", "Authorization", "Bearer "+token)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Narrow your filters") ||
		!strings.Contains(res.Header.Get("Content-Type"), "json") {
		t.Errorf("API: status %d, %s\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if strings.Contains(c.Logs.String(), "request failed") {
		t.Errorf("a timeout was logged as a fault of ccsub's:\n%s", c.Logs.String())
	}

	unlock()
	if res, body, _ := timedGet(t, browser, c.Srv.URL+"/history"); res.StatusCode != http.StatusOK {
		t.Errorf("after the lock: status %d\n%s", res.StatusCode, body)
	}
}

// TestAQueryStopsWhenItsClientGoesAway: a search whose client hangs up is
// cancelled in PostgreSQL at once (the request's context ends, and pgx
// sends the server a cancel request as it drops the connection), not left
// running until the statement timeout; the request is logged as cancelled
// (499), not as a fault.
func TestAQueryStopsWhenItsClientGoesAway(t *testing.T) {
	c := newIsoConsole(t, database.PoolSizes{MaxConns: 2, ReservedConns: 1, StatementTimeout: time.Minute})
	browser, _ := c.User(domain.RoleOperator)
	c.lockCalls(t)
	waiting := func() int {
		var n int
		if err := c.admin.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'ccsub' AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	ctx, hangUp := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Srv.URL+"/history", nil)
	done := make(chan error, 1)
	go func() {
		res, err := browser.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	isoAwait(t, 30*time.Second, "the search waits in PostgreSQL", func() bool { return waiting() == 1 })
	hangUp()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client got %v, want its own cancellation", err)
	}
	isoAwait(t, 10*time.Second, "the search is cancelled in PostgreSQL (its timeout is a minute)", func() bool { return waiting() == 0 })
	isoAwait(t, 10*time.Second, "the request is logged as cancelled", func() bool {
		return strings.Contains(c.Logs.String(), "status=499")
	})
	if strings.Contains(c.Logs.String(), "request failed") {
		t.Errorf("a cancelled request was logged as a fault of ccsub's:\n%s", c.Logs.String())
	}
}
