package store

import (
	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// CallQuery exposes the statement ListCalls would run, so tests can ask
// PostgreSQL how it plans it.
func CallQuery(f domain.CallFilter, p domain.PageRequest) (string, pgx.NamedArgs) {
	q := buildCallQuery(f, p)
	return q.sql, q.args
}
