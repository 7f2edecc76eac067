package store_test

import (
	"bytes"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func TestALoginRefusalHoldsForThePasswordItWasAbout(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	g, err := s.CreateGateway(ctx, gatewayInput(unique("refusing")))
	if err != nil {
		t.Fatal(err)
	}
	if g.LoginRefused != nil {
		t.Fatalf("a new gateway has a refusal: %+v", g.LoginRefused)
	}
	if ok, err := s.RecordLoginRefusal(ctx, g, "107-003", "wrong administrator password"); err != nil || !ok {
		t.Fatalf("RecordLoginRefusal = %v, %v", ok, err)
	}
	got, err := s.Gateway(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := got.LoginRefused
	if r == nil || r.Retcode != "107-003" || r.Message != "wrong administrator password" || time.Since(r.At) > time.Minute {
		t.Fatalf("refusal = %+v", r)
	}
	if list, _ := s.ListGateways(ctx); !hasRefusedGateway(list, g.ID) {
		t.Error("the list does not carry the refusal")
	}

	t.Run("an edit that keeps the password and the agent keeps it", func(t *testing.T) {
		in := gatewayInput(g.Name + "-renamed")
		in.PasswordSealed = nil
		if u, err := s.UpdateGateway(ctx, g.ID, in); err != nil || u.LoginRefused == nil || u.RefusalsEnded != g.RefusalsEnded {
			t.Fatalf("after a rename: %+v, ended %d, %v", u.LoginRefused, u.RefusalsEnded, err)
		}
	})
	t.Run("a refusal for a password that is gone is not recorded", func(t *testing.T) {
		in := gatewayInput(g.Name)
		in.PasswordSealed = []byte{9, 9, 9}
		u, err := s.UpdateGateway(ctx, g.ID, in)
		if err != nil || u.LoginRefused != nil || u.RefusalsEnded != g.RefusalsEnded+1 {
			t.Fatalf("a new password kept the refusal or did not count its end: %+v, ended %d, %v", u.LoginRefused, u.RefusalsEnded, err)
		}
		if ok, err := s.RecordLoginRefusal(ctx, g, "107-003", "late"); err != nil || ok {
			t.Fatalf("a refusal of the old password was recorded: %v, %v", ok, err)
		}
		if now, _ := s.Gateway(ctx, g.ID); now.LoginRefused != nil {
			t.Errorf("the new password is refused: %+v", now.LoginRefused)
		}
		g = u
	})
	t.Run("another agent ID ends it", func(t *testing.T) {
		if ok, _ := s.RecordLoginRefusal(ctx, g, "107-004", "invalid account"); !ok {
			t.Fatal("not recorded")
		}
		in := gatewayInput(g.Name)
		in.PasswordSealed, in.AgentID = nil, g.AgentID+1
		if u, err := s.UpdateGateway(ctx, g.ID, in); err != nil || u.LoginRefused != nil {
			t.Fatalf("a new agent ID kept the refusal: %+v, %v", u.LoginRefused, err)
		}
		g, _ = s.Gateway(ctx, g.ID)
	})
	t.Run("one retry at a time, and it ends with the answer", func(t *testing.T) {
		_, err := s.ClaimLoginRetry(ctx, g.ID, time.Hour)
		wantErr(t, err, domain.ErrConflict) // nothing refused
		if ok, _ := s.RecordLoginRefusal(ctx, g, "107-003", "wrong"); !ok {
			t.Fatal("not recorded")
		}
		claimed, err := s.ClaimLoginRetry(ctx, g.ID, time.Hour)
		if err != nil || claimed.LoginRefused == nil {
			t.Fatalf("claim: %+v, %v", claimed.LoginRefused, err)
		}
		_, err = s.ClaimLoginRetry(ctx, g.ID, time.Hour)
		wantErr(t, err, domain.ErrConflict)
		if err := s.ReleaseLoginRetry(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimLoginRetry(ctx, g.ID, time.Hour); err != nil {
			t.Fatalf("claim after a release: %v", err)
		}
		if ok, _ := s.RecordLoginRefusal(ctx, g, "107-003", "wrong again"); !ok {
			t.Fatal("not recorded")
		}
		if _, err := s.ClaimLoginRetry(ctx, g.ID, time.Hour); err != nil {
			t.Fatalf("a recorded answer did not end the retry: %v", err)
		}
		if err := s.ClearLoginRefusal(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if now, _ := s.Gateway(ctx, g.ID); now.LoginRefused != nil || now.RefusalsEnded != g.RefusalsEnded+1 {
			t.Errorf("cleared, yet %+v, ended %d (was %d)", now.LoginRefused, now.RefusalsEnded, g.RefusalsEnded)
		}
		_, err = s.ClaimLoginRetry(ctx, g.ID, time.Hour)
		wantErr(t, err, domain.ErrConflict)
		_, err = s.ClaimLoginRetry(ctx, -1, time.Hour)
		wantErr(t, err, domain.ErrNotFound)
	})
	t.Run("re-declaring the built-in simulator ends it", func(t *testing.T) {
		if ok, _ := s.RecordLoginRefusal(ctx, g, "107-003", "wrong"); !ok {
			t.Fatal("not recorded")
		}
		in := gatewayInput(g.Name)
		in.PasswordSealed = []byte{4, 5, 6}
		if u, err := s.UpsertGatewayByName(ctx, in); err != nil || u.LoginRefused != nil {
			t.Fatalf("upsert kept the refusal: %+v, %v", u.LoginRefused, err)
		}
	})
}

func hasRefusedGateway(gs []domain.Gateway, id int64) bool {
	for _, g := range gs {
		if g.ID == id {
			return g.LoginRefused != nil
		}
	}
	return false
}

// A key rotation re-seals the password; the refusal, keyed by the sealed
// value, must follow it, or rotating keys would let every process try the
// refused password again.
func TestResealKeepsALoginRefusalWithItsPassword(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s := store.New(pool)
	ctx := t.Context()
	g, err := s.CreateGateway(ctx, domain.GatewayInput{Name: "refused", BaseURL: "https://10.0.0.1", AgentID: 1, PasswordSealed: []byte("OLD:pw")})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.RecordLoginRefusal(ctx, g, "107-003", "wrong"); err != nil || !ok {
		t.Fatalf("RecordLoginRefusal = %v, %v", ok, err)
	}
	if _, err := s.Reseal(ctx, store.SealedGatewayPasswords, []byte("NEW:"), 10, func(v []byte) ([]byte, error) {
		return append([]byte("NEW:"), bytes.TrimPrefix(v, []byte("OLD:"))...), nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Gateway(ctx, g.ID)
	if err != nil || string(got.PasswordSealed) != "NEW:pw" || got.LoginRefused == nil {
		t.Fatalf("after the rotation: password %q, refusal %+v, %v", got.PasswordSealed, got.LoginRefused, err)
	}
}
