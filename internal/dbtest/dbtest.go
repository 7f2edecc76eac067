// Package dbtest gives each test package a fresh, migrated PostgreSQL
// database on a real server, and drops it when the package's tests end.
//
// The server is CCSUB_TEST_DATABASE_URL, or the local one on
// 127.0.0.1:5432 that .ci/run starts.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"ccsub/internal/database"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	once    sync.Once
	pool    *pgxpool.Pool
	dbURL   string
	dbName  string
	initErr error
)

// Main runs the package's tests and then drops its database. Call it from
// TestMain: func TestMain(m *testing.M) { dbtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if pool != nil {
		pool.Close()
		if err := drop(dbName); err != nil {
			fmt.Fprintln(os.Stderr, "dbtest: drop:", err)
		}
	}
	os.Exit(code)
}

// Pool returns the package's migrated database, creating it on first use.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	once.Do(setup)
	if initErr != nil {
		t.Fatalf("dbtest: %v (is PostgreSQL running? set CCSUB_TEST_DATABASE_URL or run .ci/run)", initErr)
	}
	return pool
}

// URL returns the connection string of the package's database, for tests
// that start a second server or process on it.
func URL(t testing.TB) string {
	t.Helper()
	Pool(t)
	return dbURL
}

// Isolated creates a database of the test's own, migrated, and drops it
// when the test ends: for tests that act on whole tables (key rotation,
// scans of every column) and must not see or touch other tests' rows.
func Isolated(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "ccsub_test_iso_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		t.Fatalf("dbtest: connect %s: %v", redact(adminURL()), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(name); err != nil {
			t.Errorf("dbtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	p, err := database.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(p.Close)
	if _, err := database.Migrate(ctx, p, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return p, u.String()
}

func adminURL() string {
	if u := os.Getenv("CCSUB_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultAdminURL
}

func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	dbName = "ccsub_test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		initErr = fmt.Errorf("connect %s: %w", redact(adminURL()), err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize()); err != nil {
		initErr = fmt.Errorf("create database: %w", err)
		return
	}
	u, err := url.Parse(adminURL())
	if err != nil {
		initErr = err
		return
	}
	u.Path = "/" + dbName
	dbURL = u.String()
	if pool, err = database.Open(ctx, dbURL); err != nil {
		initErr = err
		return
	}
	if _, err := database.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		initErr = err
	}
}

func drop(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
