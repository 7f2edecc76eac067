package store

import (
	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// AuditQuery exposes the statement ListAudit would run, so tests can ask
// PostgreSQL how it plans it.
func AuditQuery(f domain.AuditFilter, p domain.PageRequest) (string, pgx.NamedArgs) {
	q := buildAuditQuery(f, p)
	return q.sql, q.args
}
