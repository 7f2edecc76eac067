package store_test

import (
	"slices"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// withoutTrigrams is a database of the test's own on which pg_trgm is gone
// (and the trigram indexes with it), as on a database where ccsub could
// not create it.
func withoutTrigrams(t *testing.T) *store.Store {
	t.Helper()
	pool, _ := dbtest.Isolated(t)
	if _, err := pool.Exec(t.Context(), "DROP EXTENSION IF EXISTS pg_trgm CASCADE"); err != nil {
		t.Fatal(err)
	}
	return store.New(pool)
}

// TestListCallsWithoutTrigramsMatchTheStart: without pg_trgm, the text
// filters match the start of the callback address (or of the address after
// its scheme) and of the message, ignoring case; LIKE's wildcards stay
// literal; serverIds match as with it.
func TestListCallsWithoutTrigramsMatchTheStart(t *testing.T) {
	s := withoutTrigrams(t)
	if match, err := s.TextMatch(t.Context()); err != nil || match != domain.MatchStart {
		t.Fatalf("TextMatch without pg_trgm = %v, %v; want MatchStart", match, err)
	}
	f := newListFixtureOn(t, s)
	tests := []struct {
		name   string
		filter domain.CallFilter
		want   []int
	}{
		{"a host's start", domain.CallFilter{CallbackContains: "crm.example"}, []int{8, 1, 0}},
		{"an address's start with its scheme, ignoring case", domain.CallFilter{CallbackContains: "HTTPS://ivr"}, []int{3, 2}},
		{"a host and path, ignoring case", domain.CallFilter{CallbackContains: "ivr.example.com/100"}, []int{3, 2}},
		{"a percent sign stays literal", domain.CallFilter{CallbackContains: "ivr.example.com/100%"}, []int{2}},
		{"an underscore stays literal", domain.CallFilter{CallbackContains: "bot.example.com/a_b"}, []int{4}},
		{"a backslash stays literal", domain.CallFilter{CallbackContains: `qa.example.com/back\s`}, []int{6}},
		{"a host after http://", domain.CallFilter{CallbackContains: "127.0.0.1:8080"}, []int{9}},
		{"the middle of an address matches nothing", domain.CallFilter{CallbackContains: "example"}, []int{}},
		{"a message's start, ignoring case", domain.CallFilter{MessageContains: "HANDSHAKE"}, []int{6, 1}},
		{"a message's start with a literal percent sign", domain.CallFilter{MessageContains: "lapsed: 100x"}, []int{7}},
		{"the middle of a message matches nothing", domain.CallFilter{MessageContains: "failed"}, []int{}},
		{"a whole serverId", domain.CallFilter{ServerID: f.srvA}, []int{2, 1, 0}},
		{"a serverId prefix", domain.CallFilter{ServerID: f.srvA, ServerIDPrefix: true}, []int{9, 2, 1, 0}},
		{"text filters combine with the others",
			domain.CallFilter{CallbackContains: "crm", MessageContains: "hand", Retcode: "107-032"}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := f.list(t, tt.filter, domain.PageRequest{})
			if got := f.indexes(t, page); !slices.Equal(got, tt.want) {
				t.Fatalf("got calls %v, want %v", got, tt.want)
			}
		})
	}
}
