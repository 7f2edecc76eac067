package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// Retention (issue 10 §3): each Delete…Batch method below deletes at most
// batch rows of one kind older than before, oldest first, in one short
// statement (its own transaction), and says where the next batch starts.
// internal/retention calls them in turn with a pause between batches; see
// docs/decisions.md "Retention" for what is never deleted and why.

// Batch is what one batch did: how many rows it deleted, where the next
// batch of the kind starts, and whether one may be needed.
type Batch struct {
	Deleted int64
	Next    domain.Cursor
	More    bool
}

// deleteCallsSQL deletes the next batch of calls (failed handshakes, or
// every other operation) that started before @before, after the cursor.
// It keeps:
//   - a pending call: its answer may still come (a journal replay);
//   - the register call of every subscription: the subscription's page
//     links to it, and it is the record of the serverId's grant;
//   - the newest unregister call of a subscription that is not cancelled:
//     whether it can be closed in ccsub only is decided by that call
//     (subscribe.Dropped), so deleting it would change the answer.
//
// The one-time keys (submissions) of the deleted calls go with them. The
// cursor moves past kept rows too, so they are looked at once a run.
//
// The rows of the batch are judged in a CTE of their own before the
// DELETE, so the planner sees a few thousand rows to judge (an index
// probe or a hash each) instead of the one row it estimates for a join of
// the batch back onto calls, for which it once chose a scan of
// subscriptions per row (docs/benchmarks.md "Retention").
const deleteCallsSQL = `WITH batch AS MATERIALIZED (
		SELECT started_at, id, outcome, operation, server_id, subscription_id FROM calls
		WHERE started_at < @before AND (started_at, id) > (@after_at, @after_id)
			AND (operation = 'handshake') = @handshakes
		ORDER BY started_at, id LIMIT @batch),
	doomed AS MATERIALIZED (
		SELECT b.started_at, b.id FROM batch b
		WHERE b.outcome <> 'pending'
			AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.register_call_id = b.id)
			AND NOT (b.operation = 'unregister' AND b.server_id <> ''
				AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = b.subscription_id AND s.state <> 'cancelled')
				AND NOT EXISTS (SELECT 1 FROM calls n
					WHERE n.server_id = b.server_id AND n.server_id <> '' AND n.subscription_id = b.subscription_id
						AND n.operation = 'unregister' AND (n.started_at, n.id) > (b.started_at, b.id)))),
	gone AS (
		DELETE FROM calls c USING doomed d WHERE c.started_at = d.started_at AND c.id = d.id
		RETURNING c.id),
	keys AS (DELETE FROM submissions WHERE call_id IN (SELECT id FROM gone))
	SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM gone), l.started_at, l.id
	FROM (SELECT 1) one LEFT JOIN (SELECT started_at, id FROM batch ORDER BY started_at DESC, id DESC LIMIT 1) l ON true`

// DeleteCallsBatch deletes the next batch of history rows that started
// before before: failed handshakes when handshakes is set, every other
// call and state change otherwise. What retention keeps whatever its age
// is listed at deleteCallsSQL.
func (s *Store) DeleteCallsBatch(ctx context.Context, handshakes bool, before time.Time, after domain.Cursor, batch int) (Batch, error) {
	b, err := s.deleteBatch(ctx, deleteCallsSQL, pgx.NamedArgs{"before": before, "after_at": after.At, "after_id": after.ID,
		"handshakes": handshakes, "batch": batch}, after, batch)
	if err != nil {
		return b, fmt.Errorf("store.DeleteCallsBatch handshakes=%t: %w", handshakes, err)
	}
	return b, nil
}

// DeleteNotificationsBatch deletes the next batch of accepted pushes
// received before before, walking the primary key from the oldest.
func (s *Store) DeleteNotificationsBatch(ctx context.Context, before time.Time, after domain.Cursor, batch int) (Batch, error) {
	b, err := s.deleteBatch(ctx, `WITH batch AS (
			SELECT received_at, id FROM notifications
			WHERE received_at < @before AND (received_at, id) > (@after_at, @after_id) AND accepted
			ORDER BY received_at, id LIMIT @batch),
		gone AS (DELETE FROM notifications n USING batch b WHERE n.received_at = b.received_at AND n.id = b.id RETURNING 1)
		SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM gone), l.received_at, l.id
		FROM (SELECT 1) one LEFT JOIN (SELECT received_at, id FROM batch ORDER BY received_at DESC, id DESC LIMIT 1) l ON true`,
		pgx.NamedArgs{"before": before, "after_at": after.At, "after_id": after.ID, "batch": batch}, after, batch)
	if err != nil {
		return b, fmt.Errorf("store.DeleteNotificationsBatch: %w", err)
	}
	return b, nil
}

// deleteBatch runs one batch statement in a transaction of its own with
// JIT compilation off: the planner's cost for the judging of a batch is
// far above jit_above_cost, and compiling took seconds for a statement
// that runs in about a tenth of one (docs/benchmarks.md "Retention").
func (s *Store) deleteBatch(ctx context.Context, sql string, args pgx.NamedArgs, after domain.Cursor, batch int) (Batch, error) {
	var seen, deleted int64
	var lastAt *time.Time
	var lastID *int64
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sql, args).Scan(&seen, &deleted, &lastAt, &lastID)
	})
	if err != nil {
		return Batch{Next: after}, err
	}
	b := Batch{Deleted: deleted, Next: after, More: seen >= int64(batch)}
	if lastAt != nil && lastID != nil {
		b.Next = domain.Cursor{At: *lastAt, ID: *lastID}
	}
	return b, nil
}

// RefusedBoundary is the newest refused push beyond the keep newest: it
// and everything older is past the count bound. ok is false when there
// are no more than keep.
func (s *Store) RefusedBoundary(ctx context.Context, keep int) (c domain.Cursor, ok bool, err error) {
	err = s.db.QueryRow(ctx, `SELECT received_at, id FROM notifications WHERE NOT accepted
		ORDER BY received_at DESC, id DESC OFFSET $1 LIMIT 1`, keep).Scan(&c.At, &c.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Cursor{}, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("store.RefusedBoundary %d: %w", keep, err)
	}
	return c, true, nil
}

// DeleteRefusedBatch deletes up to batch refused pushes received before
// before or, when bound is set, at or before it (see RefusedBoundary),
// oldest first through notifications_refused_idx. Accepted pushes are
// never touched.
func (s *Store) DeleteRefusedBatch(ctx context.Context, before time.Time, bound *domain.Cursor, batch int) (Batch, error) {
	var b domain.Cursor // the zero cursor bounds nothing
	if bound != nil {
		b = *bound
	}
	tag, err := s.db.Exec(ctx, `DELETE FROM notifications WHERE (received_at, id) IN (
			SELECT received_at, id FROM notifications
			WHERE NOT accepted AND (received_at < $1 OR (received_at, id) <= ($2, $3))
			ORDER BY received_at, id LIMIT $4)`, before, b.At, b.ID, batch)
	if err != nil {
		return Batch{}, fmt.Errorf("store.DeleteRefusedBatch: %w", err)
	}
	return Batch{Deleted: tag.RowsAffected(), More: tag.RowsAffected() >= int64(batch)}, nil
}

// DeleteHeartbeatsBatch deletes up to batch heartbeat buckets that start
// before before. The table has no index on the bucket alone (every
// handshake writes it); old buckets sit at the start of the heap, where
// the scan finds them first.
func (s *Store) DeleteHeartbeatsBatch(ctx context.Context, before time.Time, batch int) (Batch, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM heartbeats WHERE (subscription_id, bucket) IN (
			SELECT subscription_id, bucket FROM heartbeats WHERE bucket < $1 LIMIT $2)`, before, batch)
	if err != nil {
		return Batch{}, fmt.Errorf("store.DeleteHeartbeatsBatch: %w", err)
	}
	return Batch{Deleted: tag.RowsAffected(), More: tag.RowsAffected() >= int64(batch)}, nil
}

// DeleteAuditBatch deletes up to batch of the oldest audit entries written
// before before, and only from the start of the chain: it stops at the
// first entry that is not old enough, and never deletes the newest entry
// (the head the next entry links to). The hash of the last entry deleted
// becomes the chain's anchor (audit_anchor), in the same transaction, so
// VerifyAuditChain still proves every entry kept. It is the only delete
// the audit trail's trigger lets through, and only because the
// transaction says so; retention calls it only when an administrator set
// a window for the audit trail.
func (s *Store) DeleteAuditBatch(ctx context.Context, before time.Time, batch int) (Batch, error) {
	var b Batch
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// The appends' lock: the head cannot move while the tail is cut.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('ccsub.audit_log'))"); err != nil {
			return err
		}
		var through int64
		var hash []byte
		var n int
		stopped := false
		rows, _ := tx.Query(ctx, `SELECT id, at < $1, hash FROM audit_log
			WHERE id < (SELECT max(id) FROM audit_log) ORDER BY id LIMIT $2`, before, batch)
		for rows.Next() {
			var id int64
			var old bool
			var h []byte
			if err := rows.Scan(&id, &old, &h); err != nil {
				return err
			}
			n++
			if !old {
				stopped = true
				break
			}
			through, hash = id, h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		b.More = !stopped && n >= batch
		if through == 0 {
			b.More = false
			return nil
		}
		if _, err := tx.Exec(ctx, "SET LOCAL ccsub.audit_retention = 'on'"); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE id <= $1`, through)
		if err != nil {
			return err
		}
		b.Deleted = tag.RowsAffected()
		_, err = tx.Exec(ctx, `INSERT INTO audit_anchor (through_id, hash) VALUES ($1, $2)
			ON CONFLICT (one) DO UPDATE SET through_id = excluded.through_id, hash = excluded.hash, at = now()`, through, hash)
		return err
	})
	if err != nil {
		return Batch{}, fmt.Errorf("store.DeleteAuditBatch: %w", err)
	}
	return b, nil
}

// auditAnchor is where the chain starts: the genesis hash, or the hash of
// the last entry retention deleted (and its id).
func (s *Store) auditAnchor(ctx context.Context) (hash []byte, through int64, err error) {
	err = s.db.QueryRow(ctx, `SELECT hash, through_id FROM audit_anchor`).Scan(&hash, &through)
	if errors.Is(err, pgx.ErrNoRows) {
		return genesis, 0, nil
	}
	return hash, through, err
}

// ErrNotDue is BeginRetentionRun's answer to a scheduled run when another
// run started within NotWithin: that one counts for this hour.
var ErrNotDue = errors.New("a retention run started recently")

// BeginRetentionRun claims the one retention run that may go on at a
// time. First, a run that has reported no progress for n.StaleAfter is
// marked abandoned (its process died). A repeated form key yields the run
// it started and domain.ErrDuplicateSubmission; a run still going yields
// that run and domain.ErrConflict; with n.NotWithin, a run started within
// it yields ErrNotDue.
func (s *Store) BeginRetentionRun(ctx context.Context, n domain.NewRetentionRun) (domain.RetentionRun, error) {
	var run domain.RetentionRun
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if n.StaleAfter > 0 {
			if _, err := tx.Exec(ctx, `UPDATE retention_runs SET status = 'abandoned', finished_at = progress_at,
					error = 'its process stopped reporting progress (it stopped or lost the database)'
				WHERE finished_at IS NULL AND progress_at < now() - $1::interval`, n.StaleAfter); err != nil {
				return err
			}
		}
		if n.FormKey != "" {
			first, err := scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+` FROM retention_runs WHERE form_key = $1`, n.FormKey))
			if err == nil {
				run = first
				return domain.ErrDuplicateSubmission
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if n.NotWithin > 0 {
			var recent bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM retention_runs
					WHERE started_at > now() - $1::interval)`, n.NotWithin).Scan(&recent); err != nil {
				return err
			}
			if recent {
				return ErrNotDue
			}
		}
		policy, err := json.Marshal(policySeconds(n.Policy))
		if err != nil {
			return err
		}
		run, err = scanRun(tx.QueryRow(ctx, `INSERT INTO retention_runs (trigger, actor, form_key, policy)
			VALUES ($1, $2, NULLIF($3, ''), $4) ON CONFLICT DO NOTHING RETURNING `+runColumns,
			n.Trigger, n.Actor, n.FormKey, policy))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Another run is going (or the same key won a race).
		run, err = scanRun(tx.QueryRow(ctx, `SELECT `+runColumns+` FROM retention_runs
			WHERE finished_at IS NULL OR (form_key = $1 AND $1 <> '') ORDER BY id DESC LIMIT 1`, n.FormKey))
		if err != nil {
			return err
		}
		if n.FormKey != "" && run.Status != domain.RunRunning {
			return domain.ErrDuplicateSubmission
		}
		return domain.ErrConflict
	})
	if errors.Is(err, domain.ErrDuplicateSubmission) || errors.Is(err, domain.ErrConflict) {
		return run, fmt.Errorf("store.BeginRetentionRun %s: run %d: %w", n.Trigger, run.ID, err)
	}
	if err != nil {
		return domain.RetentionRun{}, fmt.Errorf("store.BeginRetentionRun %s: %w", n.Trigger, err)
	}
	return run, nil
}

// ProgressRetentionRun records what a run has deleted so far, and that it
// is alive.
func (s *Store) ProgressRetentionRun(ctx context.Context, id int64, deleted map[domain.RetentionKind]int64) error {
	b, err := json.Marshal(deleted)
	if err == nil {
		_, err = s.db.Exec(ctx, `UPDATE retention_runs SET deleted = $2, progress_at = now()
			WHERE id = $1 AND finished_at IS NULL`, id, b)
	}
	if err != nil {
		return fmt.Errorf("store.ProgressRetentionRun %d: %w", id, err)
	}
	return nil
}

// FinishRetentionRun ends a run with its status, counts and error, and
// returns it as recorded. A run already ended (marked abandoned by
// another process meanwhile) is domain.ErrConflict.
func (s *Store) FinishRetentionRun(ctx context.Context, id int64, status string, deleted map[domain.RetentionKind]int64, errText string) (domain.RetentionRun, error) {
	b, err := json.Marshal(deleted)
	if err != nil {
		return domain.RetentionRun{}, err
	}
	run, err := scanRun(s.db.QueryRow(ctx, `UPDATE retention_runs SET status = $2, deleted = $3, error = $4,
			progress_at = now(), finished_at = now()
		WHERE id = $1 AND finished_at IS NULL RETURNING `+runColumns, id, status, b, errText))
	if errors.Is(err, pgx.ErrNoRows) {
		err = domain.ErrConflict
	}
	if err != nil {
		return domain.RetentionRun{}, fmt.Errorf("store.FinishRetentionRun %d %s: %w", id, status, err)
	}
	return run, nil
}

// RetentionRuns returns the newest limit runs, newest first.
func (s *Store) RetentionRuns(ctx context.Context, limit int) ([]domain.RetentionRun, error) {
	rows, err := s.db.Query(ctx, `SELECT `+runColumns+` FROM retention_runs ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store.RetentionRuns: %w", err)
	}
	defer rows.Close()
	var runs []domain.RetentionRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store.RetentionRuns: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.RetentionRuns: %w", err)
	}
	return runs, nil
}

// TableSizes returns each table's size on disk, indexes and TOAST
// included, and PostgreSQL's estimate of its rows (from the last VACUUM
// or ANALYZE; -1 before either), in the order asked. Both are read from
// the catalogue: nothing is counted.
func (s *Store) TableSizes(ctx context.Context, tables []string) ([]domain.TableSize, error) {
	rows, err := s.db.Query(ctx, `SELECT t.name, pg_total_relation_size(c.oid), c.reltuples::bigint
		FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n)
		JOIN pg_class c ON c.oid = to_regclass(t.name) ORDER BY t.n`, tables)
	if err != nil {
		return nil, fmt.Errorf("store.TableSizes: %w", err)
	}
	sizes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.TableSize, error) {
		var t domain.TableSize
		err := row.Scan(&t.Table, &t.Bytes, &t.Rows)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.TableSizes: %w", err)
	}
	return sizes, nil
}

const runColumns = `id, started_at, progress_at, finished_at, trigger, actor, status, policy, deleted, error`

func scanRun(row pgx.Row) (domain.RetentionRun, error) {
	var r domain.RetentionRun
	var policy map[domain.RetentionKind]int64
	if err := row.Scan(&r.ID, &r.StartedAt, &r.ProgressAt, &r.FinishedAt, &r.Trigger, &r.Actor, &r.Status,
		&policy, &r.Deleted, &r.Error); err != nil {
		return r, err
	}
	r.Policy = domain.RetentionPolicy{}
	for k, sec := range policy {
		r.Policy[k] = time.Duration(sec) * time.Second
	}
	if r.Deleted == nil {
		r.Deleted = map[domain.RetentionKind]int64{}
	}
	return r, nil
}

// policySeconds is a policy as stored: kind → whole seconds kept; kinds
// kept for ever are left out.
func policySeconds(p domain.RetentionPolicy) map[domain.RetentionKind]int64 {
	out := map[domain.RetentionKind]int64{}
	for k, d := range p {
		if d > 0 {
			out[k] = int64(d / time.Second)
		}
	}
	return out
}
