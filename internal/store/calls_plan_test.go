package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"

	"github.com/jackc/pgx/v5"
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
		default:
			panic(fmt.Sprintf("literals: unexpected %T", v))
		}
	}
	return strings.Join(out, ", ")
}

// TestListCallsPlansWalkAnIndexInOrder checks, at 100,000 rows, that every
// ListCalls statement reads an index in list order and stops at the limit:
// no sequential scan, no sort, and a cursor that is an index condition (a
// start position) rather than a filter applied while walking the whole
// index. Each is checked as PostgreSQL plans it after six runs on one
// connection, and under forced custom and forced generic plans, which
// covers whichever the plan cache settles on.
func TestListCallsPlansWalkAnIndexInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 calls")
	}
	pool := dbtest.Pool(t)
	s := store.New(pool)
	big, small := newGateway(t, s), newGateway(t, s)
	for gw, n := range map[int64]int{small.ID: 200, big.ID: 100000} {
		if err := storetest.SeedCalls(t.Context(), pool, n, gw); err != nil {
			t.Fatal(err)
		}
	}
	var deep domain.Cursor
	err := pool.QueryRow(t.Context(), `SELECT started_at, id FROM calls WHERE gateway_id = $1
		ORDER BY started_at DESC, id DESC OFFSET 90000 LIMIT 1`, big.ID).Scan(&deep.At, &deep.ID)
	if err != nil {
		t.Fatal(err)
	}
	filters := []struct {
		name string
		f    domain.CallFilter
		// A serverId has few calls, so reading all of them through its
		// index and sorting them is bounded work, and often the best plan.
		maySort bool
	}{
		{"no filter", domain.CallFilter{}, false},
		{"a busy gateway", domain.CallFilter{GatewayID: big.ID}, false},
		{"a quiet gateway", domain.CallFilter{GatewayID: small.ID}, false},
		{"an outcome", domain.CallFilter{Outcome: domain.OutcomeUnknown}, false},
		{"a rare operation", domain.CallFilter{Operation: domain.OpStateChange}, false},
		{"a retcode", domain.CallFilter{Retcode: "107-032"}, false},
		{"a serverId", domain.CallFilter{ServerID: "20250000000042-001-00101"}, true},
		{"a callback fragment", domain.CallFilter{CallbackContains: "asr_test"}, false},
		{"a week", domain.CallFilter{From: deep.At, To: deep.At.Add(7 * 24 * time.Hour)}, false},
		{"an outcome and an operation", domain.CallFilter{Outcome: domain.OutcomeRejected, Operation: domain.OpRegister}, false},
	}
	pages := []struct {
		name string
		p    domain.PageRequest
	}{
		{"the first page", domain.PageRequest{}},
		{"a deep page older", domain.PageRequest{Before: &deep}},
		{"a deep page newer", domain.PageRequest{After: &deep}},
	}
	for _, fl := range filters {
		for _, pg := range pages {
			for _, mode := range []string{"auto", "force_custom_plan", "force_generic_plan"} {
				t.Run(fmt.Sprintf("%s with %s, plan %s", pg.name, fl.name, mode), func(t *testing.T) {
					sql, args := store.CallQuery(fl.f, pg.p)
					plan, err := explain(t.Context(), pool, sql, args, mode)
					if err != nil {
						t.Fatal(err)
					}
					if problem := planProblem(plan, pg.p.Before != nil || pg.p.After != nil, fl.maySort); problem != "" {
						t.Fatalf("%s in plan:\n%s", problem, plan)
					}
				})
			}
		}
	}
}

// planProblem describes what makes plan unfit for a page of the history,
// or returns "".
func planProblem(plan planNode, keyset, maySort bool) string {
	if plan.NodeType != "Limit" {
		return "no Limit on top"
	}
	var problems []string
	indexScans, keysetInIndex := 0, false
	plan.walk(func(n planNode) {
		switch n.NodeType {
		case "Seq Scan":
			problems = append(problems, "a sequential scan")
		case "Sort", "Incremental Sort":
			if !maySort {
				problems = append(problems, "a sort")
			}
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			indexScans++
			keysetInIndex = keysetInIndex || strings.Contains(n.IndexCond, "ROW(started_at, id)")
		}
		if strings.Contains(n.Filter, "ROW(") {
			problems = append(problems, "the cursor as a filter")
		}
	})
	if indexScans == 0 {
		problems = append(problems, "no index scan")
	}
	if keyset && !keysetInIndex {
		problems = append(problems, "the cursor outside every index condition")
	}
	return strings.Join(problems, ", ")
}
