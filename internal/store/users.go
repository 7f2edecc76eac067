package store

import (
	"context"
	"fmt"
	"time"

	"ccsub/internal/domain"
)

const userColumns = `id, username, role, password_hash, disabled, created_at`

type userRow struct {
	ID           int64     `db:"id"`
	Username     string    `db:"username"`
	Role         string    `db:"role"`
	PasswordHash string    `db:"password_hash"`
	Disabled     bool      `db:"disabled"`
	CreatedAt    time.Time `db:"created_at"`
}

func (r userRow) domain() domain.User {
	return domain.User{
		ID:           r.ID,
		Username:     r.Username,
		Role:         domain.Role(r.Role),
		PasswordHash: r.PasswordHash,
		Disabled:     r.Disabled,
		CreatedAt:    r.CreatedAt,
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
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store.CountUsers: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, hash)
	if err == nil && tag.RowsAffected() == 0 {
		err = domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store.SetPassword %d: %w", id, err)
	}
	return nil
}

func (s *Store) oneUser(ctx context.Context, sql string, args ...any) (domain.User, error) {
	rows, _ := s.pool.Query(ctx, sql, args...)
	r, err := collectOne[userRow](rows)
	if err != nil {
		return domain.User{}, translate(err)
	}
	return r.domain(), nil
}
