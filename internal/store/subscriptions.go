package store

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// subscriptionColumns reads a subscription "s" joined to its gateway "g",
// whose name every page shows.
const subscriptionColumns = `s.id, s.gateway_id, g.name AS gateway_name, s.server_id, s.state,
	s.state_reason, s.subscribe_type, s.callback_uri, s.nlp_flag, s.flow_access_code, s.token_sealed,
	s.created_by, s.created_at, s.updated_at, s.register_call_id, s.replaces_id,
	s.auto_reregister, s.next_due_at, s.last_handshake_at, s.last_success_at, s.handshakes_ok,
	s.handshakes_failed, s.consecutive_failures, s.lapsed_at, s.replaced_by_id, s.receiver_key`

const subscriptionSelect = `SELECT ` + subscriptionColumns + `
	FROM subscriptions s JOIN gateways g ON g.id = s.gateway_id`

const subscriptionByIDSQL = subscriptionSelect + ` WHERE s.id = $1`

type subscriptionRow struct {
	ID             int64     `db:"id"`
	GatewayID      int64     `db:"gateway_id"`
	GatewayName    string    `db:"gateway_name"`
	ServerID       string    `db:"server_id"`
	State          string    `db:"state"`
	StateReason    string    `db:"state_reason"`
	SubscribeType  string    `db:"subscribe_type"`
	CallbackURI    string    `db:"callback_uri"`
	NLPFlag        bool      `db:"nlp_flag"`
	FlowAccessCode string    `db:"flow_access_code"`
	TokenSealed    []byte    `db:"token_sealed"`
	CreatedBy      string    `db:"created_by"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
	RegisterCallID int64     `db:"register_call_id"`
	ReplacesID     *int64    `db:"replaces_id"`

	AutoReregister      bool       `db:"auto_reregister"`
	NextDueAt           *time.Time `db:"next_due_at"`
	LastHandshakeAt     *time.Time `db:"last_handshake_at"`
	LastSuccessAt       *time.Time `db:"last_success_at"`
	HandshakesOK        int64      `db:"handshakes_ok"`
	HandshakesFailed    int64      `db:"handshakes_failed"`
	ConsecutiveFailures int        `db:"consecutive_failures"`
	LapsedAt            *time.Time `db:"lapsed_at"`
	ReplacedByID        *int64     `db:"replaced_by_id"`
	ReceiverKey         *string    `db:"receiver_key"`
}

func (r subscriptionRow) domain() domain.Subscription {
	return domain.Subscription{
		ID:             r.ID,
		GatewayID:      r.GatewayID,
		GatewayName:    r.GatewayName,
		ServerID:       r.ServerID,
		State:          domain.SubState(r.State),
		StateReason:    r.StateReason,
		SubscribeType:  r.SubscribeType,
		CallbackURI:    r.CallbackURI,
		NLPFlag:        r.NLPFlag,
		FlowAccessCode: r.FlowAccessCode,
		TokenPresent:   r.TokenSealed != nil,
		TokenSealed:    r.TokenSealed,
		CreatedBy:      r.CreatedBy,
		CreatedAt:      r.CreatedAt,
		UpdatedAt:      r.UpdatedAt,
		RegisterCallID: r.RegisterCallID,
		ReplacesID:     r.ReplacesID,

		AutoReregister:      r.AutoReregister,
		NextDueAt:           r.NextDueAt,
		LastHandshakeAt:     r.LastHandshakeAt,
		LastSuccessAt:       r.LastSuccessAt,
		HandshakesOK:        r.HandshakesOK,
		HandshakesFailed:    r.HandshakesFailed,
		ConsecutiveFailures: r.ConsecutiveFailures,
		LapsedAt:            r.LapsedAt,
		ReplacedByID:        r.ReplacedByID,
		ReceiverKey:         deref(r.ReceiverKey),
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreateSubscription records a serverId obtained by a successful register,
// as active and due for its first handshake at once (which confirms it). A serverId already recorded for that gateway yields
// domain.ErrConflict; a missing gateway or replaced subscription yields
// domain.ErrNotFound.
func (s *Store) CreateSubscription(ctx context.Context, n domain.NewSubscription) (domain.Subscription, error) {
	// The CTE returns the new row with its gateway's name in one round trip;
	// the outer SELECT must read the CTE, as the table's snapshot predates it.
	sub, err := s.oneSubscription(ctx, `WITH s AS (
			INSERT INTO subscriptions (gateway_id, server_id, state, subscribe_type, callback_uri,
				nlp_flag, flow_access_code, token_sealed, created_by, register_call_id, replaces_id,
				auto_reregister, receiver_key, next_due_at, last_success_at, state_reason)
			VALUES (@gateway_id, @server_id, @state, @subscribe_type, @callback_uri,
				@nlp_flag, @flow_access_code, @token_sealed, @created_by, @register_call_id, @replaces_id,
				@auto_reregister, NULLIF(@receiver_key, ''),
				CASE WHEN @state = 'active' THEN now() END, CASE WHEN @state = 'active' THEN now() END, @state_reason)
			RETURNING *)
		SELECT `+subscriptionColumns+` FROM s JOIN gateways g ON g.id = s.gateway_id`, pgx.NamedArgs{
		"gateway_id":       n.GatewayID,
		"server_id":        n.ServerID,
		"subscribe_type":   n.SubscribeType,
		"callback_uri":     n.CallbackURI,
		"nlp_flag":         n.NLPFlag,
		"flow_access_code": n.FlowAccessCode,
		"token_sealed":     n.TokenSealed,
		"created_by":       n.CreatedBy,
		"register_call_id": n.RegisterCallID,
		"replaces_id":      n.ReplacesID,
		"auto_reregister":  n.AutoReregister,
		"receiver_key":     n.ReceiverKey,
		"state":            string(cmp.Or(n.State, domain.SubActive)),
		"state_reason":     n.StateReason,
	})
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("store.CreateSubscription gateway %d server %q: %w",
			n.GatewayID, n.ServerID, err)
	}
	return sub, nil
}

// Subscription finds a subscription by id.
func (s *Store) Subscription(ctx context.Context, id int64) (domain.Subscription, error) {
	sub, err := s.oneSubscription(ctx, subscriptionByIDSQL, id)
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("store.Subscription %d: %w", id, err)
	}
	return sub, nil
}

// SubscriptionByServerID finds the subscription a gateway knows as serverID.
func (s *Store) SubscriptionByServerID(ctx context.Context, gatewayID int64, serverID string) (domain.Subscription, error) {
	sub, err := s.oneSubscription(ctx, subscriptionSelect+` WHERE s.gateway_id = $1 AND s.server_id = $2`,
		gatewayID, serverID)
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("store.SubscriptionByServerID gateway %d server %q: %w",
			gatewayID, serverID, err)
	}
	return sub, nil
}

// SetSubscriptionState records a new state and why it changed.
func (s *Store) SetSubscriptionState(ctx context.Context, id int64, state domain.SubState, reason string) error {
	tag, err := s.db.Exec(ctx, `UPDATE subscriptions
		SET state = $2, state_reason = $3, updated_at = now()
		WHERE id = $1`, id, string(state), reason)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.SetSubscriptionState %d %s: %w", id, state, err)
	}
	return nil
}

func (s *Store) oneSubscription(ctx context.Context, sql string, args ...any) (domain.Subscription, error) {
	rows, _ := s.db.Query(ctx, sql, args...)
	r, err := collectOne[subscriptionRow](rows)
	if err != nil {
		return domain.Subscription{}, translate(err)
	}
	return r.domain(), nil
}
