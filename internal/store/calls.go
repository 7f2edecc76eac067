package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

const callColumns = `id, started_at, finished_at, duration_us, gateway_id, gateway_name, actor, operation,
	outcome, http_status, retcode, message, server_id, callback_uri, subscribe_type, nlp_flag,
	flow_access_code, token_present, token_sealed, request_body, response_body, error, attempts,
	subscription_id, refused_by_ccsub`

// callListColumns are callColumns for lists (the history, its exports, the
// API's list): the same row shape without the sealed token and the bodies,
// which only a call's own page shows. Reading them for 50 rows, or
// 2,000 at a time in an export, cost more than the rest of the row.
const callListColumns = `id, started_at, finished_at, duration_us, gateway_id, gateway_name, actor, operation,
	outcome, http_status, retcode, message, server_id, callback_uri, subscribe_type, nlp_flag,
	flow_access_code, token_present, NULL::bytea AS token_sealed, ''::text AS request_body,
	''::text AS response_body, error, attempts, subscription_id, refused_by_ccsub`

type callRow struct {
	ID             int64      `db:"id"`
	StartedAt      time.Time  `db:"started_at"`
	FinishedAt     *time.Time `db:"finished_at"`
	DurationUS     int64      `db:"duration_us"`
	GatewayID      int64      `db:"gateway_id"`
	GatewayName    string     `db:"gateway_name"`
	Actor          string     `db:"actor"`
	Operation      string     `db:"operation"`
	Outcome        string     `db:"outcome"`
	HTTPStatus     int        `db:"http_status"`
	Retcode        string     `db:"retcode"`
	Message        string     `db:"message"`
	ServerID       string     `db:"server_id"`
	CallbackURI    string     `db:"callback_uri"`
	SubscribeType  string     `db:"subscribe_type"`
	NLPFlag        bool       `db:"nlp_flag"`
	FlowAccessCode string     `db:"flow_access_code"`
	TokenPresent   bool       `db:"token_present"`
	TokenSealed    []byte     `db:"token_sealed"`
	RequestBody    string     `db:"request_body"`
	ResponseBody   string     `db:"response_body"`
	Error          string     `db:"error"`
	Attempts       int        `db:"attempts"`
	SubscriptionID *int64     `db:"subscription_id"`
	RefusedByCcsub bool       `db:"refused_by_ccsub"`
}

func (r callRow) domain() domain.Call {
	return domain.Call{
		ID:             r.ID,
		StartedAt:      r.StartedAt,
		FinishedAt:     r.FinishedAt,
		Duration:       time.Duration(r.DurationUS) * time.Microsecond,
		GatewayID:      r.GatewayID,
		GatewayName:    r.GatewayName,
		Actor:          r.Actor,
		Operation:      domain.Operation(r.Operation),
		Outcome:        domain.Outcome(r.Outcome),
		HTTPStatus:     r.HTTPStatus,
		Retcode:        r.Retcode,
		Message:        r.Message,
		ServerID:       r.ServerID,
		CallbackURI:    r.CallbackURI,
		SubscribeType:  r.SubscribeType,
		NLPFlag:        r.NLPFlag,
		FlowAccessCode: r.FlowAccessCode,
		TokenPresent:   r.TokenPresent,
		TokenSealed:    r.TokenSealed,
		RequestBody:    r.RequestBody,
		ResponseBody:   r.ResponseBody,
		Error:          r.Error,
		Attempts:       r.Attempts,
		SubscriptionID: r.SubscriptionID,
		RefusedByCcsub: r.RefusedByCcsub,
	}
}

// BeginCall records a call as pending before its request leaves, so a crash
// mid-call still leaves a trace. With an idempotency key, the call and the
// key's claim (with c.Fingerprint) commit together: of two identical
// submits exactly one call survives, and the other gets that call with
// domain.ErrDuplicateSubmission. A key already claimed with another
// fingerprint is domain.ErrIdempotencyConflict, with no call; a claim
// without a fingerprint (made before fingerprints were stored) matches any.
// Either way no new call is recorded.
func (s *Store) BeginCall(ctx context.Context, c domain.NewCall) (domain.Call, error) {
	var call domain.Call
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if c.Operation == domain.OpRegister {
			if err := gatewayUsable(ctx, tx, c.GatewayID); err != nil {
				return err
			}
		}
		var err error
		if call, err = insertCall(ctx, tx, c); err != nil || c.IdempotencyKey == "" {
			return err
		}
		claimed, err := claimSubmission(ctx, tx, c.IdempotencyKey, c.Fingerprint, call.ID)
		if err != nil || claimed {
			return err
		}
		var fp []byte
		if call, fp, err = submittedCall(ctx, tx, c.IdempotencyKey); err != nil {
			return err
		}
		if fp != nil && c.Fingerprint != nil && !bytes.Equal(fp, c.Fingerprint) {
			call = domain.Call{}
			return domain.ErrIdempotencyConflict // rolls back the call inserted above
		}
		return domain.ErrDuplicateSubmission // rolls back the call inserted above
	})
	if errors.Is(err, domain.ErrDuplicateSubmission) || errors.Is(err, domain.ErrIdempotencyConflict) ||
		errors.Is(err, domain.ErrGatewayNotUsable) {
		return call, fmt.Errorf("store.BeginCall %s gateway %d: %w", c.Operation, c.GatewayID, err)
	}
	if err != nil {
		return domain.Call{}, fmt.Errorf("store.BeginCall %s gateway %d: %w", c.Operation, c.GatewayID, translate(err))
	}
	return call, nil
}

// gatewayUsable refuses a register to a disabled or removed gateway with
// domain.ErrGatewayNotUsable. FOR SHARE waits for a disable or removal in
// progress and then reads its outcome; held until the call is recorded,
// it makes that disable or removal wait and then see the pending call.
func gatewayUsable(ctx context.Context, tx pgx.Tx, id int64) error {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT NOT disabled AND removed_at IS NULL FROM gateways WHERE id = $1 FOR SHARE`, id).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.ErrNotFound
	}
	if err == nil && !ok {
		err = domain.ErrGatewayNotUsable
	}
	return err
}

func insertCall(ctx context.Context, tx pgx.Tx, c domain.NewCall) (domain.Call, error) {
	rows, _ := tx.Query(ctx, `INSERT INTO calls (gateway_id, gateway_name, actor, operation, server_id,
			callback_uri, subscribe_type, nlp_flag, flow_access_code, token_present, token_sealed,
			request_body, subscription_id)
		VALUES (@gateway_id, @gateway_name, @actor, @operation, @server_id,
			@callback_uri, @subscribe_type, @nlp_flag, @flow_access_code, @token_present, @token_sealed,
			@request_body, @subscription_id)
		RETURNING `+callColumns, pgx.NamedArgs{
		"gateway_id":       c.GatewayID,
		"gateway_name":     c.GatewayName,
		"actor":            c.Actor,
		"operation":        string(c.Operation),
		"server_id":        c.ServerID,
		"callback_uri":     c.CallbackURI,
		"subscribe_type":   c.SubscribeType,
		"nlp_flag":         c.NLPFlag,
		"flow_access_code": c.FlowAccessCode,
		"token_present":    c.TokenPresent,
		"token_sealed":     c.TokenSealed,
		"request_body":     c.RequestBody,
		"subscription_id":  c.SubscriptionID,
	})
	r, err := collectOne[callRow](rows)
	return r.domain(), err
}

// claimSubmission reports whether key was free and is now bound to callID
// and the request's fingerprint. A concurrent claim of the same key waits
// on the unique index until the other transaction ends, so exactly one
// claim wins.
func claimSubmission(ctx context.Context, tx pgx.Tx, key string, fingerprint []byte, callID int64) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO submissions (key, call_id, fingerprint) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, callID, fingerprint)
	return tag.RowsAffected() == 1, err
}

// submittedCall is the call a claimed key started, with the fingerprint
// it was claimed with (nil for claims older than fingerprints).
func submittedCall(ctx context.Context, tx pgx.Tx, key string) (domain.Call, []byte, error) {
	var fp []byte
	if err := tx.QueryRow(ctx, `SELECT fingerprint FROM submissions WHERE key = $1`, key).Scan(&fp); err != nil {
		return domain.Call{}, nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+callColumns+` FROM calls
		WHERE id = (SELECT call_id FROM submissions WHERE key = $1)`, key)
	r, err := collectOne[callRow](rows)
	return r.domain(), fp, err
}

// CompleteCall records a pending call's result. Only a pending call can be
// completed, so a late or repeated completion cannot overwrite a result:
// it yields domain.ErrConflict. A call ExpirePending gave up on (unknown,
// never finished) still takes its answer when it comes late: the truth
// replaces "unknown". Empty r.ServerID and r.RequestBody keep the
// stored values (they are often known only at the start, or only at the end).
func (s *Store) CompleteCall(ctx context.Context, id int64, r domain.CallResult) (domain.Call, error) {
	call, err := s.completeCall(ctx, id, r)
	if err != nil {
		return domain.Call{}, fmt.Errorf("store.CompleteCall %d %s: %w", id, r.Outcome, err)
	}
	return call, nil
}

func (s *Store) completeCall(ctx context.Context, id int64, r domain.CallResult) (domain.Call, error) {
	if r.Outcome == domain.OutcomePending || !r.Outcome.Valid() {
		return domain.Call{}, errors.New("outcome is not a final one")
	}
	rows, _ := s.db.Query(ctx, `UPDATE calls SET finished_at = clock_timestamp(),
			duration_us = @duration_us, outcome = @outcome, http_status = @http_status,
			retcode = @retcode, message = @message, server_id = COALESCE(@server_id, server_id),
			request_body = COALESCE(@request_body, request_body), response_body = @response_body,
			error = @error, attempts = @attempts, refused_by_ccsub = @refused_by_ccsub
		WHERE id = @id AND (outcome = 'pending' OR (outcome = 'unknown' AND finished_at IS NULL))
		RETURNING `+callColumns, pgx.NamedArgs{
		"id":               id,
		"duration_us":      r.Duration.Microseconds(),
		"outcome":          string(r.Outcome),
		"http_status":      r.HTTPStatus,
		"retcode":          r.Retcode,
		"message":          r.Message,
		"server_id":        nullIfEmpty(r.ServerID),
		"request_body":     nullIfEmpty(r.RequestBody),
		"response_body":    r.ResponseBody,
		"error":            r.Error,
		"attempts":         r.Attempts,
		"refused_by_ccsub": r.RefusedByCcsub,
	})
	row, err := collectOne[callRow](rows)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Call{}, s.whyNotPending(ctx, id)
	}
	if err != nil {
		return domain.Call{}, translate(err)
	}
	return row.domain(), nil
}

// whyNotPending tells a missing call (ErrNotFound) from a finished one
// (ErrConflict) after an update that matched no pending row.
func (s *Store) whyNotPending(ctx context.Context, id int64) error {
	var exists bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calls WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return domain.ErrNotFound
	}
	return domain.ErrConflict
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// LinkCallSubscription points a call at the subscription it concerns (a
// register learns its subscription only after the gateway answered).
// A missing call or subscription yields domain.ErrNotFound.
func (s *Store) LinkCallSubscription(ctx context.Context, callID, subscriptionID int64) error {
	// calls has no foreign keys (it is to be partitioned), so the
	// subscription's existence is checked here.
	tag, err := s.db.Exec(ctx, `UPDATE calls SET subscription_id = $2
		WHERE id = $1 AND EXISTS (SELECT 1 FROM subscriptions WHERE id = $2)`, callID, subscriptionID)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.LinkCallSubscription call %d subscription %d: %w", callID, subscriptionID, err)
	}
	return nil
}

// Call finds a call by id.
func (s *Store) Call(ctx context.Context, id int64) (domain.Call, error) {
	rows, _ := s.db.Query(ctx, callByIDSQL, id)
	r, err := collectOne[callRow](rows)
	if err != nil {
		return domain.Call{}, fmt.Errorf("store.Call %d: %w", id, translate(err))
	}
	return r.domain(), nil
}

// LatestCall is the newest call of operation op about a subscription, or
// domain.ErrNotFound when it has none. Only calls that name a serverId are
// looked at (every call about a registered subscription does), so the
// search walks the serverId index instead of the whole operation.
func (s *Store) LatestCall(ctx context.Context, subscriptionID int64, op domain.Operation) (domain.Call, error) {
	rows, _ := s.db.Query(ctx, latestCallSQL, subscriptionID, string(op))
	r, err := collectOne[callRow](rows)
	if err != nil {
		return domain.Call{}, fmt.Errorf("store.LatestCall %s of subscription %d: %w", op, subscriptionID, translate(err))
	}
	return r.domain(), nil
}

const callByIDSQL = `SELECT ` + callColumns + ` FROM calls WHERE id = $1`

const latestCallSQL = `SELECT ` + callColumns + ` FROM calls
	WHERE server_id = (SELECT server_id FROM subscriptions WHERE id = $1) AND server_id <> ''
		AND subscription_id = $1 AND operation = $2
	ORDER BY started_at DESC, id DESC LIMIT 1`

// ExpirePending marks calls still pending that started before the cut-off
// as unknown with error = reason, where %s stands for the time the call
// was sent: no process will record their answer any
// more (it stopped, or lost its database as the answer came), so whether
// the gateway acted is unknown. finished_at stays empty because nobody saw
// them finish. A register among them also becomes a subscription in state
// unknown, so an operator sees it and can settle it, and nobody registers
// blindly again. Every process may run it at any time: a call is expired
// once. It reports how many calls changed.
func (s *Store) ExpirePending(ctx context.Context, startedBefore time.Time, reason string) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Store) error {
		var subs, calls []int64
		err := tx.db.QueryRow(ctx, expirePendingSQL, pgx.NamedArgs{"before": startedBefore, "reason": reason,
			"sub_reason": "the register was sent but no answer was recorded; the gateway may have created it"}).Scan(&n, &subs, &calls)
		if err != nil || len(subs) == 0 {
			return err
		}
		// A second statement: one statement may not update a call twice.
		_, err = tx.db.Exec(ctx, `UPDATE calls c SET subscription_id = u.sub FROM unnest($1::bigint[], $2::bigint[]) AS u(sub, call)
			WHERE c.id = u.call`, subs, calls)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store.ExpirePending before %s: %w", startedBefore.Format(time.RFC3339), err)
	}
	return n, nil
}

// expirePendingSQL expires the calls and creates the unknown
// subscriptions of their registers; it returns the count and the pairs to
// link. The receiver key of a callback that is ccsub's own receiver is
// taken from the callback's path, unless another subscription holds it.
const expirePendingSQL = `WITH expired AS (
		UPDATE calls SET outcome = 'unknown',
			error = format(@reason, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
		WHERE outcome = 'pending' AND started_at < @before
		RETURNING id, operation, subscription_id, gateway_id, subscribe_type, callback_uri, nlp_flag,
			flow_access_code, token_sealed, actor),
	subs AS (
		INSERT INTO subscriptions (gateway_id, server_id, state, subscribe_type, callback_uri, nlp_flag,
			flow_access_code, token_sealed, created_by, register_call_id, state_reason, receiver_key)
		SELECT e.gateway_id, '', 'unknown', e.subscribe_type, e.callback_uri, e.nlp_flag, e.flow_access_code,
			e.token_sealed, e.actor, e.id, @sub_reason, k.key
		FROM expired e
		LEFT JOIN LATERAL (SELECT substring(e.callback_uri FROM '/receiver/([A-Za-z0-9_-]{16,64})$') AS key) k ON true
		WHERE e.operation = 'register' AND e.subscription_id IS NULL
			AND (k.key IS NULL OR NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.receiver_key = k.key))
		RETURNING id, register_call_id)
	SELECT (SELECT count(*) FROM expired), coalesce((SELECT array_agg(id ORDER BY id) FROM subs), '{}'),
		coalesce((SELECT array_agg(register_call_id ORDER BY id) FROM subs), '{}')`
