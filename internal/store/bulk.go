package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bulk is one transaction of a bulk load (`ccsub dev seed`): tables locked
// against writers, identity values reserved, secondary indexes dropped and
// rebuilt, rows streamed in with COPY. Nothing of it is visible to others
// until it commits, and a load that fails or is interrupted leaves the
// database as it was (indexes included: DDL is transactional).
type Bulk struct {
	tx pgx.Tx
}

// BulkLoad runs fn in one transaction tuned for loading: no statement
// timeout (COPY of millions of rows takes minutes), an asynchronous commit,
// and a large maintenance_work_mem for the index builds.
func (s *Store) BulkLoad(ctx context.Context, fn func(*Bulk) error) error {
	var fnErr error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			"SET LOCAL statement_timeout = 0",
			"SET LOCAL idle_in_transaction_session_timeout = 0",
			"SET LOCAL synchronous_commit = off",
			"SET LOCAL maintenance_work_mem = '256MB'",
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		fnErr = fn(&Bulk{tx: tx})
		return fnErr
	})
	if err != nil && err != fnErr { // fn's own errors go back as they are
		return fmt.Errorf("store.BulkLoad: %w", err)
	}
	return err
}

// Lock keeps every other session from writing to tables (they still read)
// until the load ends, so reserved identity values and the audit chain's
// head stay ours.
func (b *Bulk) Lock(ctx context.Context, tables ...string) error {
	if len(tables) == 0 {
		return nil
	}
	sql := "LOCK TABLE "
	for i, t := range tables {
		if i > 0 {
			sql += ", "
		}
		sql += pgx.Identifier{t}.Sanitize()
	}
	_, err := b.tx.Exec(ctx, sql+" IN EXCLUSIVE MODE")
	return err
}

// SeedMarks say which rows a seeder made: users whose names start with
// UserPrefix, gateways whose names start with GatewayPrefix and whose
// address starts with GatewayURLPrefix, and pushes to an unknown receiver
// key that starts with KeyPrefix. SimulatorName is the built-in
// simulator's gateway, which ccsub creates itself.
type SeedMarks struct {
	UserPrefix, GatewayPrefix, GatewayURLPrefix, KeyPrefix, SimulatorName string
}

// Census is what a database holds that a seeder did not make.
type Census struct {
	Users         int64    // users other than the seeder's
	Gateways      []string // names of gateways other than the seeder's and the simulator's
	Calls         bool     // a call on a gateway not the seeder's
	Subscriptions bool     // a subscription on a gateway not the seeder's
	Notifications bool     // a push to none of the seeder's subscriptions
}

// Census looks for data a seeder did not make. Every test is an index
// lookup or a scan of a small table, however many seeded rows there are.
func (b *Bulk) Census(ctx context.Context, m SeedMarks) (Census, error) {
	var c Census
	args := pgx.NamedArgs{"user_prefix": likePrefix(m.UserPrefix), "gateway_prefix": likePrefix(m.GatewayPrefix),
		"url_prefix": likePrefix(m.GatewayURLPrefix), "key_prefix": likePrefix(m.KeyPrefix), "simulator": m.SimulatorName}
	err := b.tx.QueryRow(ctx, `WITH foreign_gw AS (
			SELECT id, name FROM gateways
			WHERE NOT (name LIKE @gateway_prefix AND base_url LIKE @url_prefix))
		SELECT
			(SELECT count(*) FROM users WHERE username NOT LIKE @user_prefix),
			(SELECT coalesce(array_agg(name ORDER BY id), '{}') FROM foreign_gw WHERE name <> @simulator),
			EXISTS (SELECT 1 FROM calls WHERE gateway_id IN (SELECT id FROM foreign_gw)),
			EXISTS (SELECT 1 FROM subscriptions WHERE gateway_id IN (SELECT id FROM foreign_gw)),
			EXISTS (SELECT 1 FROM notifications n JOIN subscriptions s ON s.id = n.subscription_id
				WHERE s.gateway_id IN (SELECT id FROM foreign_gw))
			OR EXISTS (SELECT 1 FROM notifications WHERE subscription_id IS NULL AND receiver_key NOT LIKE @key_prefix)`,
		args).Scan(&c.Users, &c.Gateways, &c.Calls, &c.Subscriptions, &c.Notifications)
	if err != nil {
		return c, fmt.Errorf("store.Census: %w", err)
	}
	return c, nil
}

// likePrefix is a LIKE pattern matching strings that start with p.
func likePrefix(p string) string {
	out := make([]rune, 0, len(p)+1)
	for _, r := range p {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out) + "%"
}

// ReserveIDs takes n values of table's identity column "id" for rows the
// caller inserts with explicit ids (COPY writes identity values it is
// given, as INSERT … OVERRIDING SYSTEM VALUE does) and returns the first;
// the rows then use first … first+n-1. Lock the table first.
func (b *Bulk) ReserveIDs(ctx context.Context, table string, n int64) (int64, error) {
	if n <= 0 {
		return 0, errors.New("store.ReserveIDs: want n > 0")
	}
	var first int64
	err := b.tx.QueryRow(ctx, `WITH seq AS (SELECT pg_get_serial_sequence($1, 'id') AS name)
		SELECT setval(seq.name, nextval(seq.name) + $2 - 1) - $2 + 1 FROM seq`,
		pgx.Identifier{table}.Sanitize(), n).Scan(&first)
	if err != nil {
		return 0, fmt.Errorf("store.ReserveIDs %s: %w", table, err)
	}
	return first, nil
}

// EstimatedRows is the planner's idea of how many rows table holds (the
// table is not scanned); -1 when it was never analysed.
func (b *Bulk) EstimatedRows(ctx context.Context, table string) (int64, error) {
	var n float64
	err := b.tx.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`,
		pgx.Identifier{table}.Sanitize()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store.EstimatedRows %s: %w", table, err)
	}
	return int64(n), nil
}

// Index is a secondary index as pg_get_indexdef writes it.
type Index struct {
	Name, Definition string
}

// DropIndexes drops table's indexes that back no constraint and enforce
// no uniqueness (those stay, so the load is still checked), and returns
// their definitions for CreateIndexes. It reads them from the catalog, so
// an index a later migration adds is dropped and rebuilt too.
func (b *Bulk) DropIndexes(ctx context.Context, table string) ([]Index, error) {
	rows, _ := b.tx.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY c.relname`, pgx.Identifier{table}.Sanitize())
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Index, error) {
		var x Index
		return x, r.Scan(&x.Name, &x.Definition)
	})
	if err != nil {
		return nil, fmt.Errorf("store.DropIndexes %s: %w", table, err)
	}
	for _, x := range idx {
		if _, err := b.tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{x.Name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("store.DropIndexes %s: %w", x.Name, err)
		}
	}
	return idx, nil
}

// CreateIndexes builds indexes from their definitions, one after the
// other, calling done after each with how long it took.
func (b *Bulk) CreateIndexes(ctx context.Context, idx []Index, done func(Index, time.Duration)) error {
	for _, x := range idx {
		start := time.Now()
		if _, err := b.tx.Exec(ctx, x.Definition); err != nil {
			return fmt.Errorf("store.CreateIndexes %s: %w", x.Name, err)
		}
		if done != nil {
			done(x, time.Since(start))
		}
	}
	return nil
}

// CopyRow is one row being written in COPY's binary format: call one
// method per column, in the order of Copy's columns, with the column's
// type (bigint: Int64, integer: Int32, text: Text, boolean: Bool, bytea:
// Bytes, timestamptz: Time). Encoding is appending bytes: a row costs
// well under a microsecond, where a generic encoder costs several.
type CopyRow struct {
	b      []byte
	fields int
}

// Reset empties the row, keeping its buffer: for measuring a RowFiller
// alone.
func (r *CopyRow) Reset() { r.b, r.fields = r.b[:0], 0 }

// Null is SQL NULL.
func (r *CopyRow) Null() { r.b = binary.BigEndian.AppendUint32(r.b, 0xFFFFFFFF); r.fields++ }

// Int64 is a bigint.
func (r *CopyRow) Int64(v int64) {
	r.b = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(r.b, 8), uint64(v))
	r.fields++
}

// Int32 is an integer.
func (r *CopyRow) Int32(v int32) {
	r.b = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(r.b, 4), uint32(v))
	r.fields++
}

// Bool is a boolean.
func (r *CopyRow) Bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	r.b = append(binary.BigEndian.AppendUint32(r.b, 1), b)
	r.fields++
}

// Text is a text value; it must be valid UTF-8 (the server checks).
func (r *CopyRow) Text(s string) {
	r.b = append(binary.BigEndian.AppendUint32(r.b, uint32(len(s))), s...)
	r.fields++
}

// Bytes is a bytea value; nil is NULL.
func (r *CopyRow) Bytes(v []byte) {
	if v == nil {
		r.Null()
		return
	}
	r.b = append(binary.BigEndian.AppendUint32(r.b, uint32(len(v))), v...)
	r.fields++
}

// postgresEpoch is where timestamptz counts microseconds from.
var postgresEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// Time is a timestamptz, to the microsecond.
func (r *CopyRow) Time(t time.Time) { r.Int64(t.UnixMicro() - postgresEpoch) }

// RowFiller writes the rows of a Copy, one per Fill, until Fill returns
// false; Err then says why, or is nil at the end.
type RowFiller interface {
	Fill(r *CopyRow) bool
	Err() error
}

// Copy streams rows into table's columns with one COPY … FROM STDIN
// (FORMAT binary), however many rows there are, and returns how many
// went in.
func (b *Bulk) Copy(ctx context.Context, table string, columns []string, src RowFiller) (int64, error) {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(cols, ", ") + ") FROM STDIN (FORMAT binary)"
	rd := &copyReader{src: src, columns: len(columns)}
	tag, err := b.tx.Conn().PgConn().CopyFrom(ctx, rd, sql)
	if e := rd.failure(); e != nil {
		err = e
	}
	if err != nil {
		return tag.RowsAffected(), fmt.Errorf("store.Copy %s: %w", table, translate(err))
	}
	return tag.RowsAffected(), nil
}

// copyHeader starts a binary COPY stream: the signature, no flags, no
// header extension.
var copyHeader = []byte("PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000")

// copyReader is the byte stream of a binary COPY, encoded from a RowFiller
// as the connection reads it.
type copyReader struct {
	src     RowFiller
	columns int
	row     CopyRow
	off     int
	started bool
	done    bool
	err     error
	// failed is err for the caller: the connection reads in a goroutine
	// of its own, which a broken connection may leave running.
	mu     sync.Mutex
	failed error
}

func (c *copyReader) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

func (c *copyReader) Read(p []byte) (int, error) {
	for c.off >= len(c.row.b) {
		if c.done {
			return 0, io.EOF
		}
		c.fill(len(p))
		if c.err != nil {
			c.mu.Lock()
			c.failed = c.err
			c.mu.Unlock()
			return 0, c.err // the connection sends CopyFail: nothing is written
		}
	}
	n := copy(p, c.row.b[c.off:])
	c.off += n
	return n, nil
}

// fill encodes rows until about want bytes are ready, or the rows end.
func (c *copyReader) fill(want int) {
	r := &c.row
	r.b, c.off = r.b[:0], 0
	if !c.started {
		r.b, c.started = append(r.b, copyHeader...), true
	}
	for len(r.b) < want {
		start := len(r.b)
		r.b, r.fields = binary.BigEndian.AppendUint16(r.b, uint16(c.columns)), 0
		if !c.src.Fill(r) {
			r.b = binary.BigEndian.AppendUint16(r.b[:start], 0xFFFF) // the trailer
			c.done, c.err = true, c.src.Err()
			return
		}
		if r.fields != c.columns {
			r.b = r.b[:start]
			c.done, c.err = true, fmt.Errorf("a row of %d fields for %d columns", r.fields, c.columns)
			return
		}
	}
}

// AuditHead takes the audit chain's append lock for the rest of the
// transaction, as AppendAudit does for one entry, and returns the hash the
// next entry links to.
func (b *Bulk) AuditHead(ctx context.Context) ([]byte, error) {
	if _, err := b.tx.Exec(ctx, auditLockSQL); err != nil {
		return nil, fmt.Errorf("store.AuditHead: %w", err)
	}
	prev, err := auditHead(ctx, b.tx)
	if err != nil {
		return nil, fmt.Errorf("store.AuditHead: %w", err)
	}
	return prev, nil
}

// SeedGateway is a gateway row a seeder writes.
type SeedGateway struct {
	Name, BaseURL  string
	AgentID        int64
	PasswordSealed []byte
	CreatedAt      time.Time
	LastTestAt     time.Time
	LastTestOK     bool
}

// EnsureGateway returns the id of the gateway named g.Name, inserting it
// when there is none; created says which.
func (b *Bulk) EnsureGateway(ctx context.Context, g SeedGateway) (id int64, created bool, err error) {
	err = b.tx.QueryRow(ctx, `SELECT id FROM gateways WHERE lower(name) = lower($1) AND removed_at IS NULL`, g.Name).Scan(&id)
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return id, false, err
	}
	outcome := "failed"
	if g.LastTestOK {
		outcome = "success"
	}
	err = b.tx.QueryRow(ctx, `INSERT INTO gateways (name, base_url, agent_id, password_sealed, created_at,
			updated_at, last_test_at, last_test_outcome)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING id`,
		g.Name, g.BaseURL, g.AgentID, g.PasswordSealed, g.CreatedAt, g.LastTestAt, outcome).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("store.EnsureGateway %q: %w", g.Name, translate(err))
	}
	return id, true, nil
}

// EnsureUser returns the id of the user named username, inserting it with
// the given role, password hash and creation time when there is none.
func (b *Bulk) EnsureUser(ctx context.Context, username, role, passwordHash string, createdAt time.Time) (id int64, created bool, err error) {
	err = b.tx.QueryRow(ctx, `SELECT id FROM users WHERE lower(username) = lower($1)`, username).Scan(&id)
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return id, false, err
	}
	err = b.tx.QueryRow(ctx, `INSERT INTO users (username, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`, username, role, passwordHash, createdAt).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("store.EnsureUser %q: %w", username, translate(err))
	}
	return id, true, nil
}

// Analyze refreshes the planner's statistics of tables after a load, so
// the first queries on them are planned as production's would be. It runs
// in the load's transaction, without its statement timeout.
func (b *Bulk) Analyze(ctx context.Context, tables ...string) error {
	for _, t := range tables {
		if _, err := b.tx.Exec(ctx, "ANALYZE "+pgx.Identifier{t}.Sanitize()); err != nil {
			return fmt.Errorf("store.Analyze %s: %w", t, err)
		}
	}
	return nil
}

// Vacuum vacuums and analyses tables after a load (VACUUM cannot run in
// its transaction), on one connection without a statement timeout, so
// that their visibility maps are set as a production table's would be and
// index-only scans are planned and measured as they would be there.
func (s *Store) Vacuum(ctx context.Context, tables ...string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store.Vacuum: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return fmt.Errorf("store.Vacuum: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "RESET statement_timeout") }()
	for _, t := range tables {
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+pgx.Identifier{t}.Sanitize()); err != nil {
			return fmt.Errorf("store.Vacuum %s: %w", t, err)
		}
	}
	return nil
}
