package app_test

import (
	"io"
	"log/slog"
	"testing"

	"ccsub/internal/app"
	"ccsub/internal/config"
	"ccsub/internal/dbtest"
)

// TestThePoolHasTheConfiguredSize: CCSUB_DB_MAX_CONNS reaches the pool, so
// a few slow searches cannot hold pgx's default of max(4, cores).
func TestThePoolHasTheConfiguredSize(t *testing.T) {
	cfg := config.Config{DatabaseURL: dbtest.URL(t), DBMaxConns: 7}
	a, err := app.Open(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.OpenOptions{NoKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Store.Pool().Config().MaxConns; got != 7 {
		t.Errorf("pool of %d connections, want 7", got)
	}
}
