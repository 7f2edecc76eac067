// Package store holds all of ccsub's SQL: a Store over a pgx pool (or two:
// see NewPools), one file per table, returning domain values and the
// domain's sentinel errors.
package store

import (
	"context"
	"errors"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store reads and writes ccsub's tables. It is safe for concurrent use;
// a Store handed to an InTx function is bound to that transaction and is
// not.
type Store struct {
	pool *pgxpool.Pool
	db   conn       // the pool, or the transaction of InTx
	text *textMatch // how text search is served (textsearch.go)
}

// conn is what both a pool and a transaction offer; pgx.BeginFunc on a
// transaction makes a savepoint, so methods that need their own
// transaction nest inside InTx.
type conn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// New returns a Store over pool; the caller owns the pool and closes it.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, db: pool, text: &textMatch{}}
}

// InTx runs fn with a Store bound to one transaction, committed when fn
// returns nil: a change and its audit entry are written together or not
// at all.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	return withCause(ctx, pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		return fn(&Store{pool: s.pool, db: tx, text: s.text})
	}))
}

// Pool returns the underlying pool (the interactive one of NewPools), for
// tests and scripts that run SQL of their own.
func (s *Store) Pool() *pgxpool.Pool {
	return s.pool
}

// PostgreSQL error codes the store translates into domain errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// translate maps driver errors onto the domain's sentinels so callers never
// import pgx to tell "missing" from "taken". Other errors pass unchanged.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case codeUniqueViolation:
		return domain.ErrConflict
	case codeForeignKeyViolation:
		// ccsub never deletes referenced rows, so a foreign-key violation on
		// insert or update means the row it points at does not exist.
		return domain.ErrNotFound
	}
	return err
}

// collectOne reads exactly one row into a T; zero rows yield pgx.ErrNoRows,
// which the caller's translate turns into domain.ErrNotFound.
func collectOne[T any](rows pgx.Rows) (T, error) {
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[T])
}
