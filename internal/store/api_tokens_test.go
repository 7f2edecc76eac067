package store_test

import (
	"bytes"
	"testing"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func issueToken(t *testing.T, s *store.Store, role domain.Role, expires time.Time) (domain.APIToken, apitoken.Issued) {
	t.Helper()
	is, err := apitoken.Generate()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateAPIToken(t.Context(), domain.NewAPIToken{Name: unique("script"), Hash: is.Hash, Prefix: is.Prefix,
		Role: role, CreatedBy: "admin", ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	return tok, is
}

func TestAPITokens(t *testing.T) {
	s := newStore(t)
	tok, is := issueToken(t, s, domain.RoleOperator, time.Now().Add(time.Hour))

	t.Run("the stored row keeps a hash, never the token", func(t *testing.T) {
		var hash []byte
		var prefix string
		if err := dbtest.Pool(t).QueryRow(t.Context(), "SELECT token_hash, prefix FROM api_tokens WHERE id = $1", tok.ID).Scan(&hash, &prefix); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(hash, apitoken.Hash(is.Plain)) || bytes.Contains(hash, []byte(is.Plain)) || len(prefix) >= len(is.Plain)/2 {
			t.Fatalf("stored hash %x prefix %q for token of length %d", hash, prefix, len(is.Plain))
		}
	})
	t.Run("a token is found by the hash of its secret", func(t *testing.T) {
		got, err := s.APITokenByHash(t.Context(), apitoken.Hash(is.Plain))
		if err != nil || got.ID != tok.ID || got.Role != domain.RoleOperator || !got.Usable(time.Now()) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("an unknown hash is not found", func(t *testing.T) {
		_, err := s.APITokenByHash(t.Context(), apitoken.Hash(is.Plain+"x"))
		wantErr(t, err, domain.ErrNotFound)
	})
	t.Run("a token is touched at most once a minute", func(t *testing.T) {
		if err := s.TouchAPIToken(t.Context(), tok.ID); err != nil {
			t.Fatal(err)
		}
		first, _ := s.APITokenByHash(t.Context(), is.Hash)
		if err := s.TouchAPIToken(t.Context(), tok.ID); err != nil {
			t.Fatal(err)
		}
		second, _ := s.APITokenByHash(t.Context(), is.Hash)
		if first.LastUsedAt == nil || !first.LastUsedAt.Equal(*second.LastUsedAt) {
			t.Fatalf("last used %v then %v, want one unchanged time", first.LastUsedAt, second.LastUsedAt)
		}
	})
	t.Run("revoking twice keeps the first revocation", func(t *testing.T) {
		r1, changed1, err := s.RevokeAPIToken(t.Context(), tok.ID)
		if err != nil || !changed1 || r1.RevokedAt == nil || r1.Usable(time.Now()) {
			t.Fatalf("first revoke: %+v, %v, %v", r1, changed1, err)
		}
		r2, changed2, err := s.RevokeAPIToken(t.Context(), tok.ID)
		if err != nil || changed2 || !r2.RevokedAt.Equal(*r1.RevokedAt) {
			t.Fatalf("second revoke: %+v, %v, %v", r2, changed2, err)
		}
	})
	t.Run("revoking a missing token is not found", func(t *testing.T) {
		_, _, err := s.RevokeAPIToken(t.Context(), 1<<60)
		wantErr(t, err, domain.ErrNotFound)
	})
	t.Run("an unknown role is refused by the database", func(t *testing.T) {
		is2, _ := apitoken.Generate()
		_, err := s.CreateAPIToken(t.Context(), domain.NewAPIToken{Name: "x", Hash: is2.Hash, Prefix: is2.Prefix,
			Role: "root", CreatedBy: "admin", ExpiresAt: time.Now().Add(time.Hour)})
		if err == nil {
			t.Fatal("created a token with role root")
		}
	})
	t.Run("the list shows the newest first", func(t *testing.T) {
		newer, _ := issueToken(t, s, domain.RoleAuditor, time.Now().Add(time.Hour))
		list, err := s.ListAPITokens(t.Context())
		if err != nil || len(list) < 2 || list[0].ID != newer.ID {
			t.Fatalf("list = %+v, %v", list, err)
		}
	})
}
