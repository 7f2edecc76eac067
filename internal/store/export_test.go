package store

import (
	"context"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// CallQuery exposes the statement ListCalls would run (after looking its
// text search terms up), so tests can ask PostgreSQL how it plans it.
func (s *Store) CallQuery(ctx context.Context, f domain.CallFilter, p domain.PageRequest) (string, pgx.NamedArgs, error) {
	terms, err := s.lookUpTerms(ctx, f)
	if err != nil {
		return "", nil, err
	}
	prefix := prefixPlanned
	if f.ServerIDPrefix && f.ServerID != "" && len(terms) == 0 {
		if prefix, err = s.serverIDPrefixPlan(ctx, f.ServerID); err != nil {
			return "", nil, err
		}
	}
	q := buildCallQuery(f, p, terms, prefix)
	return q.sql, q.args, nil
}
