package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"
)

// spec describes one call of a test history; minute places it in time.
type spec struct {
	minute   int
	op       domain.Operation
	outcome  domain.Outcome
	retcode  string
	serverID string
	callback string
	message  string
}

// history records specs as calls of gateway g, started at base+minute, and
// returns their ids in spec order (ids grow in that order).
func history(t *testing.T, s *store.Store, g domain.Gateway, base time.Time, specs []spec) []int64 {
	t.Helper()
	ids := make([]int64, len(specs))
	for i, sp := range specs {
		in := newCall(g)
		in.Operation, in.ServerID, in.CallbackURI = sp.op, sp.serverID, sp.callback
		c := beginCall(t, s, in)
		if sp.outcome != domain.OutcomePending {
			_, err := s.CompleteCall(t.Context(), c.ID, domain.CallResult{Outcome: sp.outcome, Retcode: sp.retcode,
				Message: sp.message})
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := s.Pool().Exec(t.Context(), `UPDATE calls SET started_at = $2 WHERE id = $1`, c.ID,
			base.Add(time.Duration(sp.minute)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

// listFixture is a ten-call history whose newest-first order is 9, 8, then
// 7, 6, 5 (which share a start time, so id decides), then 4 down to 0.
type listFixture struct {
	s       *store.Store
	gateway domain.Gateway
	base    time.Time
	ids     []int64
	srvA    string
	srvB    string
}

func newListFixture(t *testing.T) listFixture {
	return newListFixtureOn(t, newStore(t))
}

// newListFixtureOn is the fixture on the database of s.
func newListFixtureOn(t *testing.T, s *store.Store) listFixture {
	f := listFixture{s: s, gateway: newGateway(t, s), srvA: unique("srv-A"), srvB: unique("srv-B"),
		base: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.ids = history(t, s, f.gateway, f.base, []spec{
		{0, domain.OpRegister, domain.OutcomeSuccess, "0", f.srvA, "https://crm.example.com/cc", "success"},
		{1, domain.OpHandshake, domain.OutcomeRejected, "107-032", f.srvA, "https://crm.example.com/cc", "handshake failed"},
		{2, domain.OpModify, domain.OutcomeSuccess, "0", f.srvA, "https://IVR.example.com/100%/x", "success"},
		{3, domain.OpUnregister, domain.OutcomeFailed, "", f.srvB, "https://ivr.example.com/100x/x", ""},
		{4, domain.OpRegister, domain.OutcomeRejected, "107-027", "", "https://bot.example.com/a_b",
			"subscription registration failed: bot.example.com is not a subscription server of this gateway"},
		{5, domain.OpRegister, domain.OutcomeUnknown, "", "", "https://bot.example.com/aXb", ""},
		{5, domain.OpHandshake, domain.OutcomeRejected, "107-032", f.srvB, `https://qa.example.com/back\slash`, "Handshake failed: 100%_done"},
		{5, domain.OpStateChange, domain.OutcomeSuccess, "0", f.srvB, `https://qa.example.com/backXslash`, "lapsed: 100x"},
		{6, domain.OpRegister, domain.OutcomePending, "", "", "https://crm.example.com/cc", ""},
		{7, domain.OpHandshake, domain.OutcomeSuccess, "0", f.srvC(), "http://127.0.0.1:8080/receiver/crm", "success"},
	})
	return f
}

func (f listFixture) srvC() string { return f.srvA + "-C" }

func (f listFixture) at(minute int) time.Time { return f.base.Add(time.Duration(minute) * time.Minute) }

// indexes turns a page back into fixture indexes, for readable failures.
func (f listFixture) indexes(t *testing.T, page domain.CallPage) []int {
	t.Helper()
	got := make([]int, len(page.Calls))
	for i, c := range page.Calls {
		got[i] = slices.Index(f.ids, c.ID)
		if got[i] < 0 {
			t.Fatalf("page holds call %d, which is not the fixture's", c.ID)
		}
	}
	return got
}

func (f listFixture) list(t *testing.T, filter domain.CallFilter, p domain.PageRequest) domain.CallPage {
	t.Helper()
	filter.GatewayID = f.gateway.ID
	page, err := f.s.ListCalls(t.Context(), filter, p)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func TestListCallsFilters(t *testing.T) {
	f := newListFixture(t)
	if match, err := f.s.TextMatch(t.Context()); err != nil || match != domain.MatchAnywhere {
		t.Skipf("the test database has no trigram indexes (pg_trgm missing?): %v %v", match, err)
	}
	tests := []struct {
		name   string
		filter domain.CallFilter
		want   []int
	}{
		{"no filter lists the gateway's calls newest first with ties broken by id",
			domain.CallFilter{}, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"a retcode keeps only that retcode", domain.CallFilter{Retcode: "107-032"}, []int{6, 1}},
		{"an outcome keeps only that outcome", domain.CallFilter{Outcome: domain.OutcomeRejected}, []int{6, 4, 1}},
		{"the pending outcome finds unfinished calls", domain.CallFilter{Outcome: domain.OutcomePending}, []int{8}},
		{"an operation keeps only that operation", domain.CallFilter{Operation: domain.OpRegister}, []int{8, 5, 4, 0}},
		{"a serverId keeps only that subscription", domain.CallFilter{ServerID: f.srvB}, []int{7, 6, 3}},
		{"a whole serverId does not match a longer one that starts with it",
			domain.CallFilter{ServerID: f.srvA}, []int{2, 1, 0}},
		{"a serverId prefix matches every serverId that starts with it",
			domain.CallFilter{ServerID: f.srvA, ServerIDPrefix: true}, []int{9, 2, 1, 0}},
		{"a short serverId prefix is served too", domain.CallFilter{ServerID: "s", ServerIDPrefix: true},
			[]int{9, 7, 6, 3, 2, 1, 0}},
		{"an underscore in a serverId prefix matches only an underscore",
			domain.CallFilter{ServerID: "srv_A", ServerIDPrefix: true}, []int{}},
		{"a callback fragment matches anywhere, ignoring case",
			domain.CallFilter{CallbackContains: "ivr.EXAMPLE"}, []int{3, 2}},
		{"a percent sign in the fragment matches only a percent sign",
			domain.CallFilter{CallbackContains: "100%"}, []int{2}},
		{"an underscore in the fragment matches only an underscore",
			domain.CallFilter{CallbackContains: "com/a_b"}, []int{4}},
		{"a backslash in the fragment matches only a backslash",
			domain.CallFilter{CallbackContains: `back\s`}, []int{6}},
		{"a callback term too short for a trigram matches the host's start",
			domain.CallFilter{CallbackContains: "cR"}, []int{8, 1, 0}},
		{"a short callback term matches the address's start", domain.CallFilter{CallbackContains: "ht"},
			[]int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"a short callback term matches nowhere else", domain.CallFilter{CallbackContains: "cc"}, []int{}},
		{"a term without three letters or digits in a row matches the start",
			domain.CallFilter{CallbackContains: "a_b"}, []int{}},
		{"a message fragment matches anywhere, ignoring case",
			domain.CallFilter{MessageContains: "FAILED"}, []int{6, 4, 1}},
		{"a message fragment keeps its percent sign and underscore literal",
			domain.CallFilter{MessageContains: "100%_d"}, []int{6}},
		{"a message term too short for a trigram matches the start, ignoring case",
			domain.CallFilter{MessageContains: "ha"}, []int{6, 1}},
		{"a message fragment and a serverId prefix combine",
			domain.CallFilter{MessageContains: "success", ServerID: f.srvA, ServerIDPrefix: true}, []int{9, 2, 0}},
		{"from is inclusive", domain.CallFilter{From: f.at(5)}, []int{9, 8, 7, 6, 5}},
		{"to is exclusive", domain.CallFilter{To: f.at(5)}, []int{4, 3, 2, 1, 0}},
		{"from and to bound a window", domain.CallFilter{From: f.at(2), To: f.at(6)}, []int{7, 6, 5, 4, 3, 2}},
		{"filters combine with and",
			domain.CallFilter{Operation: domain.OpHandshake, Outcome: domain.OutcomeRejected,
				Retcode: "107-032", ServerID: f.srvB}, []int{6}},
		{"an operation and a callback fragment combine",
			domain.CallFilter{Operation: domain.OpRegister, CallbackContains: "crm"}, []int{8, 0}},
		{"filters that match nothing give an empty page",
			domain.CallFilter{Outcome: domain.OutcomePending, Retcode: "0"}, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := f.list(t, tt.filter, domain.PageRequest{})
			if got := f.indexes(t, page); !slices.Equal(got, tt.want) {
				t.Fatalf("got calls %v, want %v", got, tt.want)
			}
			if page.Older != nil || page.Newer != nil {
				t.Fatalf("a single page has cursors older=%v newer=%v, want none", page.Older, page.Newer)
			}
		})
	}
}

func TestListCallsPagingOlderAndBackNewerGivesTheSamePages(t *testing.T) {
	f := newListFixture(t)
	tests := []struct {
		name   string
		filter domain.CallFilter
		limit  int
		want   [][]int
	}{
		{"pages of three split the tie between pages", domain.CallFilter{}, 3,
			[][]int{{9, 8, 7}, {6, 5, 4}, {3, 2, 1}, {0}}},
		{"pages that end exactly at the last call have nothing older", domain.CallFilter{}, 5,
			[][]int{{9, 8, 7, 6, 5}, {4, 3, 2, 1, 0}}},
		{"one page holding everything has no neighbours", domain.CallFilter{}, 10,
			[][]int{{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}},
		{"pages of one keep a filter", domain.CallFilter{Outcome: domain.OutcomeRejected}, 1,
			[][]int{{6}, {4}, {1}}},
		{"pages keep a time window", domain.CallFilter{From: f.at(1), To: f.at(7)}, 4,
			[][]int{{8, 7, 6, 5}, {4, 3, 2, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := f.walk(t, tt.filter, tt.limit, tt.want)
			f.walkBack(t, tt.filter, tt.limit, pages, tt.want)
		})
	}
}

// walk pages older from the newest page until Older is nil, checking each
// page and its cursors; it returns the pages.
func (f listFixture) walk(t *testing.T, filter domain.CallFilter, limit int, want [][]int) []domain.CallPage {
	t.Helper()
	var pages []domain.CallPage
	req := domain.PageRequest{Limit: limit}
	for i := 0; ; i++ {
		if i == len(want) {
			t.Fatalf("more than the %d pages expected", len(want))
		}
		page := f.list(t, filter, req)
		if got := f.indexes(t, page); !slices.Equal(got, want[i]) {
			t.Fatalf("page %d going older: got %v, want %v", i, got, want[i])
		}
		checkCursors(t, fmt.Sprintf("page %d going older", i), page, i < len(want)-1, i > 0)
		pages = append(pages, page)
		if page.Older == nil {
			break
		}
		req = domain.PageRequest{Before: page.Older, Limit: limit}
	}
	if len(pages) != len(want) {
		t.Fatalf("walked %d pages, want %d", len(pages), len(want))
	}
	return pages
}

// walkBack pages newer from the last page with After and expects the same
// pages in reverse.
func (f listFixture) walkBack(t *testing.T, filter domain.CallFilter, limit int, pages []domain.CallPage, want [][]int) {
	t.Helper()
	cursor := pages[len(pages)-1].Newer
	for i := len(pages) - 2; i >= 0; i-- {
		page := f.list(t, filter, domain.PageRequest{After: cursor, Limit: limit})
		if got := f.indexes(t, page); !slices.Equal(got, want[i]) {
			t.Fatalf("page %d going newer: got %v, want %v", i, got, want[i])
		}
		checkCursors(t, fmt.Sprintf("page %d going newer", i), page, true, i > 0)
		cursor = page.Newer
	}
}

func checkCursors(t *testing.T, where string, page domain.CallPage, wantOlder, wantNewer bool) {
	t.Helper()
	if (page.Older != nil) != wantOlder || (page.Newer != nil) != wantNewer {
		t.Fatalf("%s: older=%v newer=%v, want older %v newer %v", where, page.Older, page.Newer, wantOlder, wantNewer)
	}
	last, first := page.Calls[len(page.Calls)-1], page.Calls[0]
	if page.Older != nil && (page.Older.ID != last.ID || !page.Older.At.Equal(last.StartedAt)) {
		t.Fatalf("%s: older cursor %+v, want the last call's", where, *page.Older)
	}
	if page.Newer != nil && (page.Newer.ID != first.ID || !page.Newer.At.Equal(first.StartedAt)) {
		t.Fatalf("%s: newer cursor %+v, want the first call's", where, *page.Newer)
	}
}

func TestListCallsAfterTheNewestCallIsEmpty(t *testing.T) {
	f := newListFixture(t)
	first := f.list(t, domain.CallFilter{}, domain.PageRequest{Limit: 3})
	page := f.list(t, domain.CallFilter{}, domain.PageRequest{After: &domain.Cursor{At: first.Calls[0].StartedAt, ID: first.Calls[0].ID}})
	if len(page.Calls) != 0 || page.Older != nil || page.Newer != nil {
		t.Fatalf("got %d calls, older=%v newer=%v; want an empty page", len(page.Calls), page.Older, page.Newer)
	}
}

func TestListCallsLimitBounds(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	if err := storetest.SeedCalls(t.Context(), dbtest.Pool(t), 250, g.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"zero asks for the default", 0, store.DefaultCallLimit},
		{"a negative limit asks for the default", -5, store.DefaultCallLimit},
		{"one is honoured", 1, 1},
		{"the maximum is honoured", store.MaxCallLimit, store.MaxCallLimit},
		{"more than the maximum is capped", store.MaxCallLimit + 1, store.MaxCallLimit},
		{"far more than the maximum is capped", 100000, store.MaxCallLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.ListCalls(t.Context(), domain.CallFilter{GatewayID: g.ID}, domain.PageRequest{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Calls) != tt.want || page.Older == nil {
				t.Fatalf("got %d calls (older=%v), want %d and more older", len(page.Calls), page.Older, tt.want)
			}
		})
	}
}

func TestListCallsWithoutAGatewayFilterListsEveryGateway(t *testing.T) {
	s := newStore(t)
	// After every call recorded so far, so these are the newest of all.
	var base time.Time
	err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT coalesce(max(started_at), now()) + interval '1 day' FROM calls`).Scan(&base)
	if err != nil {
		t.Fatal(err)
	}
	one, two := newGateway(t, s), newGateway(t, s)
	a := history(t, s, one, base, []spec{{minute: 1, op: domain.OpRegister, outcome: domain.OutcomeSuccess}})
	b := history(t, s, two, base, []spec{{minute: 2, op: domain.OpRegister, outcome: domain.OutcomeSuccess}})
	page, err := s.ListCalls(t.Context(), domain.CallFilter{}, domain.PageRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Calls) != 2 || page.Calls[0].ID != b[0] || page.Calls[1].ID != a[0] {
		t.Fatalf("newest calls = %+v, want %d then %d", page.Calls, b[0], a[0])
	}
}
