package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// gatewayColumns reads a login refusal only while it is about the stored
// password (the sealed values are equal): one recorded for a password that
// has since been replaced no longer holds.
const gatewayColumns = `id, name, base_url, agent_id, password_sealed, ca_pem, created_at, updated_at,
	last_test_at, last_test_outcome, last_test_message,
	CASE WHEN login_refused_password = password_sealed THEN login_refused_at END AS login_refused_at,
	login_refused_retcode, login_refused_message, login_refusals_ended, disabled, removed_at`

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
	RefusedAt       *time.Time `db:"login_refused_at"`
	RefusedRetcode  string     `db:"login_refused_retcode"`
	RefusedMessage  string     `db:"login_refused_message"`
	RefusalsEnded   int64      `db:"login_refusals_ended"`
	Disabled        bool       `db:"disabled"`
	RemovedAt       *time.Time `db:"removed_at"`
}

func (r gatewayRow) domain() domain.Gateway {
	var refused *domain.LoginRefusal
	if r.RefusedAt != nil {
		refused = &domain.LoginRefusal{At: *r.RefusedAt, Retcode: r.RefusedRetcode, Message: r.RefusedMessage}
	}
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
		LoginRefused:    refused,
		RefusalsEnded:   r.RefusalsEnded,
		Disabled:        r.Disabled,
		RemovedAt:       r.RemovedAt,
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
// A new password or another agent ID ends a remembered login refusal: those
// are the credentials it was about (the sealed value changes too, but the
// refusal is cleared here explicitly rather than left to that).
func (s *Store) UpdateGateway(ctx context.Context, id int64, in domain.GatewayInput) (domain.Gateway, error) {
	args := gatewayArgs(in)
	args["id"] = id
	const kept = `@password_sealed::bytea IS NULL AND agent_id = @agent_id` // agent_id: the stored one
	g, err := s.oneGateway(ctx, `UPDATE gateways SET name = @name, base_url = @base_url,
			agent_id = @agent_id, password_sealed = COALESCE(@password_sealed, password_sealed),
			ca_pem = @ca_pem, updated_at = now(),
			login_refused_at = CASE WHEN `+kept+` THEN login_refused_at END,
			login_refused_retcode = CASE WHEN `+kept+` THEN login_refused_retcode ELSE '' END,
			login_refused_message = CASE WHEN `+kept+` THEN login_refused_message ELSE '' END,
			login_refused_password = CASE WHEN `+kept+` THEN login_refused_password END,
			login_retry_at = CASE WHEN `+kept+` THEN login_retry_at END,
			login_refusals_ended = login_refusals_ended + CASE WHEN `+kept+` THEN 0 ELSE 1 END
		WHERE id = @id AND removed_at IS NULL
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
		ON CONFLICT (lower(name)) WHERE removed_at IS NULL DO UPDATE SET name = EXCLUDED.name, base_url = EXCLUDED.base_url,
			agent_id = EXCLUDED.agent_id,
			password_sealed = EXCLUDED.password_sealed,
			ca_pem = EXCLUDED.ca_pem, updated_at = now(),
			`+refusalCleared+`
		RETURNING `+gatewayColumns, gatewayArgs(in))
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.UpsertGatewayByName %q: %w", in.Name, err)
	}
	return g, nil
}

// Gateway finds a gateway by id, a removed one too (its calls and
// subscriptions still name it): callers that act on it check RemovedAt.
func (s *Store) Gateway(ctx context.Context, id int64) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `SELECT `+gatewayColumns+` FROM gateways WHERE id = $1`, id)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.Gateway %d: %w", id, err)
	}
	return g, nil
}

// CurrentGateway finds a gateway that is not removed: a removed one is
// domain.ErrNotFound, for every page and call that acts on it.
func (s *Store) CurrentGateway(ctx context.Context, id int64) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `SELECT `+gatewayColumns+` FROM gateways WHERE id = $1 AND removed_at IS NULL`, id)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.CurrentGateway %d: %w", id, err)
	}
	return g, nil
}

// GatewayByName finds a gateway that is not removed by name, ignoring case.
func (s *Store) GatewayByName(ctx context.Context, name string) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `SELECT `+gatewayColumns+` FROM gateways
		WHERE lower(name) = lower($1) AND removed_at IS NULL`, name)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.GatewayByName %q: %w", name, err)
	}
	return g, nil
}

// ListGateways returns every gateway that is not removed, ordered by name
// (ignoring case); disabled ones too, marked.
func (s *Store) ListGateways(ctx context.Context) ([]domain.Gateway, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+gatewayColumns+` FROM gateways WHERE removed_at IS NULL ORDER BY lower(name), id`)
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

// refusalCleared is the SET list that ends a login refusal and any retry
// of it, and counts the end so the gateway clients' own memories of it
// stop counting too (gateway.Target.RefusalsEnded).
const refusalCleared = `login_refused_at = NULL, login_refused_retcode = '', login_refused_message = '',
	login_refused_password = NULL, login_retry_at = NULL, login_refusals_ended = gateways.login_refusals_ended + 1`

// RecordLoginRefusal remembers, for every process and across restarts,
// that the gateway refused the login made with g's password and agent ID
// with retcode (107-003 or 107-004), so none of them sends that password
// again. It records nothing and reports false when the gateway's password
// or agent ID changed since g was read: the refusal was about credentials
// that are gone, and must not block the new ones. A refusal recorded again
// (an administrator's retry refused too) takes the new time and words and
// ends the retry.
func (s *Store) RecordLoginRefusal(ctx context.Context, g domain.Gateway, retcode, message string) (bool, error) {
	tag, err := s.db.Exec(ctx, `UPDATE gateways SET login_refused_at = now(), login_refused_retcode = $4,
			login_refused_message = $5, login_refused_password = password_sealed, login_retry_at = NULL
		WHERE id = $1 AND password_sealed = $2 AND agent_id = $3`,
		g.ID, g.PasswordSealed, g.AgentID, retcode, message)
	if err != nil {
		return false, fmt.Errorf("store.RecordLoginRefusal %d: %w", g.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ClearLoginRefusal forgets the gateway's login refusal, e.g. after an
// administrator's retry logged in.
func (s *Store) ClearLoginRefusal(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `UPDATE gateways SET `+refusalCleared+` WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.ClearLoginRefusal %d: %w", id, err)
	}
	return nil
}

// ClaimLoginRetry reserves an administrator's one retry of the gateway's
// refused login and returns the gateway as stored. It yields
// domain.ErrConflict when the gateway has no refusal for its current
// password, or another retry holds it; a retry whose process died frees it
// after hold. The refusal itself stays until the retry's answer, so no
// other call logs in meanwhile.
func (s *Store) ClaimLoginRetry(ctx context.Context, id int64, hold time.Duration) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `UPDATE gateways SET login_retry_at = now()
		WHERE id = $1 AND login_refused_password = password_sealed
			AND (login_retry_at IS NULL OR login_retry_at < now() - $2::interval)
		RETURNING `+gatewayColumns, id, hold)
	if errors.Is(err, domain.ErrNotFound) {
		if _, err = s.Gateway(ctx, id); err == nil {
			err = domain.ErrConflict
		}
	}
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.ClaimLoginRetry %d: %w", id, err)
	}
	return g, nil
}

// ReleaseLoginRetry ends a retry whose login was not judged (it failed or
// got no answer): the refusal stays, and another retry may be asked for.
func (s *Store) ReleaseLoginRetry(ctx context.Context, id int64) error {
	if _, err := s.db.Exec(ctx, `UPDATE gateways SET login_retry_at = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store.ReleaseLoginRetry %d: %w", id, err)
	}
	return nil
}

// SetGatewayDisabled sets whether the gateway is disabled and returns it
// as stored; a removed gateway is domain.ErrNotFound. Call it in the
// transaction that then checks GatewayDependents: the row lock this update
// takes makes a register starting meanwhile wait for the transaction and
// then see the flag (BeginCall), and lets the check see a register that
// started before it.
func (s *Store) SetGatewayDisabled(ctx context.Context, id int64, disabled bool) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `UPDATE gateways SET disabled = $2, updated_at = now()
		WHERE id = $1 AND removed_at IS NULL RETURNING `+gatewayColumns, id, disabled)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.SetGatewayDisabled %d: %w", id, err)
	}
	return g, nil
}

// RemoveGateway marks the gateway removed (see SetGatewayDisabled for the
// transaction it belongs in). The row stays: subscriptions reference it
// and the history names it. A gateway already removed is
// domain.ErrNotFound.
func (s *Store) RemoveGateway(ctx context.Context, id int64) (domain.Gateway, error) {
	g, err := s.oneGateway(ctx, `UPDATE gateways SET removed_at = now(), updated_at = now()
		WHERE id = $1 AND removed_at IS NULL RETURNING `+gatewayColumns, id)
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("store.RemoveGateway %d: %w", id, err)
	}
	return g, nil
}

// GatewayDependents is what keeps a gateway from being disabled or
// removed: up to limit of its live subscriptions (any state but
// cancelled), oldest first, how many more there are, and how many
// registers sent to it still wait for an answer.
func (s *Store) GatewayDependents(ctx context.Context, id int64, limit int) (deps []domain.GatewayDependent, more, pending int, err error) {
	rows, _ := s.db.Query(ctx, `SELECT id, server_id, state, count(*) OVER () AS total FROM subscriptions
		WHERE gateway_id = $1 AND state <> 'cancelled' ORDER BY id LIMIT $2`, id, limit)
	total := 0
	deps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.GatewayDependent, error) {
		var d domain.GatewayDependent
		err := row.Scan(&d.ID, &d.ServerID, &d.State, &total)
		return d, err
	})
	if err == nil {
		err = s.db.QueryRow(ctx, `SELECT count(*) FROM calls
			WHERE outcome = 'pending' AND operation = 'register' AND gateway_id = $1`, id).Scan(&pending)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("store.GatewayDependents %d: %w", id, err)
	}
	return deps, total - len(deps), pending, nil
}

func (s *Store) oneGateway(ctx context.Context, sql string, args ...any) (domain.Gateway, error) {
	rows, _ := s.db.Query(ctx, sql, args...)
	r, err := collectOne[gatewayRow](rows)
	if err != nil {
		return domain.Gateway{}, translate(err)
	}
	return r.domain(), nil
}
