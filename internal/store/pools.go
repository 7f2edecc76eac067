package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reserved marks ctx as background work that must go on while every
// interactive connection is busy: the keep-alive engine, the receiver, the
// writes that complete a gateway call, the sweeps, readiness. A Store built
// by NewPools runs its statements on the reserved connections; a Store
// built by New has one pool and ignores the mark.
func Reserved(ctx context.Context) context.Context {
	return context.WithValue(ctx, reservedKey{}, true)
}

// IsReserved reports whether ctx is marked Reserved.
func IsReserved(ctx context.Context) bool {
	v, _ := ctx.Value(reservedKey{}).(bool)
	return v
}

type reservedKey struct{}

// Pools are the connections of a Store that keeps requests and background
// work apart, so slow searches holding every interactive connection never
// stop a handshake, a push or the write of a granted serverId.
type Pools struct {
	// Interactive serves every context not marked Reserved.
	Interactive *pgxpool.Pool
	// Reserved serves contexts marked Reserved; nil: Interactive serves
	// them too.
	Reserved *pgxpool.Pool
	// Wait bounds how long an interactive statement waits for a free
	// connection; past it the statement fails with domain.ErrBusy instead
	// of queueing on. 0: as long as its context allows. Reserved work
	// waits as long as its context allows: it has deadlines of its own.
	Wait time.Duration
}

// NewPools returns a Store over p; the caller owns the pools and closes
// them. Pool returns p.Interactive.
func NewPools(p Pools) *Store {
	return &Store{pool: p.Interactive, db: &router{p}, text: &textMatch{}}
}

// Ping checks that the database answers, on the pool ctx is routed to.
func (s *Store) Ping(ctx context.Context) error {
	if r, ok := s.db.(*router); ok {
		pool, _ := r.pick(ctx)
		return pool.Ping(ctx)
	}
	return s.pool.Ping(ctx)
}

// router is the conn of a Store built by NewPools: each statement or
// transaction takes a connection from the pool its context is routed to,
// and gives it back when done, as pgxpool.Pool itself does.
type router struct{ Pools }

func (r *router) pick(ctx context.Context) (*pgxpool.Pool, time.Duration) {
	if r.Reserved != nil && IsReserved(ctx) {
		return r.Reserved, 0
	}
	return r.Interactive, r.Wait
}

func (r *router) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	pool, wait := r.pick(ctx)
	if wait <= 0 {
		c, err := pool.Acquire(ctx)
		return c, withCause(ctx, err)
	}
	actx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	c, err := pool.Acquire(actx)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		st := pool.Stat()
		return nil, fmt.Errorf("%w within %s (%d of %d connections in use)", domain.ErrBusy, wait, st.AcquiredConns(), st.MaxConns())
	}
	return c, withCause(ctx, err)
}

func (r *router) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := r.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer c.Release()
	tag, err := c.Exec(ctx, sql, args...)
	return tag, withCause(ctx, err)
}

func (r *router) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := r.acquire(ctx)
	if err != nil {
		return errRows{err}, err
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		c.Release()
		err = withCause(ctx, err)
		return errRows{err}, err
	}
	return &connRows{ctx: ctx, r: rows, c: c}, nil
}

func (r *router) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := r.acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return &connRow{ctx: ctx, r: c.QueryRow(ctx, sql, args...), c: c}
}

func (r *router) Begin(ctx context.Context) (pgx.Tx, error) {
	c, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		c.Release()
		return nil, withCause(ctx, err)
	}
	return &connTx{Tx: tx, c: c}, nil
}

func (r *router) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	c, err := r.acquire(ctx)
	if err != nil {
		return errBatch{err}
	}
	return &connBatch{ctx: ctx, r: c.SendBatch(ctx, b), c: c}
}

// withCause adds ctx's error to err when ctx ended, so a statement cut off
// because its client went away reads as a cancellation, never as a
// statement timeout (both can answer SQLSTATE 57014: see
// database.TimedOut) or an outage.
func withCause(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

// connTx gives its connection back when it ends, as pgxpool.Tx does.
type connTx struct {
	pgx.Tx
	c *pgxpool.Conn
}

func (t *connTx) Commit(ctx context.Context) error {
	err := t.Tx.Commit(ctx)
	t.release()
	return withCause(ctx, err)
}

func (t *connTx) Rollback(ctx context.Context) error {
	err := t.Tx.Rollback(ctx)
	t.release()
	return err
}

func (t *connTx) release() {
	if t.c != nil {
		t.c.Release()
		t.c = nil
	}
}

// connRows gives its connection back when the rows are closed or read to
// the end, as pgxpool's rows do.
type connRows struct {
	ctx context.Context
	r   pgx.Rows
	c   *pgxpool.Conn
}

func (rows *connRows) Close() {
	rows.r.Close()
	if rows.c != nil {
		rows.c.Release()
		rows.c = nil
	}
}

func (rows *connRows) Err() error { return withCause(rows.ctx, rows.r.Err()) }

func (rows *connRows) CommandTag() pgconn.CommandTag { return rows.r.CommandTag() }

func (rows *connRows) FieldDescriptions() []pgconn.FieldDescription {
	return rows.r.FieldDescriptions()
}

func (rows *connRows) Next() bool {
	n := rows.r.Next()
	if !n {
		rows.Close()
	}
	return n
}

func (rows *connRows) Scan(dest ...any) error {
	err := rows.r.Scan(dest...)
	if err != nil {
		rows.Close()
	}
	return err
}

func (rows *connRows) Values() ([]any, error) {
	values, err := rows.r.Values()
	if err != nil {
		rows.Close()
	}
	return values, err
}

func (rows *connRows) RawValues() [][]byte  { return rows.r.RawValues() }
func (rows *connRows) Conn() *pgx.Conn      { return rows.r.Conn() }
func (rows *connRows) TypeMap() *pgtype.Map { return rows.r.TypeMap() }

// connRow gives its connection back once scanned, as pgxpool's row does.
type connRow struct {
	ctx context.Context
	r   pgx.Row
	c   *pgxpool.Conn
}

func (row *connRow) Scan(dest ...any) error {
	defer row.c.Release()
	return withCause(row.ctx, row.r.Scan(dest...))
}

// connBatch gives its connection back when the batch is closed.
type connBatch struct {
	ctx context.Context
	r   pgx.BatchResults
	c   *pgxpool.Conn
}

func (b *connBatch) Exec() (pgconn.CommandTag, error) {
	tag, err := b.r.Exec()
	return tag, withCause(b.ctx, err)
}
func (b *connBatch) Query() (pgx.Rows, error) { return b.r.Query() }
func (b *connBatch) QueryRow() pgx.Row        { return b.r.QueryRow() }
func (b *connBatch) Tx() pgx.Tx               { return b.r.Tx() }
func (b *connBatch) Close() error {
	err := b.r.Close()
	if b.c != nil {
		b.c.Release()
		b.c = nil
	}
	return withCause(b.ctx, err)
}

// errBatch carries an error that came before the batch was sent.
type errBatch struct{ err error }

func (e errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errBatch) Query() (pgx.Rows, error)         { return errRows{e.err}, e.err }
func (e errBatch) QueryRow() pgx.Row                { return errRow{e.err} }
func (e errBatch) Close() error                     { return e.err }
func (errBatch) Tx() pgx.Tx                         { return nil }

// errRows and errRow carry an error that came before the statement ran.
type errRows struct{ err error }

func (errRows) Close()                                       {}
func (e errRows) Err() error                                 { return e.err }
func (errRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (errRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (errRows) Next() bool                                   { return false }
func (e errRows) Scan(...any) error                          { return e.err }
func (e errRows) Values() ([]any, error)                     { return nil, e.err }
func (errRows) RawValues() [][]byte                          { return nil }
func (errRows) Conn() *pgx.Conn                              { return nil }
func (errRows) TypeMap() *pgtype.Map                         { return nil }

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }
