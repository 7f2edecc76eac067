package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SessionKeys returns the sealed session keys, newest first. When there are
// none, it inserts the one made by create, under a lock so processes
// starting together agree on a single key.
func (s *Store) SessionKeys(ctx context.Context, create func() ([]byte, error)) ([][]byte, error) {
	var keys [][]byte
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('ccsub.session_keys'))"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT sealed FROM session_keys ORDER BY id DESC")
		if err != nil {
			return err
		}
		if keys, err = pgx.CollectRows(rows, pgx.RowTo[[]byte]); err != nil || len(keys) > 0 {
			return err
		}
		sealed, err := create()
		if err != nil {
			return err
		}
		keys = [][]byte{sealed}
		_, err = tx.Exec(ctx, "INSERT INTO session_keys (sealed) VALUES ($1)", sealed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store.SessionKeys: %w", err)
	}
	return keys, nil
}

// RotateSessionKeys adds sealed as the newest session key (it signs new
// cookies) and keeps only the keepPrevious keys before it (they still
// verify cookies signed earlier); older keys are deleted. It returns how
// many keys remain. It takes the same lock as SessionKeys, so a process
// starting during a rotation sees the keys before or after it, never half.
func (s *Store) RotateSessionKeys(ctx context.Context, sealed []byte, keepPrevious int) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('ccsub.session_keys'))"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO session_keys (sealed) VALUES ($1)", sealed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM session_keys WHERE id NOT IN
			(SELECT id FROM session_keys ORDER BY id DESC LIMIT $1)`, keepPrevious+1); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT count(*) FROM session_keys").Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("store.RotateSessionKeys: %w", err)
	}
	return n, nil
}
