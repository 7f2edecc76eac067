package store

import (
	"context"
	"strings"

	"ccsub/internal/domain"
)

// Page sizes of the history.
const (
	DefaultCallLimit = 50
	MaxCallLimit     = 200
)

// ListCalls returns one newest-first page of the history matching f. It is
// the hot path; keyset.go says how its statement is shaped.
func (s *Store) ListCalls(ctx context.Context, f domain.CallFilter, p domain.PageRequest) (domain.CallPage, error) {
	calls, older, newer, err := listPage(ctx, s, "ListCalls", buildCallQuery(f, p),
		func(r callRow) domain.Cursor { return domain.Cursor{At: r.StartedAt, ID: r.ID} }, callRow.domain)
	return domain.CallPage{Calls: calls, Older: older, Newer: newer}, err
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
