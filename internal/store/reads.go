package store

import (
	"context"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// Reads gathers the reads of one page so that they reach the database as
// one batch, one network round trip, with the request's pending session
// lookup in front (issue 10 §5: a page costs one round trip plus its
// render). Under load every extra round trip is another wait for a
// connection and for the scheduler, which is where a page of five
// sequential statements lost its p99.
//
// Queue reads with its methods, then Send. Each destination is filled when
// its answer comes back; after an error from Send, treat them all as
// unset. pgx sends a batch's statements named; the pools'
// plan_cache_mode = force_custom_plan (database.OpenWith) keeps the plans
// per value.
type Reads struct {
	s     *Store
	b     pgx.Batch
	l     *SessionLookup // ctx's pending session lookup, or nil
	found SessionLookup  // its answer, given to l by Send
	read  bool           // the answer came back
}

// Reads starts a batch of reads; ctx's pending session lookup, if any,
// goes first.
func (s *Store) Reads(ctx context.Context) *Reads {
	r := &Reads{s: s}
	if l := pendingLookup(ctx); l != nil {
		r.l, r.found = l, *l
		r.b.Queue(sessionUserSQL, l.ID).QueryRow(func(row pgx.Row) error {
			if err := r.found.scan(row); err != nil {
				return err
			}
			r.read = true
			return nil
		})
	}
	return r
}

// Send sends the queued reads and waits for every answer. The session
// lookup is settled whenever its own answer came back, even if a later
// read failed: who asked decides whether the failure may be shown.
func (r *Reads) Send(ctx context.Context) error {
	if r.b.Len() == 0 {
		return nil
	}
	err := r.s.db.SendBatch(ctx, &r.b).Close()
	if r.read {
		*r.l = r.found
	}
	return err
}

// plan queues planner settings for the reads queued after it. They are SET
// LOCAL: a batch runs as one implicit transaction, so they end with it and
// never reach the next user of the connection, and a failed batch rolls
// them back with the rest (no BEGIN and COMMIT round trips).
func (r *Reads) plan(settings ...string) {
	for _, s := range settings {
		r.b.Queue("SET LOCAL " + s)
	}
}

// queueOne queues a statement of at most one row of R, given to dst as a
// T; ok says whether there was one (no row is not an error: the session's
// answer must still arrive for a page that is not found).
func queueOne[R, T any](r *Reads, sql string, args []any, conv func(R) T, dst *T, ok *bool) {
	r.b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		rs, err := collectByName[R](rows, 1)
		if err != nil {
			return err
		}
		if *ok = len(rs) > 0; *ok {
			*dst = conv(rs[0])
		}
		return nil
	})
}

// listed is one page of a keyset list as read by a batch.
type listed[T any] struct {
	rows         []T
	older, newer *domain.Cursor
}

// queueList queues keyset query q; its page, newest first with the
// neighbours' cursors, goes to done.
func queueList[R, T any](r *Reads, q keysetQuery, key func(R) domain.Cursor, conv func(R) T, done func(listed[T])) {
	r.b.Queue(q.sql, q.args).Query(func(rows pgx.Rows) error {
		rs, err := collectByName[R](rows, q.limit+1)
		if err != nil {
			return err
		}
		done(pageOf(q, rs, key, conv))
		return nil
	})
}

// pageOf turns the rows q read into its page of T.
func pageOf[R, T any](q keysetQuery, rs []R, key func(R) domain.Cursor, conv func(R) T) listed[T] {
	var l listed[T]
	rs, l.older, l.newer = keysetPage(q, rs, key)
	l.rows = make([]T, len(rs))
	for i, row := range rs {
		l.rows[i] = conv(row)
	}
	return l
}

// Subscription queues the subscription id; ok says whether it exists.
func (r *Reads) Subscription(id int64, dst *domain.Subscription, ok *bool) {
	r.subscription(subscriptionByIDSQL, id, dst, ok)
}

// SubscriptionOfCall queues the subscription call callID is about; ok
// says whether there is one.
func (r *Reads) SubscriptionOfCall(callID int64, dst *domain.Subscription, ok *bool) {
	r.subscription(subscriptionSelect+` WHERE s.id = (SELECT subscription_id FROM calls WHERE id = $1)`, callID, dst, ok)
}

func (r *Reads) subscription(sql string, id int64, dst *domain.Subscription, ok *bool) {
	queueOne(r, sql, []any{id}, subscriptionRow.domain, dst, ok)
}

// ReplacementServerIDs queues the serverIds of the subscriptions that
// subscription id replaced and was replaced by; nil where there is none.
func (r *Reads) ReplacementServerIDs(id int64, replaces, replacedBy **string) {
	r.b.Queue(`SELECT (SELECT server_id FROM subscriptions o WHERE o.id = s.replaces_id),
		(SELECT server_id FROM subscriptions n WHERE n.id = s.replaced_by_id)
		FROM subscriptions s WHERE s.id = $1`, id).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			if err := rows.Scan(replaces, replacedBy); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// Heartbeats queues the heartbeat buckets of a subscription from since on.
func (r *Reads) Heartbeats(subscriptionID int64, since time.Time, dst *[]domain.HeartbeatBucket) {
	r.b.Queue(heartbeatsSQL, subscriptionID, since).Query(func(rows pgx.Rows) (err error) {
		*dst, err = scanHeartbeats(rows)
		return err
	})
}

// LatestCall queues the newest call of operation op about a subscription
// (see Store.LatestCall); ok says whether there is one.
func (r *Reads) LatestCall(subscriptionID int64, op domain.Operation, dst *domain.Call, ok *bool) {
	r.call(latestCallSQL, []any{subscriptionID, string(op)}, dst, ok)
}

// Call queues the call id; ok says whether it exists.
func (r *Reads) Call(id int64, dst *domain.Call, ok *bool) {
	r.call(callByIDSQL, []any{id}, dst, ok)
}

func (r *Reads) call(sql string, args []any, dst *domain.Call, ok *bool) {
	queueOne(r, sql, args, callRow.domain, dst, ok)
}

// Audit queues a page of the audit trail.
func (r *Reads) Audit(f domain.AuditFilter, p domain.PageRequest, dst *domain.AuditPage) {
	queueList(r, buildAuditQuery(f, p), auditRow.cursor, auditRow.domain, func(l listed[domain.AuditEntry]) {
		*dst = domain.AuditPage{Entries: l.rows, Older: l.older, Newer: l.newer}
	})
}

// SubscriptionCounts queues the counts by state of one gateway's
// subscriptions, or (gatewayID 0) of all (see Store.CountSubscriptions).
func (r *Reads) SubscriptionCounts(gatewayID int64, dst *domain.SubscriptionCounts) {
	r.b.Queue(subscriptionCountsSQL, gatewayID).Query(func(rows pgx.Rows) (err error) {
		*dst, err = scanSubscriptionCounts(rows)
		return err
	})
}

// Subscriptions queues a page of the subscriptions list without a text
// term; a search takes several steps (Store.ListSubscriptions).
func (r *Reads) Subscriptions(f domain.SubscriptionFilter, p domain.PageRequest, dst *domain.SubscriptionPage) {
	f.Text = ""
	queueList(r, buildSubscriptionQuery(f, p, domain.MatchStart), subscriptionRow.cursor, subscriptionRow.domain,
		func(l listed[domain.Subscription]) {
			*dst = domain.SubscriptionPage{Subscriptions: l.rows, Older: l.older, Newer: l.newer}
		})
}
