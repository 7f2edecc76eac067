package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"ccsub/internal/config"
	"ccsub/internal/database"
	"ccsub/internal/pgembed"

	"github.com/jackc/pgx/v5/pgxpool"
)

// loadConfig reads the environment only (for commands other than serve).
func loadConfig(e env) (config.Config, error) {
	fs := flag.NewFlagSet("ccsub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Parse(e.getenv, fs, nil)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB connects to DATABASE_URL, or starts the private PostgreSQL in the
// data directory, and applies the migrations. close stops what it started.
//
// attach lets a short command use the private PostgreSQL a running console
// already started on the same data dir; serve never attaches, since the
// console that started the server stops it on exit.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger, attach bool) (pool *pgxpool.Pool, close func(), err error) {
	url := cfg.DatabaseURL
	stopPG := func() {}
	if url == "" {
		pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: cfg.DataDir, Logger: log, Attach: attach})
		if err != nil {
			return nil, nil, fmt.Errorf("start the private PostgreSQL: %w", err)
		}
		stopPG = func() {
			if err := pg.Stop(); err != nil {
				log.Error("stop the private PostgreSQL", "err", err)
			}
		}
		url = pg.URL()
	}
	pool, err = database.Open(ctx, url)
	if err != nil {
		stopPG()
		return nil, nil, err
	}
	if _, err := database.Migrate(ctx, pool, log); err != nil {
		pool.Close()
		stopPG()
		return nil, nil, err
	}
	return pool, func() { pool.Close(); stopPG() }, nil
}

func migrate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	_, closeDB, err := openDB(ctx, cfg, newLogger(cfg, e.stderr), true)
	if err != nil {
		return err
	}
	closeDB()
	fmt.Fprintln(e.stdout, "database is up to date")
	return nil
}
