package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/store"
)

// Refused pushes are kept 30 days at most and in bounded number; accepted
// pushes are never pruned, however old. The test counts the whole table,
// so it has a database of its own.
func TestPruneRefusedNotificationsByAgeAndByCount(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s, ctx := store.New(pool), t.Context()
	now := time.Now()
	add := func(callID string, accepted bool, age time.Duration) {
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO notifications (receiver_key, accepted, http_status, call_id, received_at)
			VALUES ('rk', $1, 401, $2, $3)`, accepted, callID, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	add("accepted-old", true, 400*24*time.Hour)
	add("refused-old", false, 31*24*time.Hour)
	for i := range 7 { // refused-0 is the oldest
		add(fmt.Sprint("refused-", i), false, time.Duration(7-i)*time.Hour)
	}
	left := func() []string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT call_id FROM notifications ORDER BY received_at, id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}

	// Batches of 2 make the loop go round.
	n, err := s.PruneRefusedNotifications(ctx, now.Add(-30*24*time.Hour), 5, 2)
	want := []string{"accepted-old", "refused-2", "refused-3", "refused-4", "refused-5", "refused-6"}
	if got := left(); err != nil || n != 3 || !slices.Equal(got, want) {
		t.Fatalf("pruned %d, %v; left %q\nwant 3 pruned (the 31-day-old one and the two oldest beyond 5), left %q", n, err, got, want)
	}
	if n, err := s.PruneRefusedNotifications(ctx, now.Add(-30*24*time.Hour), 5, 2); err != nil || n != 0 {
		t.Errorf("a second round pruned %d, %v; want nothing", n, err)
	}
	// With room for every row, the age alone decides.
	add("refused-older", false, 40*24*time.Hour)
	if n, err := s.PruneRefusedNotifications(ctx, now.Add(-30*24*time.Hour), 100, 10); err != nil || n != 1 {
		t.Errorf("under the count: pruned %d, %v; want the 40-day-old one", n, err)
	}
}
