package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sentCounter counts what a pool sends to the database: each query and
// each batch (one round trip once pgx has the statement's description).
type sentCounter struct {
	mu   sync.Mutex
	sent []string
}

func (c *sentCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.note("query: " + d.SQL)
	return ctx
}
func (c *sentCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *sentCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	var sqls []string
	for _, q := range d.Batch.QueuedQueries {
		sqls = append(sqls, strings.Join(strings.Fields(q.SQL), " "))
	}
	c.note("batch: " + strings.Join(sqls, " ;; "))
	return ctx
}
func (c *sentCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *sentCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func (c *sentCounter) note(s string) {
	c.mu.Lock()
	c.sent = append(c.sent, s)
	c.mu.Unlock()
}

func (c *sentCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.sent
	c.sent = nil
	return out
}

// TestAListPageIsOneRoundTrip: the history, the audit trail, the inbox and
// the subscriptions list send their session lookup and their list query as
// one batch, and nothing else, whatever the page; so do a subscription's
// page and a call's, with everything they show (issue 10 §5).
func TestAListPageIsOneRoundTrip(t *testing.T) {
	counter := &sentCounter{}
	cfg, err := pgxpool.ParseConfig(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = counter
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan" // as database.OpenWith sets it
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := newEnvOn(t, pool)
	admin, adminName := e.User(domain.RoleAdmin)
	sub := e.Registered(admin, nil) // a call, a subscription and audit entries to list
	subPage, callPage := fmt.Sprintf("/subscriptions/%d", sub.ID), fmt.Sprintf("/calls/%d", sub.RegisterCallID)

	for _, path := range []string{"/history", "/history?outcome=success", "/history?before=1700000000000000.5",
		"/history?callback=crm", "/audit", "/audit?action=login", "/inbox", "/inbox/rows?after=1.1",
		"/history?from=2026-01-01&to=2026-12-31", "/audit?since=2026-01-01T09:30", "/inbox?from=2026-01-01",
		"/subscriptions", "/subscriptions?state=active,lapsed", fmt.Sprintf("/subscriptions?gateway=%d", sub.GatewayID),
		subPage, callPage} {
		e.Page(admin, path, http.StatusOK) // warm: pgx learns each statement's description once per connection
		counter.take()
		e.Page(admin, path, http.StatusOK)
		sent := counter.take()
		if strings.Contains(path, "callback=") && len(sent) > 0 && strings.Contains(sent[0], "FROM call_texts") {
			sent = sent[1:] // a text search looks its term up first (store/textsearch.go), then lists
		}
		if len(sent) != 1 || !strings.HasPrefix(sent[0], "batch: ") || !strings.Contains(sent[0], "FROM sessions") {
			t.Errorf("GET %s sent %d things to the database, want one batch with the session lookup:\n%s",
				path, len(sent), strings.Join(sent, "\n"))
		}
	}

	// A user's own time zone comes with the session's row; the days of a
	// filter are read in it from the browser's hint (ccsub_tz_choice), so
	// once the browser has seen the choice it is one round trip again.
	e.Exec(t, `UPDATE users SET time_zone = 'Asia/Shanghai' WHERE username = $1`, adminName)
	for _, path := range []string{"/history?from=2026-01-01&to=2026-12-31", "/audit?since=2026-01-01T09:30", "/inbox?to=2026-12-31"} {
		e.Page(admin, path, http.StatusOK) // puts the hint right
		counter.take()
		if zone := e.Page(admin, path, http.StatusOK).Find("#zone-line").Text(); !strings.Contains(zone, "Asia/Shanghai") {
			t.Fatalf("GET %s: zone line %q, the user's zone is not used", path, zone)
		}
		if sent := counter.take(); len(sent) != 1 || !strings.HasPrefix(sent[0], "batch: ") {
			t.Errorf("GET %s with the user's own zone sent %d things to the database, want one batch:\n%s",
				path, len(sent), strings.Join(sent, "\n"))
		}
	}
}

// TestAOneTripPageShowsNothingToWhomItRefuses: the list is read before the
// session is judged, so a refused request must get the refusal and none of
// what was read, nor any header the handler set.
func TestAOneTripPageShowsNothingToWhomItRefuses(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	marker := apptest.Uniq("secret-name")
	e.appendAudit(domain.AuditEntry{Actor: "someone", Action: domain.AuditGatewayCreate, TargetType: domain.TargetGateway,
		TargetID: "1", TargetName: marker})
	if body := readBody(t, e.Get(admin, "/audit")); !strings.Contains(body, marker) {
		t.Fatal("the admin does not see the entry: the test proves nothing")
	}

	t.Run("a role the page is not for gets 403 and not the rows", func(t *testing.T) {
		op, _ := e.User(domain.RoleOperator)
		res := e.Get(op, "/audit")
		body := readBody(t, res)
		if res.StatusCode != http.StatusForbidden || strings.Contains(body, marker) {
			t.Fatalf("operator on /audit: status %d, rows shown: %v", res.StatusCode, strings.Contains(body, marker))
		}
		if res.Header.Get("Set-Cookie") != "" {
			t.Errorf("the refusal carries the handler's cookie: %q", res.Header.Get("Set-Cookie"))
		}
	})
	t.Run("a revoked session is sent to sign in and not shown the rows", func(t *testing.T) {
		c, name := e.User(domain.RoleAuditor)
		e.Exec(t, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)`, name)
		res := e.Get(c, "/audit")
		body := readBody(t, res)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") ||
			strings.Contains(body, marker) {
			t.Fatalf("revoked session on /audit: status %d, location %q, rows shown: %v",
				res.StatusCode, res.Header.Get("Location"), strings.Contains(body, marker))
		}
	})
	t.Run("a revoked session is sent to sign in, not told what does not exist", func(t *testing.T) {
		c, name := e.User(domain.RoleAuditor)
		e.Exec(t, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)`, name)
		for _, path := range []string{"/subscriptions/999999999", "/calls/999999999"} {
			if res := e.Get(c, path); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("revoked session on %s: status %d, location %q", path, res.StatusCode, res.Header.Get("Location"))
			}
		}
	})
	t.Run("a disabled user is sent to sign in", func(t *testing.T) {
		c, name := e.User(domain.RoleAuditor)
		e.Exec(t, `UPDATE users SET disabled = true WHERE username = $1`, name)
		if res := e.Get(c, "/audit"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("disabled user on /audit: status %d", res.StatusCode)
		}
	})
	t.Run("a stale session is still touched", func(t *testing.T) {
		c, name := e.User(domain.RoleAuditor)
		e.Exec(t, `UPDATE sessions SET last_seen_at = now() - interval '10 minutes'
			WHERE user_id = (SELECT id FROM users WHERE username = $1)`, name)
		e.Page(c, "/history", http.StatusOK)
		var recent bool
		if err := e.St.Pool().QueryRow(t.Context(), `SELECT bool_and(last_seen_at > now() - interval '1 minute')
			FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)`, name).Scan(&recent); err != nil {
			t.Fatal(err)
		}
		if !recent {
			t.Error("a list page did not record the session's activity")
		}
	})
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
