package store_test

import (
	"bytes"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// A secret edited while its batch is being re-sealed keeps the edit: the
// write only replaces a value still equal to what was read.
func TestResealNeverOverwritesAValueChangedMeanwhile(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s := store.New(pool)
	ctx := t.Context()
	old := []byte("OLD:secret-a")
	a, err := s.CreateGateway(ctx, domain.GatewayInput{Name: "a", BaseURL: "https://10.0.0.1", AgentID: 1, PasswordSealed: old})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateGateway(ctx, domain.GatewayInput{Name: "b", BaseURL: "https://10.0.0.2", AgentID: 1, PasswordSealed: []byte("OLD:secret-b")})
	if err != nil {
		t.Fatal(err)
	}
	edited := []byte("NEW:edited-by-an-admin")
	stats, err := s.Reseal(ctx, store.SealedGatewayPasswords, []byte("NEW:"), 10, func(v []byte) ([]byte, error) {
		if bytes.Equal(v, old) { // an admin saves a new password for a meanwhile
			if _, err := pool.Exec(ctx, "UPDATE gateways SET password_sealed = $1 WHERE id = $2", edited, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		return append([]byte("NEW:"), bytes.TrimPrefix(v, []byte("OLD:"))...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Resealed != 1 || stats.Skipped != 1 {
		t.Errorf("stats %+v, want 1 re-sealed and 1 skipped", stats)
	}
	for id, want := range map[int64]string{a.ID: string(edited), b.ID: "NEW:secret-b"} {
		g, err := s.Gateway(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if string(g.PasswordSealed) != want {
			t.Errorf("gateway %d holds %q, want %q", id, g.PasswordSealed, want)
		}
	}
	if n, err := s.CountNotSealedWith(ctx, store.SealedGatewayPasswords, []byte("NEW:")); err != nil || n != 0 {
		t.Errorf("CountNotSealedWith = %d, %v; want 0", n, err)
	}
}
