package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// planNode is the part of EXPLAIN (FORMAT JSON) the plan tests read.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	IndexCond    string     `json:"Index Cond"`
	Filter       string     `json:"Filter"`
	Plans        []planNode `json:"Plans"`
}

func (n planNode) String() string {
	var b strings.Builder
	n.write(&b, 0)
	return b.String()
}

func (n planNode) write(b *strings.Builder, depth int) {
	fmt.Fprintf(b, "%s%s %s %s cond=%q filter=%q\n", strings.Repeat("  ", depth), n.NodeType,
		n.RelationName, n.IndexName, n.IndexCond, n.Filter)
	for _, c := range n.Plans {
		c.write(b, depth+1)
	}
}

// walk calls fn on n and every node below it.
func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// explain prepares sql on one connection and returns the plan PostgreSQL
// uses for it under planCacheMode, after running it more than five times
// (the point where PostgreSQL may switch to a generic plan).
func explain(ctx context.Context, pool *pgxpool.Pool, sql string, args pgx.NamedArgs, planCacheMode string) (planNode, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return planNode{}, err
	}
	defer conn.Release()
	positional, values, err := args.RewriteQuery(ctx, conn.Conn(), sql, nil)
	if err != nil {
		return planNode{}, err
	}
	execute := "EXECUTE plan_probe"
	if len(values) > 0 {
		execute += "(" + literals(values) + ")"
	}
	steps := []string{"SET plan_cache_mode = " + planCacheMode, "PREPARE plan_probe AS " + positional}
	for range 6 {
		steps = append(steps, execute)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DEALLOCATE plan_probe; RESET plan_cache_mode")
	for _, step := range steps {
		if _, err := conn.Exec(ctx, step, pgx.QueryExecModeSimpleProtocol); err != nil {
			return planNode{}, fmt.Errorf("%s: %w", step, err)
		}
	}
	var out []struct{ Plan planNode }
	err = conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+execute, pgx.QueryExecModeSimpleProtocol).Scan(&out)
	if err != nil {
		return planNode{}, err
	}
	return out[0].Plan, nil
}

func toAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// literals writes the statement's arguments as SQL literals for EXECUTE;
// the values are the tests' own, never user input.
func literals(values []any) string {
	out := make([]string, len(values))
	for i, v := range values {
		switch v := v.(type) {
		case time.Time:
			out[i] = "'" + v.Format(time.RFC3339Nano) + "'"
		case int64:
			out[i] = strconv.FormatInt(v, 10)
		case string:
			out[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		case []string:
			out[i] = "ARRAY[" + literals(toAny(v)) + "]::text[]"
			if len(v) == 0 {
				out[i] = "ARRAY[]::text[]"
			}
		default:
			panic(fmt.Sprintf("literals: unexpected %T", v))
		}
	}
	return strings.Join(out, ", ")
}

// planData is the package database's history for the plan tests: 100,000
// calls under one gateway (storetest.SeedCalls: 500 callback URIs on five
// hosts, 5,000 serverIds, three messages), 200 under another, seeded once,
// and the cursor of the call 90 % down the big gateway's history.
type planData struct {
	big, small domain.Gateway
	deep       domain.Cursor
}

var (
	planOnce sync.Once
	planSeed planData
	planErr  error
)

func seedPlanData(t *testing.T) planData {
	t.Helper()
	if testing.Short() {
		t.Skip("seeds 100,000 calls")
	}
	planOnce.Do(func() {
		pool := dbtest.Pool(t)
		s := store.New(pool)
		planSeed.big, planSeed.small = newGateway(t, s), newGateway(t, s)
		for gw, n := range map[int64]int{planSeed.small.ID: 200, planSeed.big.ID: 100000} {
			if planErr = storetest.SeedCalls(t.Context(), pool, n, gw); planErr != nil {
				return
			}
		}
		planErr = pool.QueryRow(t.Context(), `SELECT started_at, id FROM calls WHERE gateway_id = $1
			ORDER BY started_at DESC, id DESC OFFSET 90000 LIMIT 1`, planSeed.big.ID).Scan(&planSeed.deep.At, &planSeed.deep.ID)
	})
	if planErr != nil {
		t.Fatal(planErr)
	}
	return planSeed
}

// planFilters are the history's filters the plan tests try. bounded: the
// filter's rows may be read through its own index and sorted, with the
// cursor applied to them, instead of walking an index in list order. That
// is the best plan when the filter matches few rows (a serverId), and the
// planner takes it only when its statistics say they are few. Text search
// terms and serverId prefixes are bounded too: their statements read the
// keys of each value's newest calls (a page each at most) and sort those,
// or the keys of all the values' calls from one index (see
// buildCallQuery).
func planFilters(d planData) []struct {
	name    string
	f       domain.CallFilter
	bounded bool
} {
	return []struct {
		name    string
		f       domain.CallFilter
		bounded bool
	}{
		{"no filter", domain.CallFilter{}, false},
		{"a busy gateway", domain.CallFilter{GatewayID: d.big.ID}, false},
		{"a quiet gateway", domain.CallFilter{GatewayID: d.small.ID}, false},
		{"an outcome", domain.CallFilter{Outcome: domain.OutcomeUnknown}, false},
		{"a rare operation", domain.CallFilter{Operation: domain.OpStateChange}, false},
		{"a retcode", domain.CallFilter{Retcode: "107-032"}, false},
		{"a serverId", domain.CallFilter{ServerID: "20250000000042-001-00101"}, true},
		{"a serverId prefix of 100 serverIds", domain.CallFilter{ServerID: "202500000000", ServerIDPrefix: true}, true},
		{"a serverId prefix of every serverId", domain.CallFilter{ServerID: "2025", ServerIDPrefix: true}, true},
		// Eight characters: a day of the platform's serverIds, here every
		// call, walked in list order through calls_server_id_day_idx.
		{"a serverId prefix of a day", domain.CallFilter{ServerID: "20250000", ServerIDPrefix: true}, false},
		{"a serverId prefix longer than a day", domain.CallFilter{ServerID: "2025000000", ServerIDPrefix: true}, false},
		{"a common callback fragment", domain.CallFilter{CallbackContains: "asr_test"}, true},
		{"a rare callback fragment", domain.CallFilter{CallbackContains: "events/123"}, true},
		{"an absent callback fragment", domain.CallFilter{CallbackContains: "zzqx.nowhere"}, true},
		{"a short callback term", domain.CallFilter{CallbackContains: "cr"}, true},
		{"an absent short callback term", domain.CallFilter{CallbackContains: "zq"}, true},
		{"a common message fragment", domain.CallFilter{MessageContains: "success"}, true},
		{"a callback fragment and a message fragment", domain.CallFilter{CallbackContains: "events/12",
			MessageContains: "subscription"}, true},
		{"a callback fragment and an outcome", domain.CallFilter{CallbackContains: "events/123",
			Outcome: domain.OutcomeRejected}, true},
		{"an absent message fragment", domain.CallFilter{MessageContains: "timed out"}, true},
		{"a short message term", domain.CallFilter{MessageContains: "su"}, true},
		{"a week", domain.CallFilter{From: d.deep.At, To: d.deep.At.Add(7 * 24 * time.Hour)}, false},
		{"an outcome and an operation", domain.CallFilter{Outcome: domain.OutcomeRejected, Operation: domain.OpRegister}, false},
	}
}

// TestListCallsPlansWalkAnIndexInOrder checks, at 100,000 rows, that every
// ListCalls statement reads an index and stops at the limit: no
// sequential scan; unless the filter is bounded, no sort and a cursor that
// is an index condition (a start position) rather than a filter applied
// while walking the whole index. ListCalls has its statements planned for
// their values every time (see listPage), so each is checked as a custom
// plan; TestListCallsPlansAreTheSameFromTheFirstExecution checks that this
// is the plan every execution gets.
func TestListCallsPlansWalkAnIndexInOrder(t *testing.T) {
	d := seedPlanData(t)
	pool := dbtest.Pool(t)
	pages := []struct {
		name string
		p    domain.PageRequest
	}{
		{"the first page", domain.PageRequest{}},
		{"a deep page older", domain.PageRequest{Before: &d.deep}},
		{"a deep page newer", domain.PageRequest{After: &d.deep}},
	}
	for _, fl := range planFilters(d) {
		for _, pg := range pages {
			t.Run(fmt.Sprintf("%s with %s", pg.name, fl.name), func(t *testing.T) {
				sql, args, err := store.New(pool).CallQuery(t.Context(), fl.f, pg.p)
				if err != nil {
					t.Fatal(err)
				}
				plan, err := explain(t.Context(), pool, sql, args, "force_custom_plan")
				if err != nil {
					t.Fatal(err)
				}
				if problem := planProblem(plan, pg.p.Before != nil || pg.p.After != nil, fl.bounded); problem != "" {
					t.Fatalf("%s in plan:\n%s", problem, plan)
				}
			})
		}
	}
}

// TestListCallsPlansAreTheSameFromTheFirstExecution runs each search eight
// times through ListCalls on a pool of one connection and reads the plan
// PostgreSQL used for each execution (auto_explain, sent to the client as
// a notice). Every execution gets the same plan, fit for a page, from the
// first one on: no plan that changes after the fifth run on a connection
// (issue 10: a connection's first five searches read the whole table,
// and a generic plan followed).
func TestListCallsPlansAreTheSameFromTheFirstExecution(t *testing.T) {
	d := seedPlanData(t)
	cfg, err := pgxpool.ParseConfig(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	var mu sync.Mutex
	var plans []planNode
	cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		_, text, ok := strings.Cut(n.Message, "plan:\n")
		if !ok {
			return
		}
		var out struct {
			Query string   `json:"Query Text"`
			Plan  planNode `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(text), &out); err != nil || !strings.Contains(out.Query, "ORDER BY started_at") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		plans = append(plans, out.Plan)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;
			SET auto_explain.log_level = notice; SET auto_explain.log_format = json`)
		return err
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(t.Context()); err != nil {
		t.Skipf("auto_explain cannot be loaded here: %v", err)
	}
	s := store.New(pool)
	for _, fl := range planFilters(d) {
		t.Run(fl.name, func(t *testing.T) {
			mu.Lock()
			plans = nil
			mu.Unlock()
			for range 8 {
				if _, err := s.ListCalls(t.Context(), fl.f, domain.PageRequest{Before: &d.deep}); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(plans) == 0 && fl.f.CallbackContains+fl.f.MessageContains != "" {
				t.Logf("no statement on calls: no address or message holds the term")
				return
			}
			if len(plans) != 8 {
				t.Fatalf("read %d plans of 8 executions", len(plans))
			}
			t.Logf("every execution's plan:\n%s", plans[0])
			if problem := planProblem(plans[0], true, fl.bounded); problem != "" {
				t.Fatalf("%s in the first execution's plan:\n%s", problem, plans[0])
			}
			for i, p := range plans[1:] {
				if p.String() != plans[0].String() {
					t.Fatalf("execution %d changed the plan\nfrom:\n%s\nto:\n%s", i+2, plans[0], p)
				}
			}
		})
	}
}

// planProblem describes what makes plan unfit for a page of the history,
// or returns "". bounded: see planFilters.
func planProblem(plan planNode, keyset, bounded bool) string {
	var problems []string
	indexScans, keysetInIndex, limited := 0, false, false
	plan.walk(func(n planNode) {
		switch n.NodeType {
		case "Limit":
			limited = true
		case "Seq Scan":
			problems = append(problems, "a sequential scan")
		case "Sort", "Incremental Sort":
			if !bounded {
				problems = append(problems, "a sort")
			}
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			indexScans++
			keysetInIndex = keysetInIndex || strings.Contains(n.IndexCond, "ROW(started_at, id)")
		}
		if strings.Contains(n.Filter, "ROW(") && !bounded {
			problems = append(problems, "the cursor as a filter")
		}
	})
	if indexScans == 0 {
		problems = append(problems, "no index scan")
	}
	if !limited {
		problems = append(problems, "no Limit")
	}
	if keyset && !keysetInIndex && !bounded {
		problems = append(problems, "the cursor outside every index condition")
	}
	return strings.Join(problems, ", ")
}

// TestListCallsSearchShapesPageLikeAPlainQuery walks three pages older and
// back through each statement shape of buildCallQuery, at 100,000 rows,
// and compares them with what a plain query (no index tricks) returns:
// the page by keys for a serverId prefix with few calls; LATERAL for a
// term found in few values; = ANY for more; the term on the calls
// themselves for a term in more than maxTextValues values; two terms.
func TestListCallsSearchShapesPageLikeAPlainQuery(t *testing.T) {
	seedPlanData(t)
	pool := dbtest.Pool(t)
	s := store.New(pool)
	tests := []struct {
		name  string
		f     domain.CallFilter
		where string // the plain query's condition, $1 the first arg
		args  []any
	}{
		{"a serverId prefix with few calls", domain.CallFilter{ServerID: "202500000000", ServerIDPrefix: true},
			"server_id LIKE $1", []any{"202500000000%"}},
		{"a serverId prefix of every serverId", domain.CallFilter{ServerID: "2025", ServerIDPrefix: true},
			"server_id LIKE $1", []any{"2025%"}},
		{"a term in 11 addresses", domain.CallFilter{CallbackContains: "events/12"},
			"callback_uri ILIKE $1", []any{"%events/12%"}},
		{"a term in 500 addresses", domain.CallFilter{CallbackContains: "ASR_test"},
			"callback_uri ILIKE $1", []any{`%asr\_test%`}},
		{"a term in every address", domain.CallFilter{CallbackContains: "example"},
			"callback_uri ILIKE $1", []any{"%example%"}},
		{"a short term", domain.CallFilter{CallbackContains: "qa"},
			"callback_uri ILIKE $1", []any{"https://qa%"}},
		{"two terms and an outcome", domain.CallFilter{CallbackContains: "events/12", MessageContains: "fail",
			Outcome: domain.OutcomeRejected}, "callback_uri ILIKE $1 AND message ILIKE $2 AND outcome = 'rejected'",
			[]any{"%events/12%", "%fail%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _ := pool.Query(t.Context(), `SELECT id FROM calls WHERE `+tt.where+
				` ORDER BY started_at DESC, id DESC LIMIT 60`, tt.args...)
			want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			var pages []domain.CallPage
			req := domain.PageRequest{Limit: 20}
			for range 3 {
				page, err := s.ListCalls(t.Context(), tt.f, req)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, page)
				for _, c := range page.Calls {
					got = append(got, c.ID)
				}
				if page.Older == nil {
					break
				}
				req = domain.PageRequest{Limit: 20, Before: page.Older}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || len(want) < 21 && tt.name != "two terms and an outcome" {
				t.Fatalf("pages hold\n%v\nwant\n%v", got, want)
			}
			if len(pages) > 1 {
				back, err := s.ListCalls(t.Context(), tt.f, domain.PageRequest{Limit: 20, After: pages[1].Newer})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(ids(back.Calls)) != fmt.Sprint(ids(pages[0].Calls)) {
					t.Fatalf("the page newer than the second is %v, not the first %v", ids(back.Calls), ids(pages[0].Calls))
				}
			}
		})
	}
}

func ids(calls []domain.Call) []int64 {
	out := make([]int64, len(calls))
	for i, c := range calls {
		out[i] = c.ID
	}
	return out
}
