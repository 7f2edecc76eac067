package server_test

import (
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/gatewaysim"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) {
	if maybeCrashChild() {
		return
	}
	dbtest.Main(m)
}

// testEnv is a whole console (see apptest) with this package's helpers.
type testEnv struct{ *apptest.Env }

func newEnv(t *testing.T) *testEnv { return &testEnv{apptest.New(t)} }

// newEnvOn is newEnv on a given database, e.g. one of the test's own.
func newEnvOn(t *testing.T, pool *pgxpool.Pool) *testEnv { return &testEnv{apptest.NewOn(t, pool)} }

func gatewayFault(op, retcode string) gatewaysim.Fault {
	return gatewaysim.Fault{Op: op, Retcode: retcode}
}
