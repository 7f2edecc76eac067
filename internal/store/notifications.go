package store

import (
	"context"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

const notificationColumns = `id, received_at, subscription_id, receiver_key, accepted, reason, http_status,
	server_id, call_id, speaker, talker_id, text, text_encrypted, cause_code, confidence, body,
	body_truncated, remote_addr, digest`

type notificationRow struct {
	ID             int64     `db:"id"`
	ReceivedAt     time.Time `db:"received_at"`
	SubscriptionID *int64    `db:"subscription_id"`
	ReceiverKey    string    `db:"receiver_key"`
	Accepted       bool      `db:"accepted"`
	Reason         string    `db:"reason"`
	HTTPStatus     int       `db:"http_status"`
	ServerID       string    `db:"server_id"`
	CallID         string    `db:"call_id"`
	Speaker        string    `db:"speaker"`
	TalkerID       string    `db:"talker_id"`
	Text           string    `db:"text"`
	TextEncrypted  bool      `db:"text_encrypted"`
	CauseCode      string    `db:"cause_code"`
	Confidence     string    `db:"confidence"`
	Body           string    `db:"body"`
	BodyTruncated  bool      `db:"body_truncated"`
	RemoteAddr     string    `db:"remote_addr"`
	Digest         []byte    `db:"digest"`
}

func (r notificationRow) domain() domain.Notification {
	return domain.Notification{
		ID: r.ID, ReceivedAt: r.ReceivedAt, SubscriptionID: r.SubscriptionID, ReceiverKey: r.ReceiverKey,
		Accepted: r.Accepted, Reason: r.Reason, HTTPStatus: r.HTTPStatus, ServerID: r.ServerID,
		CallID: r.CallID, Speaker: r.Speaker, TalkerID: r.TalkerID, Text: r.Text,
		TextEncrypted: r.TextEncrypted, CauseCode: r.CauseCode, Confidence: r.Confidence,
		Body: r.Body, BodyTruncated: r.BodyTruncated, RemoteAddr: r.RemoteAddr, Digest: r.Digest,
	}
}

// notificationInsert is shared by both paths of RecordNotification; the
// caller appends the row source (VALUES or a guarded SELECT).
const notificationInsert = `INSERT INTO notifications (subscription_id, receiver_key, accepted, reason,
	http_status, server_id, call_id, speaker, talker_id, text, text_encrypted, cause_code, confidence,
	body, body_truncated, remote_addr, digest) `

const notificationValues = `@subscription_id, @receiver_key, @accepted, @reason, @http_status,
	@server_id, @call_id, @speaker, @talker_id, @text, @text_encrypted, @cause_code, @confidence,
	@body, @body_truncated, @remote_addr, @digest`

// RecordNotification stores a push. A push with a Digest (an accepted one)
// is stored only if its digest is new for its subscription: stored is false
// for a replay. Claiming the digest and inserting the row are one statement,
// so two copies of a push racing in two processes store exactly one row.
// Pushes without a Digest (rejected ones) are always stored.
func (s *Store) RecordNotification(ctx context.Context, n domain.Notification) (stored bool, err error) {
	args := notificationArgs(n)
	sql := notificationInsert + `VALUES (` + notificationValues + `)`
	if n.Digest != nil {
		if n.SubscriptionID == nil {
			return false, fmt.Errorf("store.RecordNotification: a digest needs a subscription")
		}
		sql = `WITH claim AS (
				INSERT INTO notification_digests (subscription_id, digest) VALUES (@subscription_id, @digest)
				ON CONFLICT DO NOTHING RETURNING 1)
			` + notificationInsert + `SELECT ` + notificationValues + ` WHERE EXISTS (SELECT 1 FROM claim)`
	}
	tag, err := s.db.Exec(ctx, sql, args)
	if err != nil {
		return false, fmt.Errorf("store.RecordNotification receiver %q: %w", shortKey(n.ReceiverKey), translate(err))
	}
	return tag.RowsAffected() == 1, nil
}

func notificationArgs(n domain.Notification) pgx.NamedArgs {
	return pgx.NamedArgs{
		"subscription_id": n.SubscriptionID, "receiver_key": n.ReceiverKey, "accepted": n.Accepted,
		"reason": n.Reason, "http_status": n.HTTPStatus, "server_id": n.ServerID, "call_id": n.CallID,
		"speaker": n.Speaker, "talker_id": n.TalkerID, "text": n.Text, "text_encrypted": n.TextEncrypted,
		"cause_code": n.CauseCode, "confidence": n.Confidence, "body": n.Body,
		"body_truncated": n.BodyTruncated, "remote_addr": n.RemoteAddr, "digest": n.Digest,
	}
}

// shortKey keeps error messages from carrying a whole receiver key: the
// key is part of the receiver's address, so it is not spread around.
func shortKey(k string) string {
	if len(k) <= 6 {
		return k
	}
	return k[:6] + "…"
}

// PruneNotificationDigests deletes up to batch replay digests older than
// before and returns how many went. Batches keep each delete short on a
// busy table; call it until it returns less than batch.
func (s *Store) PruneNotificationDigests(ctx context.Context, before time.Time, batch int) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM notification_digests WHERE (subscription_id, digest) IN (
			SELECT subscription_id, digest FROM notification_digests WHERE received_at < $1 LIMIT $2)`,
		before, batch)
	if err != nil {
		return 0, fmt.Errorf("store.PruneNotificationDigests: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PruneRefusedNotifications deletes refused pushes received before before
// and, of the rest, all but the keep newest, in batches of batch rows (each
// its own short statement), and returns how many went. Accepted pushes are
// never touched. Both bounds walk notifications_refused_idx. Retention
// (internal/retention) makes the same deletes batch by batch, with pauses.
func (s *Store) PruneRefusedNotifications(ctx context.Context, before time.Time, keep, batch int) (int64, error) {
	bound, ok, err := s.RefusedBoundary(ctx, keep)
	if err != nil {
		return 0, fmt.Errorf("store.PruneRefusedNotifications: %w", err)
	}
	var b *domain.Cursor
	if ok {
		b = &bound
	}
	var total int64
	for {
		r, err := s.DeleteRefusedBatch(ctx, before, b, batch)
		total += r.Deleted
		if err != nil {
			return total, fmt.Errorf("store.PruneRefusedNotifications: %w", err)
		}
		if !r.More {
			return total, nil
		}
	}
}

// SubscriptionByReceiverKey finds the subscription whose receiver URL
// carries key.
func (s *Store) SubscriptionByReceiverKey(ctx context.Context, key string) (domain.Subscription, error) {
	sub, err := s.oneSubscription(ctx, subscriptionSelect+` WHERE s.receiver_key = $1`, key)
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("store.SubscriptionByReceiverKey %q: %w", shortKey(key), err)
	}
	return sub, nil
}

// Page sizes of the inbox.
const (
	DefaultNotificationLimit = 50
	MaxNotificationLimit     = 200
)

// ListNotifications returns one newest-first page of the inbox. Like
// ListCalls it is shaped for a table of tens of millions of rows: only the
// filter given is in the WHERE clause, the keyset predicate is a bare row
// comparison served by the primary key or notifications_subscription_idx,
// one extra row answers "is there more?", and nothing is counted.
func (s *Store) ListNotifications(ctx context.Context, f domain.NotificationFilter, p domain.PageRequest) (domain.NotificationPage, error) {
	ns, older, newer, err := listPage(ctx, s, "ListNotifications", buildNotificationQuery(f, p),
		func(r notificationRow) domain.Cursor { return domain.Cursor{At: r.ReceivedAt, ID: r.ID} }, notificationRow.domain)
	return domain.NotificationPage{Notifications: ns, Older: older, Newer: newer}, err
}

func buildNotificationQuery(f domain.NotificationFilter, p domain.PageRequest) keysetQuery {
	filters := []filter{{f.SubscriptionID != 0, "subscription_id = @subscription_id", "subscription_id", f.SubscriptionID},
		{!f.From.IsZero(), "received_at >= @from", "from", f.From},
		{!f.To.IsZero(), "received_at < @to", "to", f.To}}
	return buildKeyset(notificationColumns, "notifications", "received_at", filters, p,
		clampLimitTo(p.Limit, DefaultNotificationLimit, MaxNotificationLimit))
}
