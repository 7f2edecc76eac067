package store_test

import (
	"testing"
	"time"

	"ccsub/internal/domain"
)

func TestLatestCallIsTheNewestOfItsOperationForTheSubscription(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	sub := createSubscription(t, s, newSubscription(g.ID))
	other := createSubscription(t, s, newSubscription(g.ID))
	t.Cleanup(func() { park(t, s, g.ID) }) // out of the keep-alive tests' claims
	_, err := s.LatestCall(t.Context(), sub.ID, domain.OpUnregister)
	wantErr(t, err, domain.ErrNotFound)

	base := time.Now().Add(-time.Hour)
	call := func(on domain.Subscription, op domain.Operation, minute int) domain.Call {
		c := newCall(g)
		c.Operation, c.ServerID, c.SubscriptionID = op, on.ServerID, &on.ID
		got := beginCall(t, s, c)
		setStartedAt(t, got.ID, base.Add(time.Duration(minute)*time.Minute))
		return got
	}
	call(sub, domain.OpUnregister, 1)
	want := call(sub, domain.OpUnregister, 2)
	call(sub, domain.OpHandshake, 3)    // another operation
	call(other, domain.OpUnregister, 4) // another subscription
	got, err := s.LatestCall(t.Context(), sub.ID, domain.OpUnregister)
	if err != nil || got.ID != want.ID || got.Operation != domain.OpUnregister {
		t.Fatalf("latest unregister %d (%s): %v, want %d", got.ID, got.Operation, err, want.ID)
	}
}
