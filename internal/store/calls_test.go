package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func newCall(g domain.Gateway) domain.NewCall {
	return domain.NewCall{
		GatewayID:      g.ID,
		GatewayName:    g.Name,
		Actor:          "alice",
		Operation:      domain.OpRegister,
		CallbackURI:    "https://127.0.0.1:9443/cc",
		SubscribeType:  "1",
		NLPFlag:        true,
		FlowAccessCode: "FAC1",
		TokenPresent:   true,
		TokenSealed:    []byte("sealed-token"),
		RequestBody:    `{"serviceToken":"[redacted]"}`,
	}
}

func beginCall(t testing.TB, s *store.Store, c domain.NewCall) domain.Call {
	t.Helper()
	call, err := s.BeginCall(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return call
}

// setStartedAt moves a call in time, which the store never does, so that
// tests can build histories with known order and ties.
func setStartedAt(t testing.TB, id int64, at time.Time) {
	t.Helper()
	if _, err := dbtest.Pool(t).Exec(t.Context(), `UPDATE calls SET started_at = $2 WHERE id = $1`, id, at); err != nil {
		t.Fatal(err)
	}
}

func countCalls(t *testing.T, gatewayID int64) int {
	t.Helper()
	var n int
	err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT count(*) FROM calls WHERE gateway_id = $1`, gatewayID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBeginCallWritesAPendingCall(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	sub := createSubscription(t, s, newSubscription(g.ID))
	in := newCall(g)
	in.Operation, in.ServerID, in.SubscriptionID = domain.OpModify, sub.ServerID, &sub.ID
	c := beginCall(t, s, in)
	if c.ID == 0 || c.StartedAt.IsZero() || c.FinishedAt != nil || c.Duration != 0 ||
		c.Outcome != domain.OutcomePending || c.GatewayID != g.ID || c.GatewayName != g.Name ||
		c.Actor != "alice" || c.Operation != domain.OpModify || c.ServerID != sub.ServerID ||
		c.CallbackURI != in.CallbackURI || c.SubscribeType != "1" || !c.NLPFlag || c.FlowAccessCode != "FAC1" ||
		!c.TokenPresent || string(c.TokenSealed) != "sealed-token" || c.RequestBody != in.RequestBody ||
		c.SubscriptionID == nil || *c.SubscriptionID != sub.ID || c.Attempts != 0 || c.HTTPStatus != 0 {
		t.Fatalf("begun call = %+v", c)
	}
	got, err := s.Call(t.Context(), c.ID)
	if err != nil || got.ID != c.ID || !got.StartedAt.Equal(c.StartedAt) {
		t.Fatalf("Call(%d) = %+v, %v", c.ID, got, err)
	}
}

func TestBeginCallWithARepeatedKeyReturnsTheFirstCall(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	in := newCall(g)
	in.IdempotencyKey = unique("form")
	first := beginCall(t, s, in)

	again, err := s.BeginCall(t.Context(), in)
	wantErr(t, err, domain.ErrDuplicateSubmission)
	if again.ID != first.ID {
		t.Fatalf("duplicate returned call %d, want the first call %d", again.ID, first.ID)
	}
	if n := countCalls(t, g.ID); n != 1 {
		t.Fatalf("%d calls recorded, want 1", n)
	}
	in.IdempotencyKey = ""
	beginCall(t, s, in)
	beginCall(t, s, in)
	if n := countCalls(t, g.ID); n != 3 {
		t.Fatalf("%d calls recorded, want 3: calls without a key are never duplicates", n)
	}
}

func TestBeginCallRaceOnOneKeyYieldsOneCall(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	const rounds, racers = 5, 4
	for round := range rounds {
		in := newCall(g)
		in.IdempotencyKey = unique("race")
		start := make(chan struct{})
		calls := make([]domain.Call, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				calls[i], errs[i] = s.BeginCall(t.Context(), in)
			})
		}
		close(start)
		wg.Wait()

		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
			case !errors.Is(err, domain.ErrDuplicateSubmission):
				t.Fatalf("round %d racer %d: %v", round, i, err)
			}
			if calls[i].ID == 0 || calls[i].ID != calls[0].ID {
				t.Fatalf("round %d: racers got calls %d and %d, want one call", round, calls[0].ID, calls[i].ID)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d racers won, want 1", round, winners)
		}
	}
	if n := countCalls(t, g.ID); n != rounds {
		t.Fatalf("%d calls recorded over %d rounds, want one per round", n, rounds)
	}
}

func TestCompleteCall(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	c := beginCall(t, s, newCall(g))
	result := domain.CallResult{
		Outcome:      domain.OutcomeSuccess,
		HTTPStatus:   200,
		Retcode:      "0",
		Message:      "success",
		ServerID:     "20140414172508-001-00101",
		ResponseBody: `{"retcode":"0"}`,
		Attempts:     2,
		Duration:     1500 * time.Millisecond,
	}
	done, err := s.CompleteCall(t.Context(), c.ID, result)
	if err != nil {
		t.Fatal(err)
	}
	if done.Outcome != domain.OutcomeSuccess || done.FinishedAt == nil || done.FinishedAt.Before(done.StartedAt) ||
		done.Duration != result.Duration || done.HTTPStatus != 200 || done.Retcode != "0" ||
		done.Message != "success" || done.ServerID != result.ServerID || done.ResponseBody != result.ResponseBody ||
		done.Attempts != 2 || done.RequestBody != c.RequestBody || done.Error != "" {
		t.Fatalf("completed = %+v", done)
	}

	t.Run("completing it again is a conflict and changes nothing", func(t *testing.T) {
		_, err := s.CompleteCall(t.Context(), c.ID, domain.CallResult{Outcome: domain.OutcomeFailed, Error: "late"})
		wantErr(t, err, domain.ErrConflict)
		got, err := s.Call(t.Context(), c.ID)
		if err != nil || got.Outcome != domain.OutcomeSuccess || got.Error != "" {
			t.Fatalf("after a second completion: %+v, %v", got, err)
		}
	})
	t.Run("empty serverId and request body keep the stored ones", func(t *testing.T) {
		in := newCall(g)
		in.ServerID = "kept-server-id"
		c := beginCall(t, s, in)
		done, err := s.CompleteCall(t.Context(), c.ID, domain.CallResult{
			Outcome: domain.OutcomeUnknown, Error: "no answer before the deadline", Attempts: 1})
		if err != nil || done.ServerID != "kept-server-id" || done.RequestBody != in.RequestBody ||
			done.Outcome != domain.OutcomeUnknown || done.Error != "no answer before the deadline" {
			t.Fatalf("completed = %+v, %v", done, err)
		}
	})
	t.Run("a pending result is refused", func(t *testing.T) {
		c := beginCall(t, s, newCall(g))
		_, err := s.CompleteCall(t.Context(), c.ID, domain.CallResult{Outcome: domain.OutcomePending})
		if err == nil || errors.Is(err, domain.ErrConflict) {
			t.Fatalf("got %v, want a plain error", err)
		}
	})
	t.Run("an unknown call is not found", func(t *testing.T) {
		_, err := s.CompleteCall(t.Context(), -1, result)
		wantErr(t, err, domain.ErrNotFound)
	})
}

func TestLinkCallSubscription(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	c := beginCall(t, s, newCall(g))
	sub := createSubscription(t, s, newSubscription(g.ID))
	t.Run("links the call", func(t *testing.T) {
		if err := s.LinkCallSubscription(t.Context(), c.ID, sub.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.Call(t.Context(), c.ID)
		if err != nil || got.SubscriptionID == nil || *got.SubscriptionID != sub.ID {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("an unknown call is not found", func(t *testing.T) {
		wantErr(t, s.LinkCallSubscription(t.Context(), -1, sub.ID), domain.ErrNotFound)
	})
	t.Run("an unknown subscription is not found", func(t *testing.T) {
		wantErr(t, s.LinkCallSubscription(t.Context(), c.ID, -1), domain.ErrNotFound)
	})
}

func TestCallNotFound(t *testing.T) {
	_, err := newStore(t).Call(t.Context(), -1)
	wantErr(t, err, domain.ErrNotFound)
}

func TestExpirePending(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	// Far in the past, so no other test's pending call is before the cut-off.
	cutoff := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	stale := beginCall(t, s, newCall(g))
	setStartedAt(t, stale.ID, cutoff.Add(-time.Microsecond))
	atCutoff := beginCall(t, s, newCall(g))
	setStartedAt(t, atCutoff.ID, cutoff)
	finished := beginCall(t, s, newCall(g))
	if _, err := s.CompleteCall(t.Context(), finished.ID, domain.CallResult{Outcome: domain.OutcomeFailed}); err != nil {
		t.Fatal(err)
	}
	setStartedAt(t, finished.ID, cutoff.Add(-time.Hour))

	n, err := s.ExpirePending(t.Context(), cutoff, "process restarted")
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	tests := []struct {
		name    string
		id      int64
		outcome domain.Outcome
		error   string
	}{
		{"a pending call before the cut-off becomes unknown", stale.ID, domain.OutcomeUnknown, "process restarted"},
		{"a pending call at the cut-off stays pending", atCutoff.ID, domain.OutcomePending, ""},
		{"a finished call keeps its outcome", finished.ID, domain.OutcomeFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Call(t.Context(), tt.id)
			if err != nil || got.Outcome != tt.outcome || got.Error != tt.error {
				t.Fatalf("got %s %q, %v; want %s %q", got.Outcome, got.Error, err, tt.outcome, tt.error)
			}
		})
	}
}
