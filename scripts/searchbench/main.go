// Command searchbench times the history's filters through store.ListCalls
// on a database built by scripts/big-history.sh (docs/benchmarks.md, "Text
// search at 10 million calls"): for each filter, the first page and a page
// 90 % down, the median and slowest of -runs executions on one connection,
// as the store runs them (planned for their values each time). With
// -explain it prints the plan of each statement's first execution with its
// actual times (EXPLAIN ANALYZE through auto_explain, which needs a
// superuser or auto_explain in shared_preload_libraries).
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccsub_big go run ./scripts/searchbench -runs 20 -explain
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

type search struct {
	name string
	f    domain.CallFilter
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("searchbench", flag.ContinueOnError)
	runs := fs.Int("runs", 20, "executions of each statement (after one to warm the cache)")
	explain := fs.Bool("explain", false, "print each statement's plan with its actual times")
	only := fs.String("only", "", "run only the searches whose name contains this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	url := getenv("DATABASE_URL")
	if url == "" || *runs < 1 {
		return errors.New("want DATABASE_URL and -runs >= 1")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.MaxConns = 1
	var mu sync.Mutex
	var plans []string
	if *explain {
		cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
			if _, plan, ok := strings.Cut(n.Message, "plan:\n"); ok && strings.Contains(plan, "ORDER BY started_at") {
				mu.Lock()
				plans = append(plans, plan)
				mu.Unlock()
			}
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	match, err := st.TextMatch(ctx)
	if err != nil {
		return err
	}
	var rows int64
	var deep domain.Cursor
	var serverID string
	err = pool.QueryRow(ctx, `SELECT reltuples::bigint FROM pg_class WHERE oid = 'calls'::regclass`).Scan(&rows)
	if err == nil {
		err = pool.QueryRow(ctx, `SELECT started_at, id FROM calls ORDER BY started_at DESC, id DESC OFFSET $1 LIMIT 1`,
			rows*9/10).Scan(&deep.At, &deep.ID)
	}
	if err == nil {
		err = pool.QueryRow(ctx, `SELECT server_id FROM calls WHERE (started_at, id) < ($1, $2) AND server_id <> ''
			ORDER BY started_at DESC, id DESC LIMIT 1`, deep.At.Add(time.Duration(rows/3)*time.Second), deep.ID).Scan(&serverID)
	}
	if err != nil {
		return fmt.Errorf("read the table: %w", err)
	}
	fmt.Fprintf(out, "calls: ~%d rows; text search: %s; a serverId: %s; deep cursor: %s %d\n\n", rows, matchName(match),
		serverID, deep.At.Format(time.RFC3339), deep.ID)
	week := deep.At.Add(-7 * 24 * time.Hour)
	searches := []search{
		{"no filter", domain.CallFilter{}},
		{"gateway 4 (10 %)", domain.CallFilter{GatewayID: 4}},
		{"outcome unknown", domain.CallFilter{Outcome: domain.OutcomeUnknown}},
		{"operation state_change", domain.CallFilter{Operation: domain.OpStateChange}},
		{"retcode 107-027", domain.CallFilter{Retcode: "107-027"}},
		{"outcome rejected + operation register", domain.CallFilter{Outcome: domain.OutcomeRejected, Operation: domain.OpRegister}},
		{"a week", domain.CallFilter{From: week, To: deep.At}},
		{"serverId, whole", domain.CallFilter{ServerID: serverID}},
		{"serverId, an hour's prefix", domain.CallFilter{ServerID: serverID[:10], ServerIDPrefix: true}},
		{"serverId, a day's prefix", domain.CallFilter{ServerID: serverID[:8], ServerIDPrefix: true}},
		{"serverId, absent prefix", domain.CallFilter{ServerID: "1999", ServerIDPrefix: true}},
		{"callback, common (crm-000)", domain.CallFilter{CallbackContains: "crm-000"}},
		{"callback, 1 % (agent-007)", domain.CallFilter{CallbackContains: "agent-007"}},
		{"callback, 0.2 % (cc-100)", domain.CallFilter{CallbackContains: "cc-100"}},
		{"callback, rare (rare-callback)", domain.CallFilter{CallbackContains: "rare-callback"}},
		{"callback, absent (zzqx-nowhere)", domain.CallFilter{CallbackContains: "zzqx-nowhere"}},
		{"callback, short common (cr)", domain.CallFilter{CallbackContains: "cr"}},
		{"callback, short absent (zq)", domain.CallFilter{CallbackContains: "zq"}},
		{"callback, host's start (cc-300.corp)", domain.CallFilter{CallbackContains: "cc-300.corp"}},
		{"message, common (handshake failed)", domain.CallFilter{MessageContains: "handshake failed"}},
		{"message, 0.5 % (parameter invalid)", domain.CallFilter{MessageContains: "parameter invalid"}},
		{"message, rare (cc-300.corp)", domain.CallFilter{MessageContains: "cc-300.corp"}},
		{"message, absent (zzqx)", domain.CallFilter{MessageContains: "zzqx"}},
		{"message, short (pa)", domain.CallFilter{MessageContains: "pa"}},
	}
	pages := []struct {
		name string
		p    domain.PageRequest
	}{{"first", domain.PageRequest{}}, {"deep", domain.PageRequest{Before: &deep}}}
	fmt.Fprintf(out, "%-42s %-6s %6s %10s %10s\n", "search", "page", "rows", "median", "max")
	for _, s := range searches {
		if !strings.Contains(s.name, *only) {
			continue
		}
		for _, pg := range pages {
			if *explain {
				if err := autoExplain(ctx, pool, true); err != nil {
					return err
				}
				mu.Lock()
				plans = nil
				mu.Unlock()
			}
			page, err := st.ListCalls(ctx, s.f, pg.p) // warms the cache; its plan is printed
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if *explain {
				if err := autoExplain(ctx, pool, false); err != nil {
					return err
				}
			}
			times := make([]time.Duration, *runs)
			for i := range times {
				start := time.Now()
				if _, err := st.ListCalls(ctx, s.f, pg.p); err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				times[i] = time.Since(start)
			}
			slices.Sort(times)
			fmt.Fprintf(out, "%-42s %-6s %6d %10s %10s\n", s.name, pg.name, len(page.Calls), ms(times[len(times)/2]),
				ms(times[len(times)-1]))
			if *explain {
				mu.Lock()
				for _, p := range plans {
					fmt.Fprintf(out, "%s\n", indent(p))
				}
				mu.Unlock()
			}
		}
	}
	return nil
}

// autoExplain turns the plans of the one connection's statements, with
// their actual times and buffers, on or off.
func autoExplain(ctx context.Context, pool *pgxpool.Pool, on bool) error {
	sql := `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
		SET auto_explain.log_buffers = on; SET auto_explain.log_timing = on; SET auto_explain.log_level = notice`
	if !on {
		sql = `SET auto_explain.log_min_duration = -1`
	}
	_, err := pool.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

func matchName(m domain.TextMatch) string {
	if m == domain.MatchAnywhere {
		return "anywhere (trigram indexes)"
	}
	return "at the start only (no trigram indexes)"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
