package apptest

import (
	"testing"

	"ccsub/internal/app"
	"ccsub/internal/config"
	"ccsub/internal/database"
)

// NewOnPools is a console on a serving console's two pools (see
// database.OpenPools): requests on pools.Interactive, waiting at most the
// statement timeout tune sets for a connection, and background work
// (store.Reserved) on pools.Reserved. The caller closes the pools.
func NewOnPools(t *testing.T, pools database.Pools, tune func(*config.Config)) *Env {
	t.Helper()
	e := newOn(t, pools.Interactive, tune)
	// Built again, with the same configuration and keys, on both pools.
	e.App = app.New(app.Parts{Config: e.App.Config, Log: e.Logger(), Pool: pools.Interactive,
		Reserved: pools.Reserved, Keys: e.Keys})
	e.Srv.Config.Handler = e.App.Handler(SessionKeys)
	e.St, e.Svc, e.M = e.App.Store, e.App.Subscribe, e.App.Metrics
	return e
}
