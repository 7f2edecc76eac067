package store_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newStore(t testing.TB) *store.Store {
	t.Helper()
	return store.New(dbtest.Pool(t))
}

// unique returns prefix with a random suffix: tests share one database, so
// every name a test creates must be its own.
func unique(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// newGateway creates a gateway of the test's own, so the calls and
// subscriptions it owns can be told apart from other tests'.
func newGateway(t testing.TB, s *store.Store) domain.Gateway {
	t.Helper()
	g, err := s.CreateGateway(t.Context(), domain.GatewayInput{
		Name:           unique("gw"),
		BaseURL:        "https://127.0.0.1:8443",
		AgentID:        1001,
		PasswordSealed: []byte("sealed-password"),
	})
	if err != nil {
		t.Fatalf("create gateway: %v", err)
	}
	return g
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}
