package store

import (
	"context"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

const gatewayColumns = `id, name, base_url, agent_id, password_sealed, ca_pem, created_at, updated_at,
	last_test_at, last_test_outcome, last_test_message`

type gatewayRow struct {
	ID              int64      `db:"id"`
	Name            string     `db:"name"`
	BaseURL         string     `db:"base_url"`
	AgentID         int64      `db:"agent_id"`
	PasswordSealed  []byte     `db:"password_sealed"`
	CAPEM           string     `db:"ca_pem"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
	LastTestAt      *time.Time `db:"last_test_at"`
	LastTestOutcome string     `db:"last_test_outcome"`
	LastTestMessage string     `db:"last_test_message"`
}

func (r gatewayRow) domain() domain.Gateway {
	return domain.Gateway{
		ID:              r.ID,
		Name:            r.Name,
		BaseURL:         r.BaseURL,
		AgentID:         r.AgentID,
		PasswordSealed:  r.PasswordSealed,
		CAPEM:           r.CAPEM,
		CreatedAt:       r.CreatedAt,
		UpdatedAt:       r.UpdatedAt,
		LastTestAt:      r.LastTestAt,
		LastTestOutcome: domain.Outcome(r.LastTestOutcome),
		LastTestMessage: r.LastTestMessage,
	}
}

func gatewayArgs(in domain.GatewayInput) pgx.NamedArgs {
	return pgx.NamedArgs{
		"name":            in.Name,
		"base_url":        in.BaseURL,
		"agent_id":        in.AgentID,
		"password_sealed": in.PasswordSealed, // nil is sent as NULL
		"ca_pem":          in.CAPEM,
	}
}

// CreateGateway adds a gateway; a name already taken (ignoring case) yields
// domain.ErrConflict.
func (s *Store) CreateGateway(ctx context.Context, in domain.GatewayInput) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `INSERT INTO gateways (name, base_url, agent_id, password_sealed, ca_pem)
		VALUES (@name, @base_url, @agent_id, @password_sealed, @ca_pem)
		RETURNING `+gatewayColumns, gatewayArgs(in))
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.CreateGateway %q: %w", in.Name, err)
	}
	return g, nil
}

// UpdateGateway edits a gateway. A nil in.PasswordSealed keeps the stored
// password, because edit forms never send the secret back to the browser.
func (s *Store) UpdateGateway(ctx context.Context, id int64, in domain.GatewayInput) (domain.Gateway, error) {
	args := gatewayArgs(in)
	args["id"] = id
	g, err := s.oneGateway(ctx, `UPDATE gateways SET name = @name, base_url = @base_url,
			agent_id = @agent_id, password_sealed = COALESCE(@password_sealed, password_sealed),
			ca_pem = @ca_pem, updated_at = now()
		WHERE id = @id
		RETURNING `+gatewayColumns, args)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.UpdateGateway %d: %w", id, err)
	}
	return g, nil
}

// UpsertGatewayByName creates the gateway or, when one with that name exists
// (ignoring case), overwrites its settings. It lets the built-in simulator
// be (re)declared at every start without a check-then-insert race between
// processes. in.PasswordSealed is required: Postgres checks NOT NULL before
// it looks for a conflict, so a nil password fails even for an existing row.
func (s *Store) UpsertGatewayByName(ctx context.Context, in domain.GatewayInput) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `INSERT INTO gateways (name, base_url, agent_id, password_sealed, ca_pem)
		VALUES (@name, @base_url, @agent_id, @password_sealed, @ca_pem)
		ON CONFLICT (lower(name)) DO UPDATE SET name = EXCLUDED.name, base_url = EXCLUDED.base_url,
			agent_id = EXCLUDED.agent_id,
			password_sealed = EXCLUDED.password_sealed,
			ca_pem = EXCLUDED.ca_pem, updated_at = now()
		RETURNING `+gatewayColumns, gatewayArgs(in))
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.UpsertGatewayByName %q: %w", in.Name, err)
	}
	return g, nil
}

// Gateway finds a gateway by id.
func (s *Store) Gateway(ctx context.Context, id int64) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `SELECT `+gatewayColumns+` FROM gateways WHERE id = $1`, id)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.Gateway %d: %w", id, err)
	}
	return g, nil
}

// GatewayByName finds a gateway by name, ignoring case.
func (s *Store) GatewayByName(ctx context.Context, name string) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `SELECT `+gatewayColumns+` FROM gateways WHERE lower(name) = lower($1)`, name)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.GatewayByName %q: %w", name, err)
	}
	return g, nil
}

// ListGateways returns every gateway ordered by name (ignoring case).
func (s *Store) ListGateways(ctx context.Context) ([]domain.Gateway, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+gatewayColumns+` FROM gateways ORDER BY lower(name), id`)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[gatewayRow])
	if err != nil {
		return nil, fmt.Errorf("store.ListGateways: %w", err)
	}
	gs := make([]domain.Gateway, len(rs))
	for i, r := range rs {
		gs[i] = r.domain()
	}
	return gs, nil
}

// RecordGatewayTest stores the result of a "Test connection". It does not
// bump updated_at: testing is not editing.
func (s *Store) RecordGatewayTest(ctx context.Context, id int64, outcome domain.Outcome, message string) error {
	tag, err := s.db.Exec(ctx, `UPDATE gateways
		SET last_test_at = now(), last_test_outcome = $2, last_test_message = $3
		WHERE id = $1`, id, string(outcome), message)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.RecordGatewayTest %d: %w", id, err)
	}
	return nil
}

func (s *Store) oneGateway(ctx context.Context, sql string, args ...any) (domain.Gateway, error) {
	rows, _ := s.db.Query(ctx, sql, args...)
	r, err := collectOne[gatewayRow](rows)
	if err != nil {
		return domain.Gateway{}, translate(err)
	}
	return r.domain(), nil
}
