package store

import (
	"context"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

const userColumns = `id, username, role, password_hash, disabled, created_at, time_zone`

type userRow struct {
	ID           int64     `db:"id"`
	Username     string    `db:"username"`
	Role         string    `db:"role"`
	PasswordHash string    `db:"password_hash"`
	Disabled     bool      `db:"disabled"`
	CreatedAt    time.Time `db:"created_at"`
	TimeZone     string    `db:"time_zone"`
}

func (r userRow) domain() domain.User {
	return domain.User{
		ID:           r.ID,
		Username:     r.Username,
		Role:         domain.Role(r.Role),
		PasswordHash: r.PasswordHash,
		Disabled:     r.Disabled,
		CreatedAt:    r.CreatedAt,
		TimeZone:     r.TimeZone,
	}
}

// CreateUser adds a console user. Usernames are unique case-insensitively;
// a taken one yields domain.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, username string, role domain.Role, passwordHash string) (domain.User, error) {
	u, err := s.oneUser(ctx, `INSERT INTO users (username, role, password_hash)
		VALUES ($1, $2, $3) RETURNING `+userColumns, username, string(role), passwordHash)
	if err != nil {
		return domain.User{}, fmt.Errorf("store.CreateUser %q: %w", username, err)
	}
	return u, nil
}

// UserByUsername finds a user by name, ignoring case (the unique index is on
// lower(username), so this is an index lookup).
func (s *Store) UserByUsername(ctx context.Context, username string) (domain.User, error) {
	u, err := s.oneUser(ctx, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower($1)`, username)
	if err != nil {
		return domain.User{}, fmt.Errorf("store.UserByUsername %q: %w", username, err)
	}
	return u, nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (domain.User, error) {
	u, err := s.oneUser(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	if err != nil {
		return domain.User{}, fmt.Errorf("store.UserByID %d: %w", id, err)
	}
	return u, nil
}

// CountUsers reports how many users exist; zero means first-run setup.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.CountUsers: %w", err)
	}
	return n, nil
}

func (s *Store) oneUser(ctx context.Context, sql string, args ...any) (domain.User, error) {
	rows, _ := s.db.Query(ctx, sql, args...)
	r, err := collectOne[userRow](rows)
	if err != nil {
		return domain.User{}, translate(err)
	}
	return r.domain(), nil
}

// ListUsers returns every user by name, each with the number of its
// sessions that are still usable (before expiry, seen within their own
// idle limit).
func (s *Store) ListUsers(ctx context.Context) ([]domain.UserSummary, error) {
	rows, err := s.db.Query(ctx, `SELECT u.id, u.username, u.role, u.password_hash, u.disabled, u.created_at, u.time_zone,
			(SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND `+sessionLive+`)
		FROM users u ORDER BY lower(u.username)`)
	if err != nil {
		return nil, fmt.Errorf("store.ListUsers: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.UserSummary, error) {
		var r userRow
		var n int
		err := row.Scan(&r.ID, &r.Username, &r.Role, &r.PasswordHash, &r.Disabled, &r.CreatedAt, &r.TimeZone, &n)
		return domain.UserSummary{User: r.domain(), ActiveSessions: n}, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.ListUsers: %w", err)
	}
	return list, nil
}

// UpdateUser applies c to a user and, when anything changed, ends all of
// the user's sessions in the same transaction: a new role, a disabled
// account or a reset password must not leave an old session working on any
// process. A change that would leave no enabled administrator is
// domain.ErrLastAdmin; the enabled admins are locked first, so two admins
// demoting each other at once cannot both succeed.
func (s *Store) UpdateUser(ctx context.Context, id int64, c domain.UserChange) (domain.UserUpdate, error) {
	var up domain.UserUpdate
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		admins, err := lockEnabledAdmins(ctx, tx)
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id)
		r, err := collectOne[userRow](rows)
		if err != nil {
			return err
		}
		up.Before, up.After = r.domain(), applyChange(r.domain(), c)
		if up.After == up.Before {
			return nil
		}
		if isEnabledAdmin(up.Before) && !isEnabledAdmin(up.After) && admins <= 1 {
			return domain.ErrLastAdmin
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET role = $2, disabled = $3, password_hash = $4, updated_at = now()
			WHERE id = $1`, id, string(up.After.Role), up.After.Disabled, up.After.PasswordHash); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		up.Revoked = tag.RowsAffected()
		return err
	})
	if err != nil {
		return domain.UserUpdate{}, fmt.Errorf("store.UpdateUser %d: %w", id, translate(err))
	}
	return up, nil
}

func lockEnabledAdmins(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, _ := tx.Query(ctx, `SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return len(ids), err
}

func applyChange(u domain.User, c domain.UserChange) domain.User {
	if c.Role != nil {
		u.Role = *c.Role
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
	}
	if c.PasswordHash != "" {
		u.PasswordHash = c.PasswordHash
	}
	return u
}

func isEnabledAdmin(u domain.User) bool { return u.Role == domain.RoleAdmin && !u.Disabled }

// SetUserTimeZone stores a user's own time zone ("" for the browser's).
// It is a preference, not an access change: the user's sessions go on.
func (s *Store) SetUserTimeZone(ctx context.Context, id int64, zone string) error {
	tag, err := s.db.Exec(ctx, `UPDATE users SET time_zone = $2 WHERE id = $1`, id, zone)
	if err != nil {
		return fmt.Errorf("store.SetUserTimeZone %d: %w", id, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store.SetUserTimeZone %d: %w", id, domain.ErrNotFound)
	}
	return nil
}
