package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func TestGatewayDependentsAreItsLiveSubscriptionsAndPendingRegisters(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	live := createSubscription(t, s, newSubscription(g.ID))
	gone := createSubscription(t, s, newSubscription(g.ID))
	mustExec(t, s, `UPDATE subscriptions SET state = 'cancelled', next_due_at = NULL WHERE id = $1`, gone.ID)
	t.Cleanup(func() { park(t, s, g.ID) })
	if _, err := s.BeginCall(t.Context(), domain.NewCall{GatewayID: g.ID, GatewayName: g.Name, Actor: "t", Operation: domain.OpRegister}); err != nil {
		t.Fatal(err)
	}
	deps, more, pending, err := s.GatewayDependents(t.Context(), g.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1 || deps[0].ID != live.ID || deps[0].ServerID != live.ServerID || more != 0 || pending != 1 {
		t.Fatalf("dependents %+v, %d more, %d pending; want only subscription %d and 1 pending register", deps, more, pending, live.ID)
	}
	t.Run("past the limit the rest are counted", func(t *testing.T) {
		createSubscription(t, s, newSubscription(g.ID))
		deps, more, _, err := s.GatewayDependents(t.Context(), g.ID, 1)
		if err != nil || len(deps) != 1 || more != 1 {
			t.Fatalf("%d shown, %d more (%v); want 1 and 1", len(deps), more, err)
		}
	})
}

func TestARegisterToADisabledOrRemovedGatewayIsNotRecorded(t *testing.T) {
	s := newStore(t)
	register := func(g domain.Gateway, op domain.Operation) error {
		_, err := s.BeginCall(t.Context(), domain.NewCall{GatewayID: g.ID, GatewayName: g.Name, Actor: "t", Operation: op})
		return err
	}
	disabled := newGateway(t, s)
	if _, err := s.SetGatewayDisabled(t.Context(), disabled.ID, true); err != nil {
		t.Fatal(err)
	}
	removed := newGateway(t, s)
	if _, err := s.RemoveGateway(t.Context(), removed.ID); err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]domain.Gateway{"disabled": disabled, "removed": removed} {
		t.Run("a register to a "+name+" gateway is refused", func(t *testing.T) {
			if err := register(g, domain.OpRegister); !errors.Is(err, domain.ErrGatewayNotUsable) {
				t.Fatalf("BeginCall = %v, want ErrGatewayNotUsable", err)
			}
			if n := historyRows(t, s, g.ID); n != 0 {
				t.Errorf("%d calls recorded", n)
			}
		})
	}
	t.Run("a removed gateway is gone from the list and by name, not by id", func(t *testing.T) {
		gws, err := s.ListGateways(t.Context())
		if err != nil || slices.ContainsFunc(gws, func(g domain.Gateway) bool { return g.ID == removed.ID }) {
			t.Fatalf("the list holds the removed gateway (%v)", err)
		}
		if _, err := s.GatewayByName(t.Context(), removed.Name); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("by name: %v, want not found", err)
		}
		if _, err := s.CurrentGateway(t.Context(), removed.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("current: %v, want not found", err)
		}
		if g, err := s.Gateway(t.Context(), removed.ID); err != nil || g.RemovedAt == nil || g.Name != removed.Name {
			t.Errorf("by id: %+v, %v; want it, marked removed", g, err)
		}
	})
	t.Run("a removed gateway's name can be taken again", func(t *testing.T) {
		if _, err := s.CreateGateway(t.Context(), domain.GatewayInput{Name: removed.Name, BaseURL: "https://127.0.0.1:8443",
			AgentID: 1001, PasswordSealed: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateGateway(t.Context(), domain.GatewayInput{Name: disabled.Name, BaseURL: "https://127.0.0.1:8443",
			AgentID: 1001, PasswordSealed: []byte("x")}); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("a disabled gateway's name: %v, want a conflict", err)
		}
	})
}

// A register that starts while a disable is being decided waits for it
// and then sees it: it is never recorded on a gateway that was disabled
// after checking that no register was pending.
func TestARegisterWaitsForADisableInProgress(t *testing.T) {
	s := newStore(t)
	for _, commit := range []bool{true, false} {
		g := newGateway(t, s)
		done := make(chan error, 1)
		undo := errors.New("rolled back")
		err := s.InTx(t.Context(), func(tx *store.Store) error {
			if _, err := tx.SetGatewayDisabled(t.Context(), g.ID, true); err != nil {
				return err
			}
			go func() {
				_, err := s.BeginCall(context.Background(), domain.NewCall{GatewayID: g.ID, GatewayName: g.Name, Actor: "t", Operation: domain.OpRegister})
				done <- err
			}()
			awaitLockWaiter(t, s)
			if !commit {
				return undo
			}
			return nil
		})
		if commit && err != nil || !commit && !errors.Is(err, undo) {
			t.Fatal(err)
		}
		err = <-done
		if commit && !errors.Is(err, domain.ErrGatewayNotUsable) {
			t.Errorf("after the disable committed: BeginCall = %v, want ErrGatewayNotUsable", err)
		}
		if !commit && err != nil {
			t.Errorf("after the disable rolled back: BeginCall = %v, want the call recorded", err)
		}
	}
}

// awaitLockWaiter waits until a session of this database waits on a lock.
func awaitLockWaiter(t *testing.T, s *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR SHARE%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("no register waited for the disable")
		case <-time.After(10 * time.Millisecond): // poll the catalog
		}
	}
}

func TestClaimDueSkipsADisabledGateway(t *testing.T) {
	s := newStore(t)
	g, ids := dueSubscriptions(t, s, 2)
	// Live subscriptions on a disabled gateway are refused by the action;
	// set it behind its back to see the engine's own guard.
	mustExec(t, s, `UPDATE gateways SET disabled = true WHERE id = $1`, g.ID)
	subs, err := s.ClaimDue(t.Context(), "dead-engine", time.Microsecond, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subs {
		if slices.Contains(ids, sub.ID) {
			t.Fatalf("claimed subscription %d of a disabled gateway", sub.ID)
		}
	}
	mustExec(t, s, `UPDATE gateways SET disabled = false WHERE id = $1`, g.ID)
	if got := claimedIDs(claimUpTo(t, s, 2)); !slices.Equal(got, ids) {
		t.Errorf("after enabling: claimed %v, want %v", got, ids)
	}
}

func claimUpTo(t *testing.T, s *store.Store, n int) []domain.Subscription {
	t.Helper()
	subs, err := s.ClaimDue(t.Context(), "engine-d", time.Minute, n)
	if err != nil {
		t.Fatal(err)
	}
	return subs
}
