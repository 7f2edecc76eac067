package store

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// ChangeState moves a subscription to state `to` and records the change and
// its reason as a history row, in one transaction. It reports false, and
// writes nothing, when the subscription is already in that state.
func (s *Store) ChangeState(ctx context.Context, id int64, to domain.SubState, reason, actor string) (bool, error) {
	changed := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var from string
		err := tx.QueryRow(ctx, `SELECT state FROM subscriptions WHERE id = $1 FOR UPDATE`, id).Scan(&from)
		if err != nil || from == string(to) {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE subscriptions SET state = $2, state_reason = $3, updated_at = now(),
				next_due_at = CASE WHEN $2 IN ('active', 'degraded') THEN coalesce(next_due_at, now()) END,
				lapsed_at = CASE WHEN $2 = 'lapsed' THEN now() ELSE lapsed_at END,
				lease_owner = '', lease_until = NULL
			WHERE id = $1`, id, string(to), reason); err != nil {
			return err
		}
		changed = true
		return insertStateChange(ctx, tx, id, from, string(to), reason, actor)
	})
	if err != nil {
		return false, fmt.Errorf("store.ChangeState %d → %s: %w", id, to, translate(err))
	}
	return changed, nil
}

// insertStateChange writes a completed history row for a state change.
func insertStateChange(ctx context.Context, tx pgx.Tx, id int64, from, to, reason, actor string) error {
	_, err := tx.Exec(ctx, `INSERT INTO calls (gateway_id, gateway_name, actor, operation, outcome,
			finished_at, server_id, callback_uri, message, subscription_id)
		SELECT s.gateway_id, g.name, $2, 'state_change', 'success', clock_timestamp(), s.server_id,
			s.callback_uri, $3, s.id
		FROM subscriptions s JOIN gateways g ON g.id = s.gateway_id WHERE s.id = $1`,
		id, actor, from+" → "+to+": "+reason)
	return err
}

// ApplyModify stores the settings a successful modify call changed.
func (s *Store) ApplyModify(ctx context.Context, id int64, callbackURI string, nlpFlag bool, flowAccessCode, receiverKey string) error {
	tag, err := s.db.Exec(ctx, `UPDATE subscriptions SET callback_uri = $2, nlp_flag = $3,
			flow_access_code = $4, receiver_key = NULLIF($5, ''), updated_at = now()
		WHERE id = $1`, id, callbackURI, nlpFlag, flowAccessCode, receiverKey)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.ApplyModify %d: %w", id, translate(err))
	}
	return nil
}

// LinkReplacement records that newID replaces oldID. It fails with
// domain.ErrConflict when oldID was already replaced: a subscription is
// replaced at most once.
func (s *Store) LinkReplacement(ctx context.Context, oldID, newID int64) error {
	tag, err := s.db.Exec(ctx, `UPDATE subscriptions SET replaced_by_id = $2, updated_at = now()
		WHERE id = $1 AND replaced_by_id IS NULL`, oldID, newID)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrConflict
	}
	if err != nil && !errors.Is(err, domain.ErrConflict) {
		err = translate(err)
	}
	if err != nil {
		return fmt.Errorf("store.LinkReplacement %d → %d: %w", oldID, newID, err)
	}
	return nil
}

// ResolveUnknown settles a subscription whose register got no answer, once
// an operator has looked on the gateway: with the serverId found there it
// becomes active and is kept alive from now on; with "" it was never
// registered and is closed as cancelled. Only a subscription still in state
// unknown can be resolved (domain.ErrConflict otherwise; a serverId already
// on record for the gateway is domain.ErrConflict too).
func (s *Store) ResolveUnknown(ctx context.Context, id int64, serverID, reason, actor string) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		to := domain.SubCancelled
		if serverID != "" {
			to = domain.SubActive
		}
		tag, err := tx.Exec(ctx, `UPDATE subscriptions SET server_id = $2, state = $3, state_reason = $4,
				updated_at = now(),
				next_due_at = CASE WHEN $3 = 'active' THEN now() END,
				last_success_at = CASE WHEN $3 = 'active' THEN now() END
			WHERE id = $1 AND state = 'unknown'`, id, serverID, string(to), reason)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return domain.ErrConflict
		}
		return insertStateChange(ctx, tx, id, string(domain.SubUnknown), string(to), reason, actor)
	})
	if err != nil && !errors.Is(err, domain.ErrConflict) {
		err = translate(err)
	}
	if err != nil {
		return fmt.Errorf("store.ResolveUnknown %d: %w", id, err)
	}
	return nil
}
