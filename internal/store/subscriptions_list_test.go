package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// subSpec is one subscription of a list fixture; minute is its created_at
// after the fixture's base time.
type subSpec struct {
	gw       int // index into the fixture's gateways
	state    domain.SubState
	serverID string // after the fixture's prefix; "" for none (state unknown)
	callback string // %s is the fixture's mark
	minute   int
}

type subFixture struct {
	s    *store.Store
	gws  []domain.Gateway
	pfx  string // starts every serverId of the fixture
	mark string // in every callback host of the fixture
	ids  []int64
}

// newSubFixture creates the specs' subscriptions on gateways of the
// fixture's own, with the given states and creation times.
func newSubFixture(t *testing.T, gateways int, specs []subSpec) subFixture {
	t.Helper()
	s := newStore(t)
	f := subFixture{s: s, pfx: unique("SRV"), mark: unique("mk")}
	for range gateways {
		f.gws = append(f.gws, newGateway(t, s))
	}
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for _, sp := range specs {
		n := newSubscription(f.gws[sp.gw].ID)
		n.ServerID, n.CallbackURI = "", fmt.Sprintf(sp.callback, f.mark)
		if sp.serverID != "" {
			n.ServerID = f.pfx + sp.serverID
		}
		sub := createSubscription(t, s, n)
		mustExec(t, s, `UPDATE subscriptions SET state = $2, created_at = $3 WHERE id = $1`,
			sub.ID, string(sp.state), base.Add(time.Duration(sp.minute)*time.Minute))
		f.ids = append(f.ids, sub.ID)
	}
	return f
}

// indexes are the fixture's positions of the page's subscriptions, in the
// page's order; a subscription of another test is -1.
func (f subFixture) indexes(page domain.SubscriptionPage) []int {
	out := []int{}
	for _, sub := range page.Subscriptions {
		out = append(out, slices.Index(f.ids, sub.ID))
	}
	return out
}

var subFixtureSpecs = []subSpec{
	0: {0, domain.SubActive, "-001-00001", "https://crm-%s.example.com/cc", 1},
	1: {0, domain.SubDegraded, "-001-00002", "https://ivr-%s.example.com/events/100%%_done", 2},
	2: {0, domain.SubLapsed, "-002-00003", "http://bot-%s.example.com/x", 3},
	3: {0, domain.SubCancelled, "-002-00004", "https://ivr-%s.example.com/events/100XYdone", 4},
	4: {0, domain.SubUnknown, "", "https://qa-%s.example.com/cc", 5},
	5: {0, domain.SubActive, "-003-00005", "https://CRM-%s.Example.com/Upper", 6},
	6: {1, domain.SubActive, "-003-00006", "https://crm-%s.example.com/other-gateway", 7},
	7: {1, domain.SubLapsed, "-004-00007", "https://ivr-%s.example.com/b", 8},
}

func TestListSubscriptionsFilters(t *testing.T) {
	f := newSubFixture(t, 2, subFixtureSpecs)
	g, h := f.gws[0].ID, f.gws[1].ID
	tests := []struct {
		name  string
		match domain.TextMatch
		filt  domain.SubscriptionFilter
		want  []int
	}{
		{"a gateway, newest first", domain.MatchAnywhere, domain.SubscriptionFilter{GatewayID: g}, []int{5, 4, 3, 2, 1, 0}},
		{"the other gateway", domain.MatchAnywhere, domain.SubscriptionFilter{GatewayID: h}, []int{7, 6}},
		{"one state", domain.MatchAnywhere,
			domain.SubscriptionFilter{GatewayID: g, States: []domain.SubState{domain.SubActive}}, []int{5, 0}},
		{"several states", domain.MatchAnywhere, domain.SubscriptionFilter{GatewayID: g,
			States: []domain.SubState{domain.SubLapsed, domain.SubUnknown, domain.SubDegraded}}, []int{4, 2, 1}},
		{"a state across gateways", domain.MatchAnywhere,
			domain.SubscriptionFilter{Text: f.mark, States: []domain.SubState{domain.SubLapsed}}, []int{7, 2}},
		{"a state that none has", domain.MatchAnywhere,
			domain.SubscriptionFilter{GatewayID: h, States: []domain.SubState{domain.SubCancelled}}, []int{}},
		{"text in the middle of the callback, ignoring case, every gateway", domain.MatchAnywhere,
			domain.SubscriptionFilter{Text: "crm-" + f.mark + ".EXAMPLE.com"}, []int{6, 5, 0}},
		{"text in the middle of the serverId", domain.MatchAnywhere,
			domain.SubscriptionFilter{Text: "001-0000"}, nil}, // checked below: at least rows 1 and 0
		{"a serverId as a whole", domain.MatchAnywhere,
			domain.SubscriptionFilter{Text: f.pfx + "-002-00003"}, []int{2}},
		{"% and _ in the text are themselves, not wildcards", domain.MatchAnywhere,
			domain.SubscriptionFilter{Text: f.mark + ".example.com/events/100%_d"}, []int{1}},
		{"text with state and gateway", domain.MatchAnywhere, domain.SubscriptionFilter{GatewayID: g,
			States: []domain.SubState{domain.SubActive, domain.SubCancelled}, Text: "ivr-" + f.mark}, []int{3}},
		{"text that nothing holds", domain.MatchAnywhere,
			domain.SubscriptionFilter{Text: f.mark + "-nowhere"}, []int{}},
		{"a term too short for a trigram matches the start only", domain.MatchAnywhere,
			domain.SubscriptionFilter{GatewayID: g, Text: "qa"}, []int{4}},
		{"at the start: the address after its scheme", domain.MatchStart,
			domain.SubscriptionFilter{Text: "crm-" + f.mark}, []int{6, 5, 0}},
		{"at the start: the whole address", domain.MatchStart,
			domain.SubscriptionFilter{Text: "http://bot-" + f.mark}, []int{2}},
		{"at the start: the start of the serverId", domain.MatchStart,
			domain.SubscriptionFilter{Text: f.pfx + "-00"}, []int{7, 6, 5, 3, 2, 1, 0}},
		{"at the start: the middle of the address does not match", domain.MatchStart,
			domain.SubscriptionFilter{Text: f.mark + ".example.com"}, []int{}},
		{"at the start: % and _ are themselves", domain.MatchStart,
			domain.SubscriptionFilter{GatewayID: g, Text: "https://ivr-" + f.mark + ".example.com/events/100%_"}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.s.ListSubscriptionsMatching(t.Context(), tt.filt, domain.PageRequest{Limit: 200}, tt.match)
			if err != nil {
				t.Fatal(err)
			}
			got := f.indexes(page)
			if tt.want == nil { // the serverId fragment: other tests' serverIds may hold it too
				if i, j := slices.Index(got, 1), slices.Index(got, 0); i < 0 || j < 0 || i > j || slices.Contains(got, 2) {
					t.Fatalf("got %v, want 1 then 0 among them, and not 2", got)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, sub := range page.Subscriptions {
				if want := f.gws[subFixtureSpecs[slices.Index(f.ids, sub.ID)].gw]; sub.GatewayName != want.Name {
					t.Fatalf("gateway name %q, want %q", sub.GatewayName, want.Name)
				}
			}
			if page.Older != nil || page.Newer != nil {
				t.Fatalf("one page, but cursors %v %v", page.Older, page.Newer)
			}
		})
	}
	t.Run("this database searches anywhere, as the other cases assume", func(t *testing.T) {
		page, err := f.s.ListSubscriptions(t.Context(), domain.SubscriptionFilter{Text: f.mark + ".example.com/events/100%_d"}, domain.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.indexes(page); !slices.Equal(got, []int{1}) {
			t.Fatalf("got %v, want [1]", got)
		}
	})
}

func TestListSubscriptionsPagesWithoutGapsOrRepeats(t *testing.T) {
	// Eleven subscriptions, several created at the same moment: the id
	// breaks the tie.
	minutes := []int{1, 2, 2, 2, 3, 4, 5, 5, 6, 7, 7}
	var specs []subSpec
	for i, m := range minutes {
		st := domain.SubActive
		if i%3 == 0 {
			st = domain.SubDegraded
		}
		specs = append(specs, subSpec{0, st, fmt.Sprintf("-%03d", i), "https://crm-%s.example.com/", m})
	}
	f := newSubFixture(t, 1, specs)
	for _, filt := range []domain.SubscriptionFilter{
		{GatewayID: f.gws[0].ID},
		{Text: f.mark},
		{GatewayID: f.gws[0].ID, States: []domain.SubState{domain.SubActive, domain.SubDegraded}},
		{Text: f.pfx, States: []domain.SubState{domain.SubActive}},
	} {
		t.Run(fmt.Sprintf("%+v", filt), func(t *testing.T) {
			all, err := f.s.ListSubscriptions(t.Context(), filt, domain.PageRequest{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			want := f.indexes(all)
			if len(want) < 7 {
				t.Fatalf("only %d rows", len(want))
			}
			// Older, page by page.
			var pages []domain.SubscriptionPage
			var walked []int
			p := domain.PageRequest{Limit: 3}
			for {
				page, err := f.s.ListSubscriptions(t.Context(), filt, p)
				if err != nil {
					t.Fatal(err)
				}
				if (len(pages) > 0) != (page.Newer != nil) {
					t.Fatalf("page %d: newer cursor %v", len(pages), page.Newer)
				}
				pages = append(pages, page)
				walked = append(walked, f.indexes(page)...)
				if page.Older == nil {
					break
				}
				p = domain.PageRequest{Before: page.Older, Limit: 3}
			}
			if !slices.Equal(walked, want) {
				t.Fatalf("walking older gave %v, want %v", walked, want)
			}
			// And back newer from the last page: the same pages.
			for i := len(pages) - 1; i > 0; i-- {
				page, err := f.s.ListSubscriptions(t.Context(), filt, domain.PageRequest{After: pages[i].Newer, Limit: 3})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := f.indexes(page), f.indexes(pages[i-1]); !slices.Equal(got, want) {
					t.Fatalf("back to page %d: %v, want %v", i-1, got, want)
				}
				if (i-1 > 0) != (page.Newer != nil) || page.Older == nil {
					t.Fatalf("back to page %d: cursors %v %v", i-1, page.Older, page.Newer)
				}
			}
		})
	}
	t.Run("after the newest there is nothing, and no cursor", func(t *testing.T) {
		first, err := f.s.ListSubscriptions(t.Context(), domain.SubscriptionFilter{GatewayID: f.gws[0].ID}, domain.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		newest := domain.Cursor{At: first.Subscriptions[0].CreatedAt, ID: first.Subscriptions[0].ID}
		page, err := f.s.ListSubscriptions(t.Context(), domain.SubscriptionFilter{GatewayID: f.gws[0].ID},
			domain.PageRequest{After: &newest})
		if err != nil || len(page.Subscriptions) != 0 || page.Older != nil || page.Newer != nil {
			t.Fatalf("got %+v, %v", page, err)
		}
	})
}

// countedByState counts subscriptions the slow way, for comparison.
func countedByState(t *testing.T, s *store.Store, gatewayID int64) domain.SubscriptionCounts {
	t.Helper()
	rows, err := s.Pool().Query(t.Context(), `SELECT state, count(*) FROM subscriptions
		WHERE gateway_id = $1 OR $1 = 0 GROUP BY state`, gatewayID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := domain.SubscriptionCounts{}
	for rows.Next() {
		var st domain.SubState
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		out[st] = n
	}
	return out
}

func wantCounts(t *testing.T, s *store.Store, gatewayID int64, want domain.SubscriptionCounts) {
	t.Helper()
	got, err := s.CountSubscriptions(t.Context(), gatewayID)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("counts of gateway %d = %v, want %v", gatewayID, got, want)
	}
	if slow := countedByState(t, s, gatewayID); !maps.Equal(got, slow) {
		t.Fatalf("counts of gateway %d = %v, but the table holds %v", gatewayID, got, slow)
	}
}

func TestCountSubscriptionsFollowsEveryChange(t *testing.T) {
	f := newSubFixture(t, 2, subFixtureSpecs)
	s, g, h := f.s, f.gws[0].ID, f.gws[1].ID
	wantCounts(t, s, g, domain.SubscriptionCounts{"active": 2, "degraded": 1, "lapsed": 1, "cancelled": 1, "unknown": 1})
	wantCounts(t, s, h, domain.SubscriptionCounts{"active": 1, "lapsed": 1})

	t.Run("a state change moves one", func(t *testing.T) {
		if err := s.SetSubscriptionState(t.Context(), f.ids[0], domain.SubDegraded, "test"); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, s, g, domain.SubscriptionCounts{"active": 1, "degraded": 2, "lapsed": 1, "cancelled": 1, "unknown": 1})
	})
	t.Run("writing the same state again changes nothing", func(t *testing.T) {
		mustExec(t, s, `UPDATE subscriptions SET state = state, handshakes_ok = handshakes_ok + 1 WHERE gateway_id = $1`, g)
		wantCounts(t, s, g, domain.SubscriptionCounts{"active": 1, "degraded": 2, "lapsed": 1, "cancelled": 1, "unknown": 1})
	})
	t.Run("a statement moving several", func(t *testing.T) {
		mustExec(t, s, `UPDATE subscriptions SET state = 'cancelled' WHERE gateway_id = $1 AND state <> 'unknown'`, g)
		wantCounts(t, s, g, domain.SubscriptionCounts{"cancelled": 5, "unknown": 1})
	})
	t.Run("a move to another gateway", func(t *testing.T) {
		mustExec(t, s, `UPDATE subscriptions SET gateway_id = $2, state = 'active' WHERE id = $1`, f.ids[4], h)
		wantCounts(t, s, g, domain.SubscriptionCounts{"cancelled": 5})
		wantCounts(t, s, h, domain.SubscriptionCounts{"active": 2, "lapsed": 1})
	})
	t.Run("a deletion", func(t *testing.T) {
		mustExec(t, s, `DELETE FROM subscriptions WHERE id = $1`, f.ids[7])
		wantCounts(t, s, h, domain.SubscriptionCounts{"active": 2})
	})
	t.Run("a new one", func(t *testing.T) {
		createSubscription(t, s, newSubscription(h))
		wantCounts(t, s, h, domain.SubscriptionCounts{"active": 3})
	})
	t.Run("every gateway together", func(t *testing.T) {
		all, err := s.CountSubscriptions(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if slow := countedByState(t, s, 0); !maps.Equal(all, slow) || all.Total() < 9 {
			t.Fatalf("counts %v, but the table holds %v", all, slow)
		}
		metric, err := s.SubscriptionCounts(t.Context())
		if err != nil || !maps.Equal(domain.SubscriptionCounts(metric), all) {
			t.Fatalf("the metrics' counts %v, %v; want %v", metric, err, all)
		}
	})
}

func TestCountSubscriptionsUnderConcurrentMoves(t *testing.T) {
	// Sessions move subscriptions from state to state at once, as the
	// keep-alive engine and the actions do (one subscription per
	// transaction), and register new ones: the counters must neither
	// deadlock nor drift.
	pool := dbtest.Pool(t)
	s := store.New(pool)
	g := newGateway(t, s)
	var ids []int64
	for range 16 {
		ids = append(ids, createSubscription(t, s, newSubscription(g.ID)).ID)
	}
	states := []string{"active", "degraded", "lapsed", "cancelled", "active", "unknown"}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range 40 {
				err := s.InTx(ctx, func(tx *store.Store) error {
					id := ids[(w*7+i)%len(ids)]
					if err := tx.SetSubscriptionState(ctx, id, domain.SubState(states[(w+i)%len(states)]), "test"); err != nil {
						return err
					}
					if i%10 == 0 {
						_, err := tx.CreateSubscription(ctx, newSubscription(g.ID))
						return err
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d, round %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantCounts(t, s, g.ID, countedByState(t, s, g.ID))
	if got, _ := s.CountSubscriptions(t.Context(), g.ID); got.Total() != 16+8*4 {
		t.Fatalf("total %d, want %d", got.Total(), 16+8*4)
	}
}

func TestListSubscriptionsSearchesBeyondTheWindow(t *testing.T) {
	// A page of 2 tests the term on the newest 120 rows first; 300
	// subscriptions put most of them beyond. "rare" is in three of the
	// oldest, "tenth" in every tenth, "each" in all.
	var specs []subSpec
	for i := range 300 {
		cb := "https://each-%s.example.com/"
		switch {
		case i >= 1 && i <= 3:
			cb += "rare/"
		case i%10 == 5:
			cb += "tenth/"
		}
		specs = append(specs, subSpec{0, domain.SubActive, fmt.Sprintf("-%03d", i), cb, i})
	}
	f := newSubFixture(t, 1, specs)
	g := f.gws[0].ID
	newestFirst := func(keep func(int) bool) []int {
		out := []int{}
		for i := len(specs) - 1; i >= 0; i-- {
			if keep(i) {
				out = append(out, i)
			}
		}
		return out
	}
	host := "each-" + f.mark + ".example.com/"
	// The planner's guesses only order the steps: a guess of no match
	// tries the matches first, of a million the window first.
	for _, guess := range []float64{-1, 0, 1e6} {
		store.GuessTextRows(guess, guess)
		t.Cleanup(func() { store.GuessTextRows(-1, -1) })
		for _, match := range []domain.TextMatch{domain.MatchAnywhere, domain.MatchStart} {
			for _, tc := range []struct {
				name, anywhere, start string
				want                  []int
			}{
				{"rare", "/rare/", host + "rare/", newestFirst(func(i int) bool { return i >= 1 && i <= 3 })},
				{"tenth", "/tenth/", "https://" + host + "tenth/", newestFirst(func(i int) bool { return i%10 == 5 })},
				{"each", "each-" + f.mark, host, newestFirst(func(int) bool { return true })},
			} {
				text := tc.anywhere
				if match == domain.MatchStart {
					text = tc.start
				}
				t.Run(fmt.Sprintf("guess %g, match %d, %s", guess, match, tc.name), func(t *testing.T) {
					filt := domain.SubscriptionFilter{GatewayID: g, Text: text}
					// The first 16 pages (all of rare and tenth), then the
					// last ones of each from a cursor near the end.
					var walked []int
					var pages []domain.SubscriptionPage
					p := domain.PageRequest{Limit: 2}
					for len(pages) < 16 {
						page, err := f.s.ListSubscriptionsMatching(t.Context(), filt, p, match)
						if err != nil {
							t.Fatal(err)
						}
						pages = append(pages, page)
						walked = append(walked, f.indexes(page)...)
						if page.Older == nil {
							break
						}
						p = domain.PageRequest{Before: page.Older, Limit: 2}
					}
					if want := tc.want[:min(len(tc.want), 32)]; !slices.Equal(walked, want) {
						t.Fatalf("walked %v,\nwant %v", walked, want)
					}
					if tc.name == "each" {
						near := subCursor(t, f.s, f.ids[5])
						page, err := f.s.ListSubscriptionsMatching(t.Context(), filt, domain.PageRequest{Before: &near, Limit: 4}, match)
						if err != nil || !slices.Equal(f.indexes(page), []int{4, 3, 2, 1}) || page.Older == nil {
							t.Fatalf("near the end: %v (older %v), %v", f.indexes(page), page.Older, err)
						}
						page, err = f.s.ListSubscriptionsMatching(t.Context(), filt, domain.PageRequest{Before: page.Older, Limit: 4}, match)
						if err != nil || !slices.Equal(f.indexes(page), []int{0}) || page.Older != nil {
							t.Fatalf("the end: %v (older %v), %v", f.indexes(page), page.Older, err)
						}
					}
					for i := len(pages) - 1; i > 0; i-- {
						page, err := f.s.ListSubscriptionsMatching(t.Context(), filt,
							domain.PageRequest{After: pages[i].Newer, Limit: 2}, match)
						if err != nil {
							t.Fatal(err)
						}
						if got, want := f.indexes(page), f.indexes(pages[i-1]); !slices.Equal(got, want) {
							t.Fatalf("back to page %d: %v, want %v", i-1, got, want)
						}
					}
				})
			}
		}
	}
}

// subCursor is the page cursor of subscription id.
func subCursor(t *testing.T, s *store.Store, id int64) domain.Cursor {
	t.Helper()
	sub, err := s.Subscription(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return domain.Cursor{At: sub.CreatedAt, ID: sub.ID}
}
