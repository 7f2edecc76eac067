package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

const apiTokenColumns = `id, name, prefix, role, created_by, created_at, expires_at, last_used_at, revoked_at`

type apiTokenRow struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	Prefix     string     `db:"prefix"`
	Role       string     `db:"role"`
	CreatedBy  string     `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

func (r apiTokenRow) domain() domain.APIToken {
	return domain.APIToken{ID: r.ID, Name: r.Name, Prefix: r.Prefix, Role: domain.Role(r.Role), CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
}

// CreateAPIToken stores a newly issued token (its hash, never the token).
func (s *Store) CreateAPIToken(ctx context.Context, n domain.NewAPIToken) (domain.APIToken, error) {
	rows, _ := s.db.Query(ctx, `INSERT INTO api_tokens (name, token_hash, prefix, role, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+apiTokenColumns,
		n.Name, n.Hash, n.Prefix, string(n.Role), n.CreatedBy, n.ExpiresAt)
	r, err := collectOne[apiTokenRow](rows)
	if err != nil {
		return domain.APIToken{}, fmt.Errorf("store.CreateAPIToken %q: %w", n.Name, translate(err))
	}
	return r.domain(), nil
}

// APITokenByHash finds a token by the hash of its secret (a unique-index
// lookup: the secret itself is never compared byte by byte in Go). Revoked
// and expired tokens are returned too; the caller decides with Usable.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (domain.APIToken, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE token_hash = $1`, hash)
	r, err := collectOne[apiTokenRow](rows)
	if err != nil {
		return domain.APIToken{}, fmt.Errorf("store.APITokenByHash: %w", translate(err))
	}
	return r.domain(), nil
}

// ListAPITokens returns every token, newest first. Admins issue a handful,
// so the list is not paginated.
func (s *Store) ListAPITokens(ctx context.Context) ([]domain.APIToken, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens ORDER BY created_at DESC, id DESC`)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[apiTokenRow])
	if err != nil {
		return nil, fmt.Errorf("store.ListAPITokens: %w", err)
	}
	out := make([]domain.APIToken, len(rs))
	for i, r := range rs {
		out[i] = r.domain()
	}
	return out, nil
}

// RevokeAPIToken revokes the token id. It reports whether this call revoked
// it (false: it was already revoked, and its first revocation time stays).
func (s *Store) RevokeAPIToken(ctx context.Context, id int64) (domain.APIToken, bool, error) {
	rows, _ := s.db.Query(ctx, `UPDATE api_tokens SET revoked_at = now()
		WHERE id = $1 AND revoked_at IS NULL RETURNING `+apiTokenColumns, id)
	r, err := collectOne[apiTokenRow](rows)
	if err == nil {
		return r.domain(), true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return domain.APIToken{}, false, fmt.Errorf("store.RevokeAPIToken %d: %w", id, err)
	}
	rows, _ = s.db.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = $1`, id)
	if r, err = collectOne[apiTokenRow](rows); err != nil {
		return domain.APIToken{}, false, fmt.Errorf("store.RevokeAPIToken %d: %w", id, translate(err))
	}
	return r.domain(), false, nil
}

// TouchAPIToken records that the token was used, at most once a minute: a
// busy script must not turn every API read into a write.
func (s *Store) TouchAPIToken(ctx context.Context, id int64) error {
	_, err := s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, id)
	if err != nil {
		return fmt.Errorf("store.TouchAPIToken %d: %w", id, err)
	}
	return nil
}
