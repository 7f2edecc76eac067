package store

import (
	"context"
	"fmt"

	"ccsub/internal/domain"
)

// SubscriptionCounts returns how many subscriptions are in each state;
// states without any are absent. The table holds one row per serverId
// ever obtained, so counting it on every metrics scrape is cheap.
func (s *Store) SubscriptionCounts(ctx context.Context) (map[domain.SubState]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT state, count(*) FROM subscriptions GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store.SubscriptionCounts: %w", err)
	}
	defer rows.Close()
	counts := map[domain.SubState]int64{}
	for rows.Next() {
		var state domain.SubState
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("store.SubscriptionCounts: %w", err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.SubscriptionCounts: %w", err)
	}
	return counts, nil
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
