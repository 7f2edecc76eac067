package export_test

import (
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testEnv is a whole console (see apptest) with this package's helpers.
type testEnv struct{ *apptest.Env }

func newEnv(t *testing.T) *testEnv { return &testEnv{apptest.New(t)} }
