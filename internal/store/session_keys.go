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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
