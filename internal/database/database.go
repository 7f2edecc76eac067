// Package database opens the pgx pools (a console has two: see Pools) and
// applies the embedded goose migrations under a Postgres advisory lock, so
// several ccsub processes starting at once migrate exactly once.
package database

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"ccsub/migrations"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Open connects a pool to url and checks the connection.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return OpenWith(ctx, url, Options{})
}

// Options shape a pool; zero values leave pgx's and the URL's settings.
type Options struct {
	// MaxConns is the most connections (0: as the URL's pool_max_conns
	// says, or pgx's default).
	MaxConns int
	// StatementTimeout is every connection's statement_timeout: a
	// statement running longer is stopped by the server with SQLSTATE
	// 57014 (see TimedOut). It wins over one set in the URL.
	StatementTimeout time.Duration
	// Name is the application_name the connections show in
	// pg_stat_activity, unless the URL names one.
	Name string
}

// OpenWith connects a pool shaped by o to url and checks the connection.
func OpenWith(ctx context.Context, url string, o Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database.Open: parse DATABASE_URL: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	params := cfg.ConnConfig.RuntimeParams
	if o.StatementTimeout > 0 {
		params["statement_timeout"] = strconv.FormatInt(max(o.StatementTimeout.Milliseconds(), 1), 10)
	}
	// Every statement is planned for its own values. pgx names the
	// statements it prepares, and PostgreSQL may switch a named statement
	// to a generic plan from its sixth execution; a generic plan cannot see
	// a search term or a LIKE prefix (issue 10). The list pages' batched
	// queries (store.SessionLookup) need this; ccsub's statements are small
	// and cost a fraction of a millisecond to plan.
	if params["plan_cache_mode"] == "" {
		params["plan_cache_mode"] = "force_custom_plan"
	}
	// No JIT compilation: ccsub's statements read a page or a small range,
	// and compiling one costs more than running it (the overview's last-day
	// retcodes at 10 M calls: 115 ms with JIT, 84 ms without; 664 ms on a
	// cold first run).
	if params["jit"] == "" {
		params["jit"] = "off"
	}
	if o.Name != "" && params["application_name"] == "" {
		params["application_name"] = o.Name
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database.Open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database.Open: ping: %w", err)
	}
	return pool, nil
}

// Pools are a serving console's two pools over one database. Interactive
// serves requests, its statements bounded by the statement timeout.
// Reserved, a few connections of its own, serves the work that must go on
// while every interactive connection is busy: the keep-alive engine, the
// receiver, the writes that complete a gateway call, the sweeps, readiness
// and metrics (store.Reserved routes a context to it).
type Pools struct {
	Interactive, Reserved *pgxpool.Pool
}

// Close closes both pools.
func (p Pools) Close() {
	p.Interactive.Close()
	p.Reserved.Close()
}

// PoolSizes size a console's pools (CCSUB_DB_MAX_CONNS,
// CCSUB_DB_RESERVED_CONNS, CCSUB_DB_STATEMENT_TIMEOUT).
type PoolSizes struct {
	MaxConns         int
	ReservedConns    int
	StatementTimeout time.Duration
}

// ReservedStatementTimeout bounds a statement on the reserved connections.
// Background statements take milliseconds; the bound only keeps one that
// runs away from holding a reserved connection for ever.
const ReservedStatementTimeout = time.Minute

// OpenPools opens a console's two pools on url.
func OpenPools(ctx context.Context, url string, s PoolSizes) (Pools, error) {
	interactive, err := OpenWith(ctx, url, Options{MaxConns: s.MaxConns, StatementTimeout: s.StatementTimeout, Name: "ccsub"})
	if err != nil {
		return Pools{}, err
	}
	reserved, err := OpenWith(ctx, url, Options{MaxConns: s.ReservedConns, StatementTimeout: ReservedStatementTimeout,
		Name: "ccsub-reserved"})
	if err != nil {
		interactive.Close()
		return Pools{}, err
	}
	return Pools{Interactive: interactive, Reserved: reserved}, nil
}

// MigrateURL applies the migrations over connections of their own, closed
// when done: without the console's statement timeout, since a migration
// may rewrite a large table.
func MigrateURL(ctx context.Context, url string, log *slog.Logger) (int, error) {
	pool, err := OpenWith(ctx, url, Options{MaxConns: 4, Name: "ccsub-migrate"})
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	return Migrate(ctx, pool, log)
}

// Migrate applies every pending migration and reports how many ran, then
// sets up text search anywhere in the history when the database allows
// (EnsureTextSearch).
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (int, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return 0, fmt.Errorf("database.Migrate: locker: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return 0, fmt.Errorf("database.Migrate: provider: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("database.Migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	// Not a migration: it must not fail where pg_trgm cannot be created,
	// and it builds what a database gained since (textsearch.go).
	if _, err := EnsureTextSearch(ctx, pool, log); err != nil {
		return len(results), fmt.Errorf("database.Migrate: %w", err)
	}
	return len(results), nil
}
