package store

import (
	"context"
	"fmt"
	"strings"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// Page sizes of the history.
const (
	DefaultCallLimit = 50
	MaxCallLimit     = 200
)

// ListCalls returns one newest-first page of the history matching f. It is
// the hot path; keyset.go says how its statement is shaped.
func (s *Store) ListCalls(ctx context.Context, f domain.CallFilter, p domain.PageRequest) (domain.CallPage, error) {
	q := buildCallQuery(f, p)
	rows, _ := s.db.Query(ctx, q.sql, q.args)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[callRow])
	if err != nil {
		return domain.CallPage{}, fmt.Errorf("store.ListCalls: %w", err)
	}
	rs, older, newer := keysetPage(q, rs, func(r callRow) domain.Cursor { return domain.Cursor{At: r.StartedAt, ID: r.ID} })
	page := domain.CallPage{Calls: make([]domain.Call, len(rs)), Older: older, Newer: newer}
	for i, r := range rs {
		page.Calls[i] = r.domain()
	}
	return page, nil
}

func buildCallQuery(f domain.CallFilter, p domain.PageRequest) keysetQuery {
	return buildKeyset(callColumns, "calls", "started_at", callFilters(f), p, clampLimit(p.Limit))
}

// callFilters lists the history's filters; zero values mean "any".
func callFilters(f domain.CallFilter) []filter {
	return []filter{
		{f.GatewayID != 0, "gateway_id = @gateway_id", "gateway_id", f.GatewayID},
		{f.Operation != "", "operation = @operation", "operation", string(f.Operation)},
		{f.Outcome != "", "outcome = @outcome", "outcome", string(f.Outcome)},
		{f.Retcode != "", "retcode = @retcode", "retcode", f.Retcode},
		// The redundant "<> ''" lets a generic plan use the partial index
		// calls_server_id_idx: the planner cannot prove it from a parameter.
		{f.ServerID != "", "server_id = @server_id AND server_id <> ''", "server_id", f.ServerID},
		{f.CallbackContains != "", `callback_uri ILIKE '%' || @callback || '%'`, "callback", escapeLike(f.CallbackContains)},
		{!f.From.IsZero(), "started_at >= @from", "from", f.From},
		{!f.To.IsZero(), "started_at < @to", "to", f.To},
	}
}

// escapeLike makes s match itself inside a LIKE pattern, whose default
// escape character is the backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func clampLimit(n int) int { return clampLimitTo(n, DefaultCallLimit, MaxCallLimit) }
