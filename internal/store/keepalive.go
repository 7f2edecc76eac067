package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// Every due and lease time below is computed with the database's clock
// (now()), never the caller's: several hosts share the table, and their
// clocks need not agree.

// ClaimDue leases up to limit kept-alive subscriptions whose handshake is
// due and that no live lease holds, to owner for lease. SKIP LOCKED lets
// several engines claim at once without waiting on, or taking, each other's
// rows; an expired lease is free again, which is how a dead engine's work
// moves to the others. A disabled or removed gateway's subscriptions are
// never claimed (none should be live: see GatewayDependents), so the
// engine does not log in to it.
func (s *Store) ClaimDue(ctx context.Context, owner string, lease time.Duration, limit int) ([]domain.Subscription, error) {
	rows, _ := s.db.Query(ctx, `WITH due AS (
			SELECT id FROM subscriptions
			WHERE state IN ('active', 'degraded') AND next_due_at <= now()
				AND (lease_until IS NULL OR lease_until < now())
				AND gateway_id IN (SELECT id FROM gateways WHERE NOT disabled AND removed_at IS NULL)
			ORDER BY next_due_at
			LIMIT @limit
			FOR UPDATE SKIP LOCKED),
		s AS (
			UPDATE subscriptions u SET lease_owner = @owner, lease_until = now() + @lease
			FROM due WHERE u.id = due.id
			RETURNING u.*)
		SELECT `+subscriptionColumns+` FROM s JOIN gateways g ON g.id = s.gateway_id
		ORDER BY s.next_due_at`, pgx.NamedArgs{"owner": owner, "lease": lease, "limit": limit})
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[subscriptionRow])
	if err != nil {
		return nil, fmt.Errorf("store.ClaimDue owner %q limit %d: %w", owner, limit, err)
	}
	subs := make([]domain.Subscription, len(rs))
	for i, r := range rs {
		subs[i] = r.domain()
	}
	return subs, nil
}

// ReleaseLeases frees every lease owner holds, so another engine can take
// the work at once instead of waiting for the leases to run out. The rows
// stay due: nothing is skipped.
func (s *Store) ReleaseLeases(ctx context.Context, owner string) (int64, error) {
	tag, err := s.db.Exec(ctx, `UPDATE subscriptions SET lease_owner = '', lease_until = NULL
		WHERE lease_owner = $1 AND state IN ('active', 'degraded')`, owner)
	if err != nil {
		return 0, fmt.Errorf("store.ReleaseLeases owner %q: %w", owner, err)
	}
	return tag.RowsAffected(), nil
}

// ErrLeaseLost means the subscription is no longer leased to the engine
// that handshook it (its lease ran out and another engine took it, or it
// was cancelled meanwhile), so the result was not recorded.
var ErrLeaseLost = errors.New("the keep-alive lease was lost")

// StateChange is a subscription's move from one state to another; From
// equals To when nothing changed.
type StateChange struct {
	From, To domain.SubState
	Reason   string
}

// Changed reports whether the state moved.
func (c StateChange) Changed() bool { return c.From != c.To }

// heartbeatBucket is the 5-minute slot of the heartbeat strip that now()
// falls in; it matches the platform's 5-minute limit.
const heartbeatBucket = `date_bin('5 minutes', now(), timestamptz '2000-01-01 00:00:00+00')`

// RecordHandshakeSuccess records a successful handshake by owner: counters,
// the last success, the next due time (now + interval), the heartbeat
// strip, and a degraded subscription's return to active with its history
// row, all in one statement. A success is not a history row: 720 a day per
// subscription would drown the history.
func (s *Store) RecordHandshakeSuccess(ctx context.Context, id int64, owner string, interval time.Duration, actor string) (StateChange, error) {
	reason := domain.ReasonHandshakeOK.Say()
	var from string
	err := s.db.QueryRow(ctx, `WITH old AS (
			SELECT id, state FROM subscriptions
			WHERE id = @id AND lease_owner = @owner AND state IN ('active', 'degraded')
			FOR UPDATE),
		upd AS (
			UPDATE subscriptions s SET state = 'active',
				state_reason = CASE WHEN old.state = 'active' THEN s.state_reason ELSE @reason END,
				updated_at = CASE WHEN old.state = 'active' THEN s.updated_at ELSE now() END,
				handshakes_ok = s.handshakes_ok + 1, consecutive_failures = 0,
				last_handshake_at = now(), last_success_at = now(), next_due_at = now() + @interval,
				lease_owner = '', lease_until = NULL
			FROM old WHERE s.id = old.id
			RETURNING s.id, s.gateway_id, s.server_id, s.callback_uri, old.state AS from_state),
		hb AS (
			INSERT INTO heartbeats (subscription_id, bucket, ok)
			SELECT id, `+heartbeatBucket+`, 1 FROM upd
			ON CONFLICT (subscription_id, bucket) DO UPDATE SET ok = heartbeats.ok + 1),
		sc AS (`+stateChangeInsert+` 'active' || ': ' || @reason
			FROM upd JOIN gateways g ON g.id = upd.gateway_id WHERE upd.from_state <> 'active')
		SELECT from_state FROM upd`,
		pgx.NamedArgs{"id": id, "owner": owner, "interval": interval, "reason": reason, "actor": actor}).Scan(&from)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrLeaseLost
	}
	if err != nil {
		return StateChange{}, fmt.Errorf("store.RecordHandshakeSuccess %d: %w", id, err)
	}
	return StateChange{From: domain.SubState(from), To: domain.SubActive, Reason: reason}, nil
}

// stateChangeInsert starts the INSERT of a completed state-change history
// row from a CTE "upd" (id, gateway_id, server_id, callback_uri,
// from_state); the caller appends the rest of the message, FROM and WHERE.
const stateChangeInsert = `INSERT INTO calls (gateway_id, gateway_name, actor, operation, outcome,
			finished_at, server_id, callback_uri, subscription_id, message)
		SELECT upd.gateway_id, g.name, @actor, 'state_change', 'success', clock_timestamp(),
			upd.server_id, upd.callback_uri, upd.id, upd.from_state || ' → ' ||`

// HandshakeFailure is a handshake that did not succeed, as the keep-alive
// engine records it.
type HandshakeFailure struct {
	SubscriptionID int64
	Owner          string
	Actor          string
	Result         domain.CallResult // the gateway's answer (or why there was none)
	// FailReason says why the subscription is degraded.
	FailReason string
	// RetryIn is when to try again; Limit is how long the platform keeps a
	// subscription without a successful handshake (it lapses after that).
	RetryIn, Limit time.Duration
	TokenPresent   bool
	RequestBody    string
}

// RecordHandshakeFailure records a failed handshake by owner in one
// statement: counters, the heartbeat strip, one completed history row with
// the gateway's answer and, when the state changes, the state-change row.
// The new state is lapsed when no handshake succeeded within Limit, the
// platform's own rule (lapsed subscriptions are no longer handshaken), and
// degraded otherwise: no single answer, 107-032 included, says for sure
// that the platform dropped the subscription (docs/gateway-contract.md §5).
//
// The failed call is written after the fact, in one completed row, although
// every other gateway call is recorded as pending before it is sent: the
// issue rules that successful handshakes are not history rows at all, so a
// pending row would have to be deleted on every success. A crash mid-
// handshake therefore leaves no row, which is the same as a success would.
func (s *Store) RecordHandshakeFailure(ctx context.Context, f HandshakeFailure) (StateChange, error) {
	var c StateChange
	err := s.db.QueryRow(ctx, recordFailureSQL, failureArgs(f)).Scan(&c.From, &c.To, &c.Reason)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrLeaseLost
	}
	if err != nil {
		return StateChange{}, fmt.Errorf("store.RecordHandshakeFailure %d: %w", f.SubscriptionID, err)
	}
	return c, nil
}

const recordFailureSQL = `WITH old AS (
		SELECT id, state, coalesce(last_success_at, created_at) AS alive_since FROM subscriptions
		WHERE id = @id AND lease_owner = @owner AND state IN ('active', 'degraded')
		FOR UPDATE),
	next AS (
		SELECT id, CASE WHEN alive_since + @limit <= now() THEN 'lapsed' ELSE 'degraded' END AS state,
			CASE WHEN alive_since + @limit <= now() THEN @lapse_reason ELSE @fail_reason END AS reason
		FROM old),
	upd AS (
		UPDATE subscriptions s SET state = next.state, state_reason = next.reason,
			updated_at = CASE WHEN old.state = next.state THEN s.updated_at ELSE now() END,
			handshakes_failed = s.handshakes_failed + 1, consecutive_failures = s.consecutive_failures + 1,
			last_handshake_at = now(),
			next_due_at = CASE WHEN next.state = 'lapsed' THEN NULL ELSE now() + @retry END,
			lapsed_at = CASE WHEN next.state = 'lapsed' THEN now() ELSE s.lapsed_at END,
			lease_owner = '', lease_until = NULL
		FROM old JOIN next ON next.id = old.id WHERE s.id = old.id
		RETURNING s.id, s.gateway_id, s.server_id, s.callback_uri, s.subscribe_type,
			old.state AS from_state, next.state AS to_state, next.reason),
	hb AS (
		INSERT INTO heartbeats (subscription_id, bucket, failed)
		SELECT id, ` + heartbeatBucket + `, 1 FROM upd
		ON CONFLICT (subscription_id, bucket) DO UPDATE SET failed = heartbeats.failed + 1),
	hs AS (
		INSERT INTO calls (started_at, finished_at, duration_us, gateway_id, gateway_name, actor,
			operation, outcome, http_status, retcode, message, server_id, callback_uri, subscribe_type,
			token_present, request_body, response_body, error, attempts, subscription_id, refused_by_ccsub)
		SELECT clock_timestamp() - @duration::interval, clock_timestamp(), @duration_us,
			upd.gateway_id, g.name, @actor, 'handshake', @outcome, @http_status, @retcode, @message,
			upd.server_id, upd.callback_uri, upd.subscribe_type, @token_present, @request_body,
			@response_body, @error, @attempts, upd.id, @refused_by_ccsub
		FROM upd JOIN gateways g ON g.id = upd.gateway_id),
	sc AS (` + stateChangeInsert + ` upd.to_state || ': ' || upd.reason
		FROM upd JOIN gateways g ON g.id = upd.gateway_id WHERE upd.from_state <> upd.to_state)
	SELECT from_state, to_state, reason FROM upd`

func failureArgs(f HandshakeFailure) pgx.NamedArgs {
	r := f.Result
	return pgx.NamedArgs{
		"id": f.SubscriptionID, "owner": f.Owner, "actor": f.Actor,
		"fail_reason": f.FailReason,
		"limit":       f.Limit, "lapse_reason": domain.ReasonLapsed.Say(f.Limit.String(), f.FailReason), "retry": f.RetryIn,
		"duration": r.Duration, "duration_us": r.Duration.Microseconds(), "outcome": string(r.Outcome), "http_status": r.HTTPStatus,
		"retcode": r.Retcode, "message": r.Message, "token_present": f.TokenPresent,
		"request_body": f.RequestBody, "response_body": r.ResponseBody, "error": r.Error, "attempts": r.Attempts,
		"refused_by_ccsub": r.RefusedByCcsub,
	}
}

// Heartbeats returns the subscription's 5-minute buckets that start at or
// after since, oldest first. Buckets without any handshake are absent: the
// page shows them as gaps.
func (s *Store) Heartbeats(ctx context.Context, subscriptionID int64, since time.Time) ([]domain.HeartbeatBucket, error) {
	rows, _ := s.db.Query(ctx, heartbeatsSQL, subscriptionID, since)
	buckets, err := scanHeartbeats(rows)
	if err != nil {
		return nil, fmt.Errorf("store.Heartbeats %d: %w", subscriptionID, err)
	}
	return buckets, nil
}

const heartbeatsSQL = `SELECT bucket, ok, failed FROM heartbeats
	WHERE subscription_id = $1 AND bucket >= $2 ORDER BY bucket`

func scanHeartbeats(rows pgx.Rows) ([]domain.HeartbeatBucket, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.HeartbeatBucket, error) {
		var b domain.HeartbeatBucket
		err := row.Scan(&b.Start, &b.OK, &b.Failed)
		return b, err
	})
}

// PruneHeartbeats deletes buckets older than age (by the database's
// clock); the strip shows 24 hours, so anything past ~25 h is dead weight.
func (s *Store) PruneHeartbeats(ctx context.Context, age time.Duration) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM heartbeats WHERE bucket < now() - $1::interval`, age)
	if err != nil {
		return 0, fmt.Errorf("store.PruneHeartbeats %s: %w", age, err)
	}
	return tag.RowsAffected(), nil
}

// SetAutoReregister turns the "re-register automatically when lapsed"
// policy of a subscription on or off.
func (s *Store) SetAutoReregister(ctx context.Context, id int64, on bool) error {
	tag, err := s.db.Exec(ctx, `UPDATE subscriptions SET auto_reregister = $2, updated_at = now()
		WHERE id = $1`, id, on)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.SetAutoReregister %d %t: %w", id, on, err)
	}
	return nil
}

// ClaimReregister reserves a lapsed, not yet replaced subscription for one
// re-register by owner, for at most hold: of several engines (or people)
// only one gets it, so a lapse is re-registered at most once. The claim
// lives in lease_owner, which the keep-alive never uses for lapsed rows;
// hold bounds how long a process that died mid-register blocks a retry.
// The receiver key moves with the callback URI to the new subscription, so
// the claim takes it off the old one (ReleaseReregister gives it back).
// It yields domain.ErrConflict when the subscription is not lapsed, is
// already replaced, or is claimed by someone else.
func (s *Store) ClaimReregister(ctx context.Context, id int64, owner string, hold time.Duration) error {
	tag, err := s.db.Exec(ctx, `UPDATE subscriptions SET lease_owner = $2, lease_until = now() + $3,
			receiver_key = NULL
		WHERE id = $1 AND state = 'lapsed' AND replaced_by_id IS NULL
			AND (lease_owner = '' OR lease_until < now())`, id, owner, hold)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store.ClaimReregister %d: %w", id, err)
	}
	return nil
}

// ReleaseReregister ends owner's re-register claim on a subscription that
// was not replaced, giving it back its receiver key ("" for none).
func (s *Store) ReleaseReregister(ctx context.Context, id int64, owner, receiverKey string) error {
	_, err := s.db.Exec(ctx, `UPDATE subscriptions SET lease_owner = '', lease_until = NULL,
			receiver_key = NULLIF($3, '')
		WHERE id = $1 AND lease_owner = $2 AND replaced_by_id IS NULL`, id, owner, receiverKey)
	if err != nil {
		return fmt.Errorf("store.ReleaseReregister %d: %w", id, translate(err))
	}
	return nil
}

// LinkReregistered records, in one transaction, that newID replaced the
// lapsed oldID: the link (at most once: domain.ErrConflict when oldID was
// already replaced), the end of owner's claim, and a history row on the
// old subscription naming its successor, so both appear in the history.
func (s *Store) LinkReregistered(ctx context.Context, oldID, newID int64, owner, actor string) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var newServerID string
		err := tx.QueryRow(ctx, `UPDATE subscriptions o SET replaced_by_id = n.id, updated_at = now(),
				lease_owner = CASE WHEN o.lease_owner = $3 THEN '' ELSE o.lease_owner END,
				lease_until = CASE WHEN o.lease_owner = $3 THEN NULL ELSE o.lease_until END
			FROM subscriptions n
			WHERE o.id = $1 AND n.id = $2 AND o.replaced_by_id IS NULL
			RETURNING n.server_id`, oldID, newID, owner).Scan(&newServerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.ErrConflict
		}
		if err != nil {
			return err
		}
		return insertNote(ctx, tx, oldID, actor, fmt.Sprintf("lapsed: re-registered as serverId %s", newServerID))
	})
	if err != nil && !errors.Is(err, domain.ErrConflict) {
		err = translate(err)
	}
	if err != nil {
		return fmt.Errorf("store.LinkReregistered %d → %d: %w", oldID, newID, err)
	}
	return nil
}

// insertNote writes a completed state-change history row with a free
// message on a subscription.
func insertNote(ctx context.Context, tx pgx.Tx, id int64, actor, message string) error {
	_, err := tx.Exec(ctx, `INSERT INTO calls (gateway_id, gateway_name, actor, operation, outcome,
			finished_at, server_id, callback_uri, message, subscription_id)
		SELECT s.gateway_id, g.name, $2, 'state_change', 'success', clock_timestamp(), s.server_id,
			s.callback_uri, $3, s.id
		FROM subscriptions s JOIN gateways g ON g.id = s.gateway_id WHERE s.id = $1`, id, actor, message)
	return err
}
