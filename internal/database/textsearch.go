package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Text search anywhere (issue 10) needs pg_trgm and trigram indexes (the
// history's on call_texts, its distinct addresses and messages). Not every
// database lets ccsub create an extension (a
// managed service, a role without CREATE on the database, PostgreSQL
// without its contrib package), and ccsub must start anyway: so the
// extension and the indexes are not a migration, which would fail, but
// this step after the migrations, repeated at every start. It builds what
// is missing, and a database that gains pg_trgm later gets its indexes at
// the next start. When it cannot, it says why once in the log and ccsub
// matches the start of the text instead (store.TextMatch reads the
// catalog and the history page says so).

// trigramIndexes are built CONCURRENTLY, so their tables keep being
// written while they build. %s is the schema-qualified operator class.
var trigramIndexes = []struct{ name, def string }{
	// The history's distinct callback addresses and messages (migration
	// 00009); store.TextMatch looks for this index by name.
	// fastupdate off: new values are few, and a pending list (read in
	// full by every search, and priced so by the planner) would build up
	// on a table that starts empty.
	{"call_texts_trgm_idx", "ON call_texts USING gin (folded %s) WITH (fastupdate = off)"},
	// The subscriptions list's search: serverId and callback address in
	// one expression (store.subscriptionTextAnywhere, the same text).
	{"subscriptions_text_trgm_idx", `ON subscriptions USING gin ((server_id || E'\n' || callback_uri) %s)`},
}

// textSearchLock is the advisory lock key that keeps two processes from
// building the same index at once ("ccsubtxt").
const textSearchLock = 0x6363737562747874

// TextSearch is what EnsureTextSearch could set up.
type TextSearch struct {
	// Trigram: pg_trgm and every trigram index are there, so terms are
	// searched anywhere.
	Trigram bool
	// Reason says why not, when not.
	Reason string
}

// EnsureTextSearch creates pg_trgm and the trigram indexes of the history
// when they are missing and can be made, and reports what is there. A
// database that refuses is not an error: the result says why, and it is
// logged at warn level once. Errors are only those of reaching the
// database (or ctx ending).
func EnsureTextSearch(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (TextSearch, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return TextSearch{}, fmt.Errorf("database.EnsureTextSearch: %w", err)
	}
	defer conn.Release()
	if err := advisoryLock(ctx, conn.Conn(), textSearchLock); err != nil {
		return TextSearch{}, fmt.Errorf("database.EnsureTextSearch: lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(textSearchLock))
	}()
	ts, err := ensureTextSearch(ctx, conn.Conn(), log)
	if err != nil {
		return TextSearch{}, fmt.Errorf("database.EnsureTextSearch: %w", err)
	}
	if !ts.Trigram {
		log.Warn("text search in the history matches only the start of the callback address and the message: "+
			"the pg_trgm extension or its indexes are missing. Ask the database owner to run CREATE EXTENSION pg_trgm "+
			"(PostgreSQL's contrib package must be installed), then restart ccsub, which then builds the indexes",
			"reason", ts.Reason)
	}
	return ts, nil
}

func ensureTextSearch(ctx context.Context, conn *pgx.Conn, log *slog.Logger) (TextSearch, error) {
	// IF NOT EXISTS succeeds without privileges when the extension is
	// there. pg_trgm is trusted since PostgreSQL 13: the database's owner,
	// or any role with CREATE on it, may create it.
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
		if reason, refused := refusal(ctx, err); refused {
			return TextSearch{Reason: "CREATE EXTENSION pg_trgm: " + reason}, nil
		}
		return TextSearch{}, err
	}
	// The operator class lives where the extension was installed, which
	// need not be on the search path.
	var opclass string
	err := conn.QueryRow(ctx, `SELECT quote_ident(n.nspname) || '.gin_trgm_ops' FROM pg_extension e
		JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`).Scan(&opclass)
	if err != nil {
		return TextSearch{}, err
	}
	for _, ix := range trigramIndexes {
		var valid *bool
		err := conn.QueryRow(ctx, `SELECT i.indisvalid AND i.indisready FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
			ix.name).Scan(&valid)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return TextSearch{}, err
		}
		if valid != nil && *valid {
			continue
		}
		// A build that was interrupted leaves an invalid index behind.
		if valid != nil {
			if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+ix.name); err != nil {
				if reason, refused := refusal(ctx, err); refused {
					return TextSearch{Reason: "drop the invalid index " + ix.name + ": " + reason}, nil
				}
				return TextSearch{}, err
			}
		}
		log.Info("building a trigram index for text search (once)", "index", ix.name)
		start := time.Now()
		sql := "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + ix.name + " " + fmt.Sprintf(ix.def, opclass)
		if _, err := conn.Exec(ctx, sql); err != nil {
			if reason, refused := refusal(ctx, err); refused {
				// Leave no invalid index behind to slow down writes.
				_, _ = conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+ix.name)
				return TextSearch{Reason: "build " + ix.name + ": " + reason}, nil
			}
			return TextSearch{}, err
		}
		log.Info("trigram index built", "index", ix.name, "duration", time.Since(start).Round(time.Millisecond))
	}
	return TextSearch{Trigram: true}, nil
}

// refusal tells the database's refusals (an error it answered, such as a
// missing privilege, a missing extension or a full disk) from failures to
// reach it or the end of ctx, and words them.
func refusal(ctx context.Context, err error) (string, bool) {
	var pgErr *pgconn.PgError
	if ctx.Err() != nil || !errors.As(err, &pgErr) {
		return "", false
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code), true
}

// advisoryLock waits for the session-level advisory lock key on conn,
// trying every half second rather than blocking in pg_advisory_lock: a
// session blocked in a statement holds a snapshot, which a CREATE INDEX
// CONCURRENTLY in the session holding the lock would wait for in turn.
func advisoryLock(ctx context.Context, conn *pgx.Conn, key int64) error {
	for {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
