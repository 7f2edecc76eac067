package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// appendAudit appends entries through the normal path and returns them as
// written, oldest first.
func appendAudit(t *testing.T, st *store.Store, entries ...domain.AuditEntry) []domain.AuditEntry {
	t.Helper()
	out := make([]domain.AuditEntry, len(entries))
	for i, e := range entries {
		got, err := st.AppendAudit(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = got
	}
	return out
}

func entryIDs(es []domain.AuditEntry) []int64 {
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func newestFirst(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func TestListAuditFiltersAndPagesNewestFirst(t *testing.T) {
	st := store.New(dbtest.Pool(t))
	alice, bob := fmt.Sprintf("alice-%d", time.Now().UnixNano()), fmt.Sprintf("bob-%d", time.Now().UnixNano())
	gw := fmt.Sprint(time.Now().UnixNano() % 1e9)
	var all []domain.AuditEntry
	for i := range 7 {
		actor, action := alice, domain.AuditGatewayUpdate
		if i%2 == 1 {
			actor, action = bob, domain.AuditGatewayTest
		}
		all = append(all, domain.AuditEntry{Actor: actor, Action: action, TargetType: domain.TargetGateway, TargetID: gw,
			TargetName: "gw", Diff: map[string]domain.FieldChange{"agentId": {Before: 100000 + i, After: 100001 + i}}})
	}
	all = append(all, domain.AuditEntry{Actor: alice, Action: domain.AuditSubPolicy, TargetType: domain.TargetSubscription, TargetID: gw})
	written := appendAudit(t, st, all...)
	ids := entryIDs(written)
	aliceGateway := []int64{ids[6], ids[4], ids[2], ids[0]}
	// Days of the entries themselves, so a run across midnight still holds.
	firstDay, lastDay := written[1].At.Truncate(24*time.Hour), written[5].At.Truncate(24*time.Hour)

	tests := []struct {
		name string
		f    domain.AuditFilter
		want []int64
	}{
		{"an actor lists only that actor's entries", domain.AuditFilter{Actor: bob}, []int64{ids[5], ids[3], ids[1]}},
		{"an actor and an action narrow to both", domain.AuditFilter{Actor: alice, Action: domain.AuditGatewayUpdate}, aliceGateway},
		{"a target type and id list that target only", domain.AuditFilter{Actor: alice, TargetType: domain.TargetSubscription, TargetID: gw}, []int64{ids[7]}},
		{"a gateway target holds both actors' entries", domain.AuditFilter{TargetType: domain.TargetGateway, TargetID: gw}, newestFirst(ids[:7])},
		{"the range of their days holds them", domain.AuditFilter{Actor: bob, From: firstDay, To: lastDay.AddDate(0, 0, 1)}, []int64{ids[5], ids[3], ids[1]}},
		{"a range ending before their first day excludes them", domain.AuditFilter{Actor: bob, To: firstDay}, nil},
		{"a range starting after their last day excludes them", domain.AuditFilter{Actor: bob, From: lastDay.AddDate(0, 0, 1)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := st.ListAudit(t.Context(), tt.f, domain.PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, entryIDs(page.Entries), cmpEmpty); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if page.Older != nil || page.Newer != nil {
				t.Errorf("a single page has cursors %+v %+v", page.Older, page.Newer)
			}
		})
	}

	t.Run("pages of three walk older and back newer without gaps or repeats", func(t *testing.T) {
		f := domain.AuditFilter{TargetType: domain.TargetGateway, TargetID: gw}
		want := newestFirst(ids[:7])
		var got []int64
		var pages []domain.AuditPage
		p := domain.PageRequest{Limit: 3}
		for {
			page, err := st.ListAudit(t.Context(), f, p)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, page)
			got = append(got, entryIDs(page.Entries)...)
			if page.Older == nil {
				break
			}
			p = domain.PageRequest{Limit: 3, Before: page.Older}
		}
		if diff := cmp.Diff(want, got); diff != "" || len(pages) != 3 {
			t.Fatalf("%d pages, ids (-want +got):\n%s", len(pages), diff)
		}
		back, err := st.ListAudit(t.Context(), f, domain.PageRequest{Limit: 3, After: pages[1].Newer})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[:3], entryIDs(back.Entries)); diff != "" || back.Newer != nil || back.Older == nil {
			t.Errorf("newer than page 2: newer %v older %v, ids (-want +got):\n%s", back.Newer, back.Older, diff)
		}
	})

	t.Run("the diff comes back decoded, numbers as JSON numbers", func(t *testing.T) {
		page, err := st.ListAudit(t.Context(), domain.AuditFilter{Actor: alice, Action: domain.AuditGatewayUpdate}, domain.PageRequest{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := page.Entries[0]
		want := map[string]domain.FieldChange{"agentId": {Before: float64(100006), After: float64(100007)}}
		if diff := cmp.Diff(want, got.Diff); diff != "" || got.Actor != alice || got.Outcome != "success" || len(got.Hash) != 32 {
			t.Errorf("entry %+v, diff (-want +got):\n%s", got, diff)
		}
	})
}

var cmpEmpty = cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })

// seedAudit writes n entries as one valid extension of the chain (the
// hashes computed here, under the same lock AppendAudit takes), so the
// package's other tests still find an intact chain. Times run from
// start, one second apart.
func seedAudit(ctx context.Context, pool *pgxpool.Pool, start time.Time, n int, gen func(int) domain.AuditEntry) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('ccsub.audit_log'))"); err != nil {
			return err
		}
		prev := make([]byte, 32)
		err := tx.QueryRow(ctx, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").Scan(&prev)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		rows := make([][]any, n)
		for i := range n {
			e := gen(i)
			e.Outcome = "success"
			at := start.Add(time.Duration(i) * time.Second).UTC().Truncate(time.Microsecond)
			diff, _ := json.Marshal(e.Diff)
			h := store.AuditHash(prev, at, e, string(diff))
			rows[i] = []any{at, e.Actor, e.SourceAddr, e.UserAgent, string(e.Action), e.TargetType, e.TargetID,
				e.TargetName, e.Outcome, string(diff), prev, h}
			prev = h
		}
		cols := []string{"at", "actor", "source_addr", "user_agent", "action", "target_type", "target_id",
			"target_name", "outcome", "diff", "prev_hash", "hash"}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"audit_log"}, cols, pgx.CopyFromRows(rows))
		return err
	})
}

// TestListAuditPlansWalkAnIndexInOrder checks, on 20,000 entries,
// that every ListAudit statement reads an index in list order with the
// cursor as an index condition, under custom and generic plans alike.
func TestListAuditPlansWalkAnIndexInOrder(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := t.Context()
	const n = 20000
	start := time.Now().UTC().Add(-48 * time.Hour)
	actions := []domain.AuditAction{domain.AuditLogin, domain.AuditGatewayTest, domain.AuditSubModify, domain.AuditSubRegister, domain.AuditExport}
	// A console has few users: half the entries are one busy actor's, the
	// rest spread over three. A third are about one busy gateway, the rest
	// spread over 300 subscriptions.
	err := seedAudit(ctx, pool, start, n, func(i int) domain.AuditEntry {
		e := domain.AuditEntry{Actor: fmt.Sprintf("planner-%02d", i%3), SourceAddr: "10.0.0.1", Action: actions[i%len(actions)],
			TargetType: domain.TargetSubscription, TargetID: fmt.Sprint(i % 300), Diff: map[string]domain.FieldChange{"n": {After: i}}}
		if i%2 == 0 {
			e.Actor = "planner-busy"
		}
		if i%3 == 0 {
			e.TargetType, e.TargetID = domain.TargetGateway, "1"
		}
		return e
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE audit_log"); err != nil {
		t.Fatal(err)
	}
	if v, err := store.New(pool).VerifyAuditChain(ctx); err != nil || v.Break != nil {
		t.Fatalf("the seeded chain does not verify: %+v %v", v.Break, err)
	}
	deep := domain.Cursor{At: start.Add(1500 * time.Second).Truncate(time.Microsecond)}
	if err := pool.QueryRow(ctx, "SELECT id FROM audit_log WHERE at = $1", deep.At).Scan(&deep.ID); err != nil {
		t.Fatal(err)
	}
	// A filter that matches few rows may be read through its index and
	// sorted: bounded work, and often the planner's best choice. A busy one
	// must be walked in order and stop at the limit. A generic plan knows
	// only the average target (a few dozen entries here), so it may sort a target's
	// entries: bounded by what one gateway or subscription accumulates.
	filters := []struct {
		name         string
		f            domain.AuditFilter
		maySort      bool
		genericSorts bool
	}{
		{"no filter", domain.AuditFilter{}, false, false},
		{"a busy actor", domain.AuditFilter{Actor: "planner-busy"}, false, false},
		{"another actor", domain.AuditFilter{Actor: "planner-01"}, false, false},
		{"an action", domain.AuditFilter{Action: domain.AuditExport}, false, false},
		{"a busy target", domain.AuditFilter{TargetType: domain.TargetGateway, TargetID: "1"}, false, true},
		{"a quiet target", domain.AuditFilter{TargetType: domain.TargetSubscription, TargetID: "41"}, true, true},
		{"a day", domain.AuditFilter{From: start.Add(time.Hour), To: start.Add(25 * time.Hour)}, false, false},
		{"a busy actor and an action", domain.AuditFilter{Actor: "planner-busy", Action: domain.AuditGatewayTest}, false, false},
		{"a target type alone", domain.AuditFilter{TargetType: domain.TargetGateway}, true, true},
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
					sql, args := store.AuditQuery(fl.f, pg.p)
					plan, err := explain(ctx, pool, sql, args, mode)
					if err != nil {
						t.Fatal(err)
					}
					maySort := fl.maySort || fl.genericSorts && mode == "force_generic_plan"
					if problem := auditPlanProblem(plan, pg.p.Before != nil || pg.p.After != nil, maySort); problem != "" {
						t.Fatalf("%s in plan:\n%s", problem, plan)
					}
				})
			}
		}
	}
}

// auditPlanProblem describes what makes plan unfit for a page of the audit
// trail, or returns "".
func auditPlanProblem(plan planNode, keyset, maySort bool) string {
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
			keysetInIndex = keysetInIndex || strings.Contains(n.IndexCond, "ROW(at, id)")
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
