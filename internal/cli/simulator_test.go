package cli

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSimulatorModes: with DATABASE_URL set, the built-in simulator (a fake
// gateway) must not appear unless asked for, so production never talks to
// it. Each case gets an empty database: the package's shared one may hold a
// simulator gateway from another test.
func TestSimulatorModes(t *testing.T) {
	tests := []struct {
		name      string
		simulator string // CCSUB_SIMULATOR
		wantCount int    // gateways named "simulator" while it runs
	}{
		{"unset (auto) with DATABASE_URL starts no simulator", "", 0},
		{"off starts no simulator", "off", 0},
		{"on registers the simulator gateway", "on", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				"DATABASE_URL": freshDatabase(t), "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SECRET_KEY": testSecretKey,
				"LISTEN_ADDR": "127.0.0.1:0", "CCSUB_SIMULATOR": tt.simulator,
			}
			c := startConsole(t, env)
			got := countIn(t, env["DATABASE_URL"], "SELECT count(*) FROM gateways WHERE name = 'simulator'")
			if got != tt.wantCount {
				t.Errorf("%d gateways named simulator, want %d", got, tt.wantCount)
			}
			if err := c.stop(); err != nil {
				t.Errorf("run returned %v after its context ended, want nil", err)
			}
		})
	}
}

// countIn runs a count query on another database than the package's.
func countIn(t *testing.T, dbURL, query string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
