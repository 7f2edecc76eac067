package store

import (
	"context"
	"fmt"

	"ccsub/internal/domain"
)

// SubscriptionCounts returns how many subscriptions are in each state;
// states without any are absent. It reads the counters that the
// subscriptions list reads too (CountSubscriptions), so a scrape costs a few
// rows however many subscriptions there are.
func (s *Store) SubscriptionCounts(ctx context.Context) (map[domain.SubState]int64, error) {
	return s.CountSubscriptions(ctx, 0)
}

// CountPendingCalls counts calls sent (or about to be) and not yet
// answered. The condition is exactly calls_pending_idx's, so the count
// reads that small partial index, never the whole history.
func (s *Store) CountPendingCalls(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM calls WHERE outcome = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.CountPendingCalls: %w", err)
	}
	return n, nil
}
