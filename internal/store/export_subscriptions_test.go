package store

import (
	"context"

	"ccsub/internal/domain"
)

// ListSubscriptionsMatching is ListSubscriptions as it runs on a database
// whose text search is served as match says, whatever this one has.
func (s *Store) ListSubscriptionsMatching(ctx context.Context, f domain.SubscriptionFilter, p domain.PageRequest,
	match domain.TextMatch) (domain.SubscriptionPage, error) {
	return s.listSubscriptions(ctx, f, p, match)
}

// GuessTextRows makes searches take the planner's guesses to be rows to
// walk and matches (negative: ask the planner again).
func GuessTextRows(rows, matches float64) {
	estimateTextRows = func(s *Store, ctx context.Context, q keysetQuery) (float64, float64, error) {
		if rows < 0 {
			return s.estimateTextRows(ctx, q)
		}
		return rows, matches, nil
	}
}
