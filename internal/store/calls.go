package store

import (
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
	subscription_id`

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
	}
}

// BeginCall records a call as pending before its request leaves, so a crash
// mid-call still leaves a trace. With an idempotency key, the call and the
// key's claim commit together: of two identical submits exactly one call
// survives, and the other gets that call with domain.ErrDuplicateSubmission.
func (s *Store) BeginCall(ctx context.Context, c domain.NewCall) (domain.Call, error) {
	var call domain.Call
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		if call, err = insertCall(ctx, tx, c); err != nil || c.IdempotencyKey == "" {
			return err
		}
		claimed, err := claimSubmission(ctx, tx, c.IdempotencyKey, call.ID)
		if err != nil || claimed {
			return err
		}
		if call, err = submittedCall(ctx, tx, c.IdempotencyKey); err != nil {
			return err
		}
		return domain.ErrDuplicateSubmission // rolls back the call inserted above
	})
	if errors.Is(err, domain.ErrDuplicateSubmission) {
		return call, fmt.Errorf("store.BeginCall %s gateway %d: %w", c.Operation, c.GatewayID, err)
	}
	if err != nil {
		return domain.Call{}, fmt.Errorf("store.BeginCall %s gateway %d: %w", c.Operation, c.GatewayID, translate(err))
	}
	return call, nil
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

// claimSubmission reports whether key was free and is now bound to callID.
// A concurrent claim of the same key waits on the unique index until the
// other transaction ends, so exactly one claim wins.
func claimSubmission(ctx context.Context, tx pgx.Tx, key string, callID int64) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO submissions (key, call_id) VALUES ($1, $2)
		ON CONFLICT (key) DO NOTHING`, key, callID)
	return tag.RowsAffected() == 1, err
}

func submittedCall(ctx context.Context, tx pgx.Tx, key string) (domain.Call, error) {
	rows, _ := tx.Query(ctx, `SELECT `+callColumns+` FROM calls
		WHERE id = (SELECT call_id FROM submissions WHERE key = $1)`, key)
	r, err := collectOne[callRow](rows)
	return r.domain(), err
}

// CompleteCall records a pending call's result. Only a pending call can be
// completed, so a late or repeated completion cannot overwrite a result:
// it yields domain.ErrConflict. Empty r.ServerID and r.RequestBody keep the
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
			error = @error, attempts = @attempts
		WHERE id = @id AND outcome = 'pending'
		RETURNING `+callColumns, pgx.NamedArgs{
		"id":            id,
		"duration_us":   r.Duration.Microseconds(),
		"outcome":       string(r.Outcome),
		"http_status":   r.HTTPStatus,
		"retcode":       r.Retcode,
		"message":       r.Message,
		"server_id":     nullIfEmpty(r.ServerID),
		"request_body":  nullIfEmpty(r.RequestBody),
		"response_body": r.ResponseBody,
		"error":         r.Error,
		"attempts":      r.Attempts,
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
	rows, _ := s.db.Query(ctx, `SELECT `+callColumns+` FROM calls WHERE id = $1`, id)
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
	rows, _ := s.db.Query(ctx, `SELECT `+callColumns+` FROM calls
		WHERE server_id = (SELECT server_id FROM subscriptions WHERE id = $1) AND server_id <> ''
			AND subscription_id = $1 AND operation = $2
		ORDER BY started_at DESC, id DESC LIMIT 1`, subscriptionID, string(op))
	r, err := collectOne[callRow](rows)
	if err != nil {
		return domain.Call{}, fmt.Errorf("store.LatestCall %s of subscription %d: %w", op, subscriptionID, translate(err))
	}
	return r.domain(), nil
}

// ExpirePending marks calls still pending that started before the cut-off
// as unknown with error = reason: their process died mid-call, so whether
// the gateway acted is unknown. finished_at stays empty because nobody saw
// them finish. It reports how many calls changed.
func (s *Store) ExpirePending(ctx context.Context, startedBefore time.Time, reason string) (int64, error) {
	tag, err := s.db.Exec(ctx, `UPDATE calls SET outcome = 'unknown', error = $2
		WHERE outcome = 'pending' AND started_at < $1`, startedBefore, reason)
	if err != nil {
		return 0, fmt.Errorf("store.ExpirePending before %s: %w", startedBefore.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
