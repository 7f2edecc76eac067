package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// dueSubscriptions creates n active subscriptions on a gateway of their own,
// due a day ago so they sort before any other test's subscriptions (which
// share the database) and a claim takes exactly them.
func dueSubscriptions(t *testing.T, s *store.Store, n int) (domain.Gateway, []int64) {
	t.Helper()
	g := newGateway(t, s)
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = createSubscription(t, s, newSubscription(g.ID)).ID
	}
	if _, err := s.Pool().Exec(t.Context(), `UPDATE subscriptions SET next_due_at = now() - interval '1 day'
		WHERE gateway_id = $1`, g.ID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { park(t, s, g.ID) })
	return g, ids
}

// park takes a test's subscriptions out of the keep-alive, so later tests'
// claims never see them.
func park(t *testing.T, s *store.Store, gatewayID int64) {
	if _, err := s.Pool().Exec(context.Background(), `UPDATE subscriptions SET state = 'cancelled',
		next_due_at = NULL WHERE gateway_id = $1`, gatewayID); err != nil {
		t.Error(err)
	}
}

func claimedIDs(subs []domain.Subscription) []int64 {
	ids := make([]int64, len(subs))
	for i, s := range subs {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	return ids
}

func TestClaimDue(t *testing.T) {
	s := newStore(t)
	t.Run("a claim takes due subscriptions with their gateway's name and leases them", func(t *testing.T) {
		g, ids := dueSubscriptions(t, s, 3)
		subs, err := s.ClaimDue(t.Context(), "engine-a", time.Minute, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := claimedIDs(subs); !slices.Equal(got, ids) {
			t.Fatalf("claimed %v, want %v", got, ids)
		}
		if subs[0].GatewayName != g.Name || !subs[0].TokenPresent {
			t.Errorf("claimed row = %+v, want gateway %q and a token", subs[0], g.Name)
		}
		again, err := s.ClaimDue(t.Context(), "engine-b", time.Minute, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range again {
			if slices.Contains(ids, sub.ID) {
				t.Errorf("subscription %d claimed again while its lease is live", sub.ID)
			}
		}
	})
	t.Run("an expired lease is free for another engine", func(t *testing.T) {
		_, ids := dueSubscriptions(t, s, 2)
		if _, err := s.ClaimDue(t.Context(), "dead-engine", time.Microsecond, 2); err != nil {
			t.Fatal(err)
		}
		// The lease above ran out in a microsecond (of the database's clock).
		subs, err := s.ClaimDue(t.Context(), "engine-b", time.Minute, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := claimedIDs(subs); !slices.Equal(got, ids) {
			t.Fatalf("claimed %v, want the dead engine's %v", got, ids)
		}
	})
	t.Run("lapsed, cancelled and not yet due subscriptions are never claimed", func(t *testing.T) {
		g, ids := dueSubscriptions(t, s, 3)
		mustExec(t, s, `UPDATE subscriptions SET state = 'lapsed', next_due_at = NULL WHERE id = $1`, ids[0])
		mustExec(t, s, `UPDATE subscriptions SET state = 'cancelled' WHERE id = $1`, ids[1])
		mustExec(t, s, `UPDATE subscriptions SET next_due_at = now() + interval '1 hour' WHERE id = $1`, ids[2])
		subs, err := s.ClaimDue(t.Context(), "engine-a", time.Minute, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range subs {
			if sub.GatewayID == g.ID {
				t.Errorf("claimed subscription %d in state %s due %v", sub.ID, sub.State, sub.NextDueAt)
			}
		}
	})
	t.Run("concurrent claims by many engines never take the same subscription", func(t *testing.T) {
		const engines, each = 8, 5
		_, ids := dueSubscriptions(t, s, engines*each)
		var mu sync.Mutex
		var all []int64
		var wg sync.WaitGroup
		for i := range engines {
			wg.Go(func() {
				subs, err := s.ClaimDue(context.Background(), fmt.Sprintf("engine-%d", i), time.Minute, each)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				all = append(all, claimedIDs(subs)...)
			})
		}
		wg.Wait()
		slices.Sort(all)
		if !slices.Equal(all, ids) {
			t.Fatalf("claims took %v, want each of %v exactly once", all, ids)
		}
	})
}

func mustExec(t *testing.T, s *store.Store, sql string, args ...any) {
	t.Helper()
	if _, err := s.Pool().Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func TestRecordHandshakeSuccess(t *testing.T) {
	s := newStore(t)
	t.Run("a success updates counters and due time but writes no history", func(t *testing.T) {
		g, ids := dueSubscriptions(t, s, 1)
		claim(t, s, "engine-a", 1)
		c, err := s.RecordHandshakeSuccess(t.Context(), ids[0], "engine-a", 2*time.Minute, "keep-alive")
		if err != nil || c.Changed() {
			t.Fatalf("RecordHandshakeSuccess = %+v, %v; want no state change", c, err)
		}
		sub := mustSub(t, s, ids[0])
		if sub.HandshakesOK != 1 || sub.ConsecutiveFailures != 0 || sub.LastSuccessAt == nil ||
			sub.NextDueAt == nil || sub.NextDueAt.Sub(*sub.LastSuccessAt) != 2*time.Minute {
			t.Fatalf("after a success: %+v", sub)
		}
		if n := historyRows(t, s, g.ID); n != 0 {
			t.Errorf("a success wrote %d history rows, want 0", n)
		}
		if hb := heartbeats(t, s, ids[0]); len(hb) != 1 || hb[0].OK != 1 || hb[0].Failed != 0 {
			t.Errorf("heartbeats = %+v, want one bucket with one success", hb)
		}
	})
	t.Run("a success after failures makes a degraded subscription active with a history row", func(t *testing.T) {
		g, ids := dueSubscriptions(t, s, 1)
		mustExec(t, s, `UPDATE subscriptions SET state = 'degraded', consecutive_failures = 3 WHERE id = $1`, ids[0])
		claim(t, s, "engine-a", 1)
		c, err := s.RecordHandshakeSuccess(t.Context(), ids[0], "engine-a", time.Minute, "keep-alive")
		if err != nil || c.From != domain.SubDegraded || c.To != domain.SubActive {
			t.Fatalf("RecordHandshakeSuccess = %+v, %v; want degraded → active", c, err)
		}
		rows := gatewayHistory(t, s, g.ID)
		if len(rows) != 1 || rows[0].Operation != domain.OpStateChange || rows[0].Actor != "keep-alive" ||
			rows[0].Message != "degraded → active: handshake succeeded" || rows[0].Outcome != domain.OutcomeSuccess {
			t.Fatalf("history = %+v, want one state change", rows)
		}
	})
	t.Run("a result is not recorded by an engine that lost its lease", func(t *testing.T) {
		_, ids := dueSubscriptions(t, s, 1)
		claim(t, s, "engine-a", 1)
		mustExec(t, s, `UPDATE subscriptions SET lease_owner = 'engine-b' WHERE id = $1`, ids[0])
		_, err := s.RecordHandshakeSuccess(t.Context(), ids[0], "engine-a", time.Minute, "keep-alive")
		wantErr(t, err, store.ErrLeaseLost)
		if sub := mustSub(t, s, ids[0]); sub.HandshakesOK != 0 {
			t.Errorf("handshakes_ok = %d after a lost lease, want 0", sub.HandshakesOK)
		}
	})
}

func TestRecordHandshakeFailure(t *testing.T) {
	s := newStore(t)
	fail := func(id int64) store.HandshakeFailure {
		return store.HandshakeFailure{SubscriptionID: id, Owner: "engine-a", Actor: "keep-alive",
			Result: domain.CallResult{Outcome: domain.OutcomeFailed, HTTPStatus: 503, ResponseBody: "busy",
				Error: "HTTP 503", Attempts: 1, Duration: 40 * time.Millisecond},
			FailReason: "handshake failed: HTTP 503",
			RetryIn:    15 * time.Second, Limit: 5 * time.Minute, TokenPresent: true, RequestBody: ""}
	}
	cases := []struct {
		name       string
		setup      string // SQL on the subscription ($1) before the failure
		retcode    string
		wantState  domain.SubState
		wantReason string
	}{
		{"a first failure degrades an active subscription", ``, "", domain.SubDegraded,
			"handshake failed: HTTP 503"},
		{"107-032 only degrades it: the platform's answer does not say it is gone", ``, "107-032", domain.SubDegraded,
			"handshake failed: HTTP 503"},
		{"a failure past the limit since the last success lapses it",
			`UPDATE subscriptions SET state = 'degraded', last_success_at = now() - interval '6 minutes' WHERE id = $1`,
			"", domain.SubLapsed,
			"no successful handshake for 5m0s (the platform drops a subscription after that): handshake failed: HTTP 503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, ids := dueSubscriptions(t, s, 1)
			if tc.setup != "" {
				mustExec(t, s, tc.setup, ids[0])
			}
			before := mustSub(t, s, ids[0])
			claim(t, s, "engine-a", 1)
			f := fail(ids[0])
			if tc.retcode != "" {
				f.Result.Outcome, f.Result.Retcode = domain.OutcomeRejected, tc.retcode
			}
			c, err := s.RecordHandshakeFailure(t.Context(), f)
			if err != nil || c.To != tc.wantState || c.From != before.State || c.Reason != tc.wantReason {
				t.Fatalf("RecordHandshakeFailure = %+v, %v; want %s → %s: %q", c, err, before.State, tc.wantState, tc.wantReason)
			}
			sub := mustSub(t, s, ids[0])
			if sub.State != tc.wantState || sub.StateReason != tc.wantReason || sub.HandshakesFailed != 1 ||
				sub.ConsecutiveFailures != before.ConsecutiveFailures+1 || sub.LastHandshakeAt == nil {
				t.Fatalf("after the failure: %+v", sub)
			}
			lapsed := tc.wantState == domain.SubLapsed
			if lapsed != (sub.NextDueAt == nil) || lapsed != (sub.LapsedAt != nil) {
				t.Errorf("next due %v, lapsed at %v; a lapsed subscription is no longer due", sub.NextDueAt, sub.LapsedAt)
			}
			if !lapsed && sub.NextDueAt.Sub(*sub.LastHandshakeAt) != 15*time.Second {
				t.Errorf("retry due %v after the failure, want 15s", sub.NextDueAt.Sub(*sub.LastHandshakeAt))
			}
			rows := gatewayHistory(t, s, g.ID)
			ops := []domain.Operation{}
			for _, r := range rows {
				ops = append(ops, r.Operation)
			}
			wantOps := []domain.Operation{domain.OpHandshake}
			if before.State != tc.wantState {
				wantOps = append(wantOps, domain.OpStateChange)
			}
			slices.Sort(ops)
			slices.Sort(wantOps)
			if !slices.Equal(ops, wantOps) {
				t.Fatalf("history operations %v, want %v", ops, wantOps)
			}
			for _, r := range rows {
				switch r.Operation {
				case domain.OpHandshake:
					if r.Outcome != f.Result.Outcome || r.Retcode != f.Result.Retcode || r.HTTPStatus != 503 || r.Error != "HTTP 503" ||
						r.ServerID != sub.ServerID || r.FinishedAt == nil || r.Duration != 40*time.Millisecond ||
						r.SubscriptionID == nil || *r.SubscriptionID != sub.ID || !r.TokenPresent {
						t.Errorf("handshake row = %+v", r)
					}
				case domain.OpStateChange:
					if want := fmt.Sprintf("%s → %s: %s", before.State, tc.wantState, tc.wantReason); r.Message != want {
						t.Errorf("state change message %q, want %q", r.Message, want)
					}
				}
			}
			if hb := heartbeats(t, s, ids[0]); len(hb) != 1 || hb[0].Failed != 1 {
				t.Errorf("heartbeats = %+v, want one failure", hb)
			}
		})
	}
	t.Run("a second failure while degraded writes no second state change", func(t *testing.T) {
		g, ids := dueSubscriptions(t, s, 1)
		mustExec(t, s, `UPDATE subscriptions SET state = 'degraded' WHERE id = $1`, ids[0])
		claim(t, s, "engine-a", 1)
		if _, err := s.RecordHandshakeFailure(t.Context(), fail(ids[0])); err != nil {
			t.Fatal(err)
		}
		rows := gatewayHistory(t, s, g.ID)
		if len(rows) != 1 || rows[0].Operation != domain.OpHandshake {
			t.Fatalf("history = %+v, want only the failed handshake", rows)
		}
	})
	t.Run("a cancelled subscription's late failure is not recorded", func(t *testing.T) {
		g, ids := dueSubscriptions(t, s, 1)
		claim(t, s, "engine-a", 1)
		mustExec(t, s, `UPDATE subscriptions SET state = 'cancelled' WHERE id = $1`, ids[0])
		_, err := s.RecordHandshakeFailure(t.Context(), fail(ids[0]))
		wantErr(t, err, store.ErrLeaseLost)
		if n := historyRows(t, s, g.ID); n != 0 {
			t.Errorf("%d history rows, want 0", n)
		}
	})
}

func TestReleaseLeases(t *testing.T) {
	s := newStore(t)
	dueSubscriptions(t, s, 3)
	ofA := claim(t, s, "engine-a", 2)
	claim(t, s, "engine-b", 1)
	n, err := s.ReleaseLeases(t.Context(), "engine-a")
	if err != nil || n != 2 {
		t.Fatalf("ReleaseLeases = %d, %v; want 2", n, err)
	}
	subs, err := s.ClaimDue(t.Context(), "engine-c", time.Minute, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimedIDs(subs); !slices.Equal(got, ofA) {
		t.Fatalf("after the release engine-c claimed %v, want engine-a's %v", got, ofA)
	}
}

func TestHeartbeats(t *testing.T) {
	s := newStore(t)
	_, ids := dueSubscriptions(t, s, 1)
	id := ids[0]
	mustExec(t, s, `INSERT INTO heartbeats (subscription_id, bucket, ok, failed) VALUES
		($1, date_bin('5 minutes', now() - interval '26 hours', timestamptz '2000-01-01'), 24, 0),
		($1, date_bin('5 minutes', now() - interval '2 hours', timestamptz '2000-01-01'), 2, 1),
		($1, date_bin('5 minutes', now(), timestamptz '2000-01-01'), 1, 0)`, id)
	t.Run("the strip lists buckets since the given time, oldest first", func(t *testing.T) {
		hb, err := s.Heartbeats(t.Context(), id, time.Now().Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(hb) != 2 || hb[0].OK != 2 || hb[0].Failed != 1 || hb[1].OK != 1 || !hb[0].Start.Before(hb[1].Start) {
			t.Fatalf("heartbeats = %+v", hb)
		}
		if hb[1].Start.Minute()%5 != 0 || hb[1].Start.Second() != 0 {
			t.Errorf("bucket starts at %v, want a 5-minute boundary", hb[1].Start)
		}
	})
	t.Run("pruning drops buckets older than the age", func(t *testing.T) {
		n, err := s.PruneHeartbeats(t.Context(), 25*time.Hour)
		if err != nil || n < 1 {
			t.Fatalf("PruneHeartbeats = %d, %v; want the 26-hour-old bucket gone", n, err)
		}
		hb, _ := s.Heartbeats(t.Context(), id, time.Now().Add(-48*time.Hour))
		if len(hb) != 2 {
			t.Fatalf("after pruning %d buckets remain, want 2", len(hb))
		}
	})
}

func TestSetAutoReregister(t *testing.T) {
	s := newStore(t)
	_, ids := dueSubscriptions(t, s, 1)
	for _, on := range []bool{true, false} {
		if err := s.SetAutoReregister(t.Context(), ids[0], on); err != nil {
			t.Fatal(err)
		}
		if got := mustSub(t, s, ids[0]).AutoReregister; got != on {
			t.Fatalf("auto re-register = %t, want %t", got, on)
		}
	}
	wantErr(t, s.SetAutoReregister(t.Context(), -1, true), domain.ErrNotFound)
}

func TestReregisterClaim(t *testing.T) {
	s := newStore(t)
	g, ids := dueSubscriptions(t, s, 1)
	old := ids[0]
	mustExec(t, s, `UPDATE subscriptions SET state = 'lapsed', next_due_at = NULL, receiver_key = 'rk-'||id WHERE id = $1`, old)
	t.Run("only one claim of a lapsed subscription succeeds", func(t *testing.T) {
		if err := s.ClaimReregister(t.Context(), old, "reregister", time.Minute); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.ClaimReregister(t.Context(), old, "reregister", time.Minute), domain.ErrConflict)
		if key := mustSub(t, s, old).ReceiverKey; key != "" {
			t.Errorf("the claimed subscription kept its receiver key %q", key)
		}
	})
	t.Run("a release gives the receiver key back and allows a new claim", func(t *testing.T) {
		key := fmt.Sprintf("rk-%d", old)
		if err := s.ReleaseReregister(t.Context(), old, "reregister", key); err != nil {
			t.Fatal(err)
		}
		if got := mustSub(t, s, old).ReceiverKey; got != key {
			t.Errorf("receiver key %q after the release, want %q", got, key)
		}
		if err := s.ClaimReregister(t.Context(), old, "reregister", time.Minute); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("linking records the replacement once, with a history row", func(t *testing.T) {
		n := newSubscription(g.ID)
		n.ReplacesID = &old
		repl := createSubscription(t, s, n)
		if err := s.LinkReregistered(t.Context(), old, repl.ID, "reregister", "keep-alive"); err != nil {
			t.Fatal(err)
		}
		sub := mustSub(t, s, old)
		if sub.ReplacedByID == nil || *sub.ReplacedByID != repl.ID {
			t.Fatalf("replaced_by_id = %v, want %d", sub.ReplacedByID, repl.ID)
		}
		rows := gatewayHistory(t, s, g.ID)
		want := "lapsed: re-registered as serverId " + repl.ServerID
		if len(rows) != 1 || rows[0].Message != want || *rows[0].SubscriptionID != old {
			t.Fatalf("history = %+v, want one row %q", rows, want)
		}
		wantErr(t, s.LinkReregistered(t.Context(), old, repl.ID, "reregister", "keep-alive"), domain.ErrConflict)
		wantErr(t, s.ClaimReregister(t.Context(), old, "reregister", time.Minute), domain.ErrConflict)
	})
}

func claim(t *testing.T, s *store.Store, owner string, n int) []int64 {
	t.Helper()
	subs, err := s.ClaimDue(t.Context(), owner, time.Minute, n)
	if err != nil || len(subs) != n {
		t.Fatalf("ClaimDue = %d subscriptions, %v; want %d", len(subs), err, n)
	}
	return claimedIDs(subs)
}

func mustSub(t *testing.T, s *store.Store, id int64) domain.Subscription {
	t.Helper()
	sub, err := s.Subscription(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func gatewayHistory(t *testing.T, s *store.Store, gatewayID int64) []domain.Call {
	t.Helper()
	page, err := s.ListCalls(t.Context(), domain.CallFilter{GatewayID: gatewayID}, domain.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Calls
}

func historyRows(t *testing.T, s *store.Store, gatewayID int64) int {
	return len(gatewayHistory(t, s, gatewayID))
}

func heartbeats(t *testing.T, s *store.Store, id int64) []domain.HeartbeatBucket {
	t.Helper()
	hb, err := s.Heartbeats(t.Context(), id, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return hb
}
