package database_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5"
)

// TestMigrateStartsWithoutPgTrgmAndBuildsItsIndexesOnceItCan: a role that
// may create tables but not extensions migrates a database; pg_trgm cannot
// be created, which is logged once at warn level, the migration still
// succeeds and the store matches the start of the text. Once the database
// owner has created the extension, the next migration (the next start)
// builds the trigram indexes and the store searches anywhere.
func TestMigrateStartsWithoutPgTrgmAndBuildsItsIndexesOnceItCan(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	admin, adminURL := dbtest.Pool(t), dbtest.URL(t)
	var b [5]byte
	_, _ = rand.Read(b[:])
	role, db := "ccsub_noext_"+hex.EncodeToString(b[:]), "ccsub_test_noext_"+hex.EncodeToString(b[:])
	for _, sql := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"CREATE DATABASE " + db,
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
		_, _ = admin.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	dbAsAdmin, roleURL := withDB(t, adminURL, db, ""), withDB(t, adminURL, db, role)
	// The role may create tables in public, not extensions in the database
	// (that needs CREATE on the database), as on many managed services.
	conn, err := pgx.Connect(ctx, dbAsAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "GRANT CREATE, USAGE ON SCHEMA public TO "+role); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := database.MigrateURL(ctx, roleURL, log); err != nil {
		t.Fatalf("migrating without the right to create pg_trgm failed: %v", err)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "pg_trgm") ||
		!strings.Contains(logs.String(), "42501") {
		t.Errorf("want one warning naming pg_trgm and the refusal (42501), got %d in:\n%s", n, logs.String())
	}
	if got := textMatch(t, ctx, roleURL); got != domain.MatchStart {
		t.Errorf("TextMatch without pg_trgm = %v, want MatchStart", got)
	}

	if _, err := conn.Exec(ctx, "CREATE EXTENSION pg_trgm"); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	if _, err := database.MigrateURL(ctx, roleURL, log); err != nil {
		t.Fatal(err)
	}
	// The history's and the subscriptions list's.
	built := strings.Count(logs.String(), "trigram index built")
	if strings.Contains(logs.String(), "level=WARN") || built < 2 || built != strings.Count(logs.String(), "building") ||
		!strings.Contains(logs.String(), "index=call_texts_trgm_idx") {
		t.Errorf("want every trigram index built and no warning, got:\n%s", logs.String())
	}
	if got := textMatch(t, ctx, roleURL); got != domain.MatchAnywhere {
		t.Errorf("TextMatch with pg_trgm = %v, want MatchAnywhere", got)
	}

	// A later start finds everything in place: nothing built, nothing said.
	logs.Reset()
	if _, err := database.MigrateURL(ctx, roleURL, log); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "trigram") || strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("a start with the indexes in place logged:\n%s", logs.String())
	}
}

// TestEnsureTextSearchReplacesAnInvalidIndex: a build that was interrupted
// leaves an invalid index; the next start drops and builds it again.
func TestEnsureTextSearchReplacesAnInvalidIndex(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	ctx := t.Context()
	_, err := pool.Exec(ctx, `UPDATE pg_index SET indisvalid = false
		WHERE indexrelid = 'call_texts_trgm_idx'::regclass`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.New(pool).TextMatch(ctx); err != nil || got != domain.MatchStart {
		t.Fatalf("TextMatch with an invalid index = %v, %v; want MatchStart", got, err)
	}
	ts, err := database.EnsureTextSearch(ctx, pool, slog.New(slog.DiscardHandler))
	if err != nil || !ts.Trigram {
		t.Fatalf("EnsureTextSearch = %+v, %v", ts, err)
	}
	if got, err := store.New(pool).TextMatch(ctx); err != nil || got != domain.MatchAnywhere {
		t.Fatalf("TextMatch after the rebuild = %v, %v; want MatchAnywhere", got, err)
	}
}

// withDB is base with database db and, when given, user role.
func withDB(t *testing.T, base, db, role string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	if role != "" {
		u.User = url.User(role)
	}
	return u.String()
}

func textMatch(t *testing.T, ctx context.Context, dbURL string) domain.TextMatch {
	t.Helper()
	pool, err := database.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := store.New(pool).TextMatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
