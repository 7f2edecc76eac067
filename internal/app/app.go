// Package app is ccsub's one composition root: from a Config it builds the
// store, the gateway client, the actions, the keep-alive engine, the
// simulator and the HTTP doors, and wires them. `ccsub serve`, every
// command of the command line and every test harness build ccsub here, so
// the wiring exists once.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"ccsub/internal/access"
	"ccsub/internal/audit"
	"ccsub/internal/config"
	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/gateways"
	"ccsub/internal/journal"
	"ccsub/internal/metrics"
	"ccsub/internal/pgembed"
	"ccsub/internal/retention"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"

	"github.com/jackc/pgx/v5/pgxpool"
)

// App is a built console: its parts and its actions.
type App struct {
	Config    config.Config
	Log       *slog.Logger
	Store     *store.Store
	Keys      *secret.Keyring
	Metrics   *metrics.Metrics
	Client    *gateway.Client
	Audit     *audit.Trail
	Subscribe *subscribe.Service
	Gateways  *gateways.Service
	Access    *access.Service
	Retention *retention.Service
	close     func()
}

// Parts are what New builds an app from: an open, migrated database and
// the secret keys.
type Parts struct {
	Config config.Config
	Log    *slog.Logger
	Pool   *pgxpool.Pool
	// Reserved, when set, is the pool of the work that must go on while
	// every connection of Pool is busy (see store.NewPools); nil: Pool
	// serves everything.
	Reserved *pgxpool.Pool
	Keys     *secret.Keyring
}

// New wires an app from its parts; it does no I/O.
func New(p Parts) *App {
	cfg := p.Config
	st := store.NewPools(store.Pools{Interactive: p.Pool, Reserved: p.Reserved, Wait: cfg.DBStatementTimeout})
	m := metrics.New(reservedCounts{st})
	trail := audit.New(st, p.Log)
	client := gateway.New(gateway.Config{ConnectTimeout: cfg.GatewayConnectTimeout, CallTimeout: cfg.GatewayCallTimeout,
		Logger: p.Log, Networks: cfg.GatewayNetworks})
	subs := subscribe.New(st, trail, client, p.Keys, p.Log, subscribe.Options{CallTimeout: cfg.GatewayCallTimeout,
		PublicURL: cfg.PublicURL, Metrics: m, Journal: answerJournal(cfg)})
	m.WatchJournal(subs.Journalled)
	return &App{
		Config: cfg, Log: p.Log, Store: st, Keys: p.Keys, Metrics: m, Client: client, Audit: trail, Subscribe: subs,
		Gateways: gateways.New(st, trail, p.Keys, client),
		Access:   access.New(st, trail, p.Keys, p.Log, access.Options{SessionTTL: cfg.SessionMaxAge, SessionIdle: cfg.SessionIdle}),
		Retention: retention.New(st, trail, p.Log.With("component", "retention"),
			retention.Options{Policy: retentionPolicy(cfg.Retention)}),
		close: func() {},
	}
}

// retentionPolicy is the policy of the settings, kind by kind.
func retentionPolicy(r config.Retention) domain.RetentionPolicy {
	return domain.RetentionPolicy{
		domain.RetainCalls: r.Calls, domain.RetainNotifications: r.Notifications,
		domain.RetainRefusedPushes: r.RefusedPushes, domain.RetainHeartbeats: r.Heartbeats,
		domain.RetainFailedHandshakes: r.FailedHandshakes, domain.RetainAudit: r.Audit,
	}
}

// OpenOptions say how Open reaches the database and the keys.
type OpenOptions struct {
	// Attach lets a short command use the private PostgreSQL a running
	// console already started on the same data dir; serve never attaches,
	// since the console that started the server stops it on exit.
	Attach bool
	// Keys, when set, are used instead of CCSUB_SECRET_KEY or the data
	// dir's key file (which is created when missing).
	Keys *secret.Keyring
	// NoKeys opens no key at all, so a command that never seals or opens a
	// secret (users, tokens, audit verify, migrate) leaves no key file
	// behind; the app's Keys are then nil and its actions must not be asked
	// to seal or open anything.
	NoKeys bool
}

// Open connects to DATABASE_URL, or starts the private PostgreSQL in the
// data directory, applies the migrations, loads the secret keys and
// builds the app. Close stops what it started.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, o OpenOptions) (*App, error) {
	keys := o.Keys
	if keys == nil && !o.NoKeys {
		var created bool
		var err error
		if keys, created, err = secret.LoadOrCreate(cfg.SecretKey, cfg.DataDir); err != nil {
			return nil, err
		}
		if created {
			log.Warn("generated a new secret key; back it up, and give every ccsub process sharing this database the same key (CCSUB_SECRET_KEY)", "key_id", keys.PrimaryID())
		}
	}
	pools, closeDB, err := openDB(ctx, cfg, log, o.Attach)
	if err != nil {
		return nil, err
	}
	a := New(Parts{Config: cfg, Log: log, Pool: pools.Interactive, Reserved: pools.Reserved, Keys: keys})
	a.close = closeDB
	return a, nil
}

// Close closes the database and stops the private PostgreSQL if Open
// started it.
func (a *App) Close() {
	a.Retention.Stop()
	a.close()
}

// openDB migrates the database and opens its two pools; close stops what
// it started.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger, attach bool) (pools database.Pools, close func(), err error) {
	url := cfg.DatabaseURL
	stopPG := func() {}
	if url == "" {
		pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: cfg.DataDir, Logger: log, Attach: attach})
		if err != nil {
			return pools, nil, fmt.Errorf("start the private PostgreSQL: %w", err)
		}
		stopPG = func() {
			if err := pg.Stop(); err != nil {
				log.Error("stop the private PostgreSQL", "err", err)
			}
		}
		url = pg.URL()
	}
	if _, err := database.MigrateURL(ctx, url, log); err != nil {
		stopPG()
		return pools, nil, err
	}
	pools, err = database.OpenPools(ctx, url, database.PoolSizes{MaxConns: cfg.DBMaxConns,
		ReservedConns: cfg.DBReservedConns, StatementTimeout: cfg.DBStatementTimeout})
	if err != nil {
		stopPG()
		return pools, nil, err
	}
	return pools, func() { pools.Close(); stopPG() }, nil
}

// answerJournal is where answers the database could not take wait for it:
// in the data dir, which must therefore outlive the process (a volume in
// a container). Without a data dir they are kept in the log only.
func answerJournal(cfg config.Config) *journal.Journal {
	if cfg.DataDir == "" {
		return nil
	}
	return journal.New(filepath.Join(cfg.DataDir, "journal"))
}

// NewLogger is the one logger of a process, as configured.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
