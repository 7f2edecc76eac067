package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// Page sizes of the history.
const (
	DefaultCallLimit = 50
	MaxCallLimit     = 200
)

// ListCalls returns one newest-first page of the history matching f.
//
// It is the hot path over a table of tens of millions of rows, so the
// statement is shaped for the planner (see docs "Pitfalls"): the WHERE
// clause holds only the filters actually given, each a bare comparison an
// index can serve; the keyset predicate is a bare row comparison that the
// primary key (started_at, id) or a filter index turns into a start
// position; one extra row tells whether more exist, and nothing is counted.
func (s *Store) ListCalls(ctx context.Context, f domain.CallFilter, p domain.PageRequest) (domain.CallPage, error) {
	q := buildCallQuery(f, p)
	rows, _ := s.pool.Query(ctx, q.sql, q.args)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[callRow])
	if err != nil {
		return domain.CallPage{}, fmt.Errorf("store.ListCalls: %w", err)
	}
	return q.page(rs), nil
}

// callQuery is one ListCalls statement and what is needed to read its rows.
type callQuery struct {
	sql    string
	args   pgx.NamedArgs
	limit  int
	before bool // paging older than a cursor
	after  bool // paging newer than a cursor: read ascending, then reversed
}

// buildCallQuery writes the statement for f and p. Values always travel as
// arguments; only the whitelisted conditions below and the clamped integer
// limit are written into the SQL text. The limit is a literal so that even
// a generic plan (chosen after five runs of a prepared statement) knows how
// few rows are wanted and keeps walking an index instead of sorting.
func buildCallQuery(f domain.CallFilter, p domain.PageRequest) callQuery {
	q := callQuery{args: pgx.NamedArgs{}, limit: clampLimit(p.Limit)}
	conds := filterConditions(f, q.args)
	// At most one cursor is expected; should both arrive, Before wins so a
	// crafted URL still gets a well-defined page.
	switch {
	case p.Before != nil:
		q.before = true
		conds = append(conds, "(started_at, id) < (@cursor_at, @cursor_id)")
		q.args["cursor_at"], q.args["cursor_id"] = p.Before.At, p.Before.ID
	case p.After != nil:
		q.after = true
		conds = append(conds, "(started_at, id) > (@cursor_at, @cursor_id)")
		q.args["cursor_at"], q.args["cursor_id"] = p.After.At, p.After.ID
	}
	var b strings.Builder
	b.WriteString("SELECT " + callColumns + " FROM calls")
	if len(conds) > 0 {
		b.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	dir := "DESC"
	if q.after {
		dir = "ASC"
	}
	fmt.Fprintf(&b, " ORDER BY started_at %s, id %s LIMIT %d", dir, dir, q.limit+1)
	q.sql = b.String()
	return q
}

// filterConditions returns one condition per filter given in f, adding its
// value to args. Zero values mean "any" and add nothing.
func filterConditions(f domain.CallFilter, args pgx.NamedArgs) []string {
	filters := []struct {
		given bool
		cond  string
		name  string
		value any
	}{
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
	var conds []string
	for _, fl := range filters {
		if fl.given {
			conds = append(conds, fl.cond)
			args[fl.name] = fl.value
		}
	}
	return conds
}

// escapeLike makes s match itself inside a LIKE pattern, whose default
// escape character is the backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultCallLimit
	case n > MaxCallLimit:
		return MaxCallLimit
	}
	return n
}

// page turns the rows read (up to limit+1, in query order) into a
// newest-first page with cursors to the neighbouring pages.
func (q callQuery) page(rs []callRow) domain.CallPage {
	more := len(rs) > q.limit
	if more {
		rs = rs[:q.limit]
	}
	if q.after {
		slices.Reverse(rs)
	}
	page := domain.CallPage{Calls: make([]domain.Call, len(rs))}
	for i, r := range rs {
		page.Calls[i] = r.domain()
	}
	if len(rs) == 0 {
		return page
	}
	newest := domain.Cursor{At: rs[0].StartedAt, ID: rs[0].ID}
	oldest := domain.Cursor{At: rs[len(rs)-1].StartedAt, ID: rs[len(rs)-1].ID}
	// The extra row read answers "is there more?" in the direction walked;
	// the other direction holds at least the cursor's own row.
	if more || q.after {
		page.Older = &oldest
	}
	if q.before || q.after && more {
		page.Newer = &newest
	}
	return page
}
