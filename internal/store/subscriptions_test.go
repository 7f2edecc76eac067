package store_test

import (
	"errors"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func newSubscription(gatewayID int64) domain.NewSubscription {
	return domain.NewSubscription{
		GatewayID:      gatewayID,
		ServerID:       unique("20140414172508-001"),
		SubscribeType:  "1",
		CallbackURI:    "https://127.0.0.1:9443/cc",
		NLPFlag:        true,
		FlowAccessCode: "FAC1",
		TokenSealed:    []byte("sealed-token"),
		CreatedBy:      "alice",
		RegisterCallID: 42,
	}
}

func createSubscription(t *testing.T, s *store.Store, n domain.NewSubscription) domain.Subscription {
	t.Helper()
	sub, err := s.CreateSubscription(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestCreateSubscription(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	n := newSubscription(g.ID)
	sub := createSubscription(t, s, n)
	if sub.ID == 0 || sub.GatewayID != g.ID || sub.GatewayName != g.Name || sub.ServerID != n.ServerID ||
		sub.State != domain.SubActive || sub.SubscribeType != "1" || sub.CallbackURI != n.CallbackURI ||
		!sub.NLPFlag || sub.FlowAccessCode != "FAC1" || !sub.TokenPresent ||
		string(sub.TokenSealed) != "sealed-token" || sub.CreatedBy != "alice" || sub.RegisterCallID != 42 ||
		sub.ReplacesID != nil || sub.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", sub)
	}

	tests := []struct {
		name string
		edit func(*domain.NewSubscription)
		want error
	}{
		{"the same serverId on the same gateway is a conflict",
			func(m *domain.NewSubscription) { m.ServerID = n.ServerID }, domain.ErrConflict},
		{"an unknown gateway is not found",
			func(m *domain.NewSubscription) { m.GatewayID = -1 }, domain.ErrNotFound},
		{"replacing an unknown subscription is not found",
			func(m *domain.NewSubscription) { m.ReplacesID = ptr(int64(-1)) }, domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSubscription(g.ID)
			tt.edit(&m)
			_, err := s.CreateSubscription(t.Context(), m)
			wantErr(t, err, tt.want)
		})
	}

	t.Run("the same serverId on another gateway is allowed", func(t *testing.T) {
		m := newSubscription(newGateway(t, s).ID)
		m.ServerID = n.ServerID
		createSubscription(t, s, m)
	})
	t.Run("a replacement without a token links the one it replaces", func(t *testing.T) {
		m := newSubscription(g.ID)
		m.ReplacesID, m.TokenSealed = &sub.ID, nil
		got := createSubscription(t, s, m)
		if got.ReplacesID == nil || *got.ReplacesID != sub.ID || got.TokenPresent || got.TokenSealed != nil {
			t.Fatalf("replacement = %+v", got)
		}
	})
}

func TestSubscriptionLookups(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	sub := createSubscription(t, s, newSubscription(g.ID))
	tests := []struct {
		name   string
		lookup func() (domain.Subscription, error)
		want   error
	}{
		{"by id finds it with its gateway name", func() (domain.Subscription, error) {
			return s.Subscription(t.Context(), sub.ID)
		}, nil},
		{"by serverId finds it", func() (domain.Subscription, error) {
			return s.SubscriptionByServerID(t.Context(), g.ID, sub.ServerID)
		}, nil},
		{"an unknown id is not found", func() (domain.Subscription, error) {
			return s.Subscription(t.Context(), -1)
		}, domain.ErrNotFound},
		{"a serverId of another gateway is not found", func() (domain.Subscription, error) {
			return s.SubscriptionByServerID(t.Context(), g.ID+1000000, sub.ServerID)
		}, domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.lookup()
			if tt.want != nil {
				wantErr(t, err, tt.want)
				return
			}
			if err != nil || got.ID != sub.ID || got.GatewayName != g.Name || !got.CreatedAt.Equal(sub.CreatedAt) {
				t.Fatalf("got %+v, %v; want %+v", got, err, sub)
			}
		})
	}
}

func TestListSubscriptionsIsNewestFirst(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	var ids []int64
	for range 3 {
		ids = append(ids, createSubscription(t, s, newSubscription(g.ID)).ID)
	}
	page, err := s.ListSubscriptions(t.Context(), domain.SubscriptionFilter{GatewayID: g.ID}, domain.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, sub := range page.Subscriptions {
		if sub.GatewayID == g.ID {
			if sub.GatewayName != g.Name {
				t.Fatalf("gateway name = %q, want %q", sub.GatewayName, g.Name)
			}
			got = append(got, sub.ID)
		}
	}
	if len(got) != 3 || got[0] != ids[2] || got[1] != ids[1] || got[2] != ids[0] {
		t.Fatalf("order = %v, want the reverse of %v", got, ids)
	}
}

func TestSetSubscriptionState(t *testing.T) {
	s := newStore(t)
	sub := createSubscription(t, s, newSubscription(newGateway(t, s).ID))
	t.Run("records the state and the reason", func(t *testing.T) {
		if err := s.SetSubscriptionState(t.Context(), sub.ID, domain.SubLapsed, "3 handshakes failed"); err != nil {
			t.Fatal(err)
		}
		got, err := s.Subscription(t.Context(), sub.ID)
		if err != nil || got.State != domain.SubLapsed || got.StateReason != "3 handshakes failed" ||
			!got.UpdatedAt.After(sub.UpdatedAt) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("an unknown id is not found", func(t *testing.T) {
		wantErr(t, s.SetSubscriptionState(t.Context(), -1, domain.SubActive, ""), domain.ErrNotFound)
	})
	t.Run("an unknown state is refused", func(t *testing.T) {
		err := s.SetSubscriptionState(t.Context(), sub.ID, domain.SubState("zombie"), "")
		if err == nil || errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict) {
			t.Fatalf("got %v, want a plain error", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
