package store_test

import (
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"
)

// BenchmarkListCalls pages a 100,000-call history. b.N runs reuse the
// pool's connection, so after the fifth run PostgreSQL may switch to a
// generic plan; a plan that ignored the index would show here as a jump
// from well under a millisecond to tens of milliseconds per page.
func BenchmarkListCalls(b *testing.B) {
	pool := dbtest.Pool(b)
	s := store.New(pool)
	g := newGateway(b, s)
	if err := storetest.SeedCalls(b.Context(), pool, 100000, g.ID); err != nil {
		b.Fatal(err)
	}
	var deep domain.Cursor
	err := pool.QueryRow(b.Context(), `SELECT started_at, id FROM calls WHERE gateway_id = $1
		ORDER BY started_at DESC, id DESC OFFSET 95000 LIMIT 1`, g.ID).Scan(&deep.At, &deep.ID)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		f    domain.CallFilter
		p    domain.PageRequest
	}{
		{"first page", domain.CallFilter{}, domain.PageRequest{}},
		{"deep page", domain.CallFilter{}, domain.PageRequest{Before: &deep}},
		{"deep page newer", domain.CallFilter{}, domain.PageRequest{After: &deep}},
		{"first page of a gateway and outcome", domain.CallFilter{GatewayID: g.ID, Outcome: domain.OutcomeRejected}, domain.PageRequest{}},
		{"deep page of a retcode", domain.CallFilter{Retcode: "107-032"}, domain.PageRequest{Before: &deep}},
		{"deep page of a callback fragment", domain.CallFilter{CallbackContains: "asr_test"}, domain.PageRequest{Before: &deep}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				page, err := s.ListCalls(b.Context(), c.f, c.p)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Calls) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
}
