package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// The append-heavy lists (calls, audit entries, notifications) are read
// newest first in pages keyed by (time, id). Their statements are shaped
// for tables of tens of millions of rows (see design-forces "Pitfalls"):
// the WHERE clause holds only the filters actually given, each a bare
// comparison an index can serve; the keyset predicate is a bare row
// comparison that the primary key or a filter index turns into a start
// position; one extra row tells whether more exist; nothing is counted.

// filter is one optional condition of a list; given says whether the user
// asked for it. Values always travel as arguments.
type filter struct {
	given bool
	cond  string
	name  string
	value any
}

// keysetQuery is one list statement and what is needed to read its rows.
type keysetQuery struct {
	sql    string
	where  string // " WHERE …" of sql, or ""
	args   pgx.NamedArgs
	limit  int
	before bool // paging older than a cursor
	after  bool // paging newer than a cursor: read ascending, then reversed
}

// buildKeyset writes "SELECT columns FROM table WHERE … ORDER BY timeCol,
// id LIMIT n+1". Only whitelisted conditions and the clamped integer limit
// enter the SQL text; the limit is a literal so that even a generic plan
// (chosen after five runs of a prepared statement) knows how few rows are
// wanted and keeps walking an index instead of sorting.
func buildKeyset(columns, table, timeCol string, filters []filter, p domain.PageRequest, limit int) keysetQuery {
	q := keysetQuery{args: pgx.NamedArgs{}, limit: limit}
	var conds []string
	for _, f := range filters {
		if f.given {
			conds = append(conds, f.cond)
			if f.name != "" { // a condition without an argument of its own
				q.args[f.name] = f.value
			}
		}
	}
	// At most one cursor is expected; should both arrive, Before wins so a
	// crafted URL still gets a well-defined page.
	switch {
	case p.Before != nil:
		q.before = true
		conds = append(conds, fmt.Sprintf("(%s, id) < (@cursor_at, @cursor_id)", timeCol))
		q.args["cursor_at"], q.args["cursor_id"] = p.Before.At, p.Before.ID
	case p.After != nil:
		q.after = true
		conds = append(conds, fmt.Sprintf("(%s, id) > (@cursor_at, @cursor_id)", timeCol))
		q.args["cursor_at"], q.args["cursor_id"] = p.After.At, p.After.ID
	}
	if len(conds) > 0 {
		q.where = " WHERE " + strings.Join(conds, " AND ")
	}
	q.sql = "SELECT " + columns + " FROM " + table + q.where +
		fmt.Sprintf(" ORDER BY %s %s, id %s LIMIT %d", timeCol, q.dir(), q.dir(), q.limit+1)
	return q
}

// dir is the direction q reads the list in: newest first, or oldest first
// when paging newer than a cursor.
func (q keysetQuery) dir() string {
	if q.after {
		return "ASC"
	}
	return "DESC"
}

// listPage runs a keyset query and returns its rows as domain values,
// newest first, with the cursors of the neighbouring pages: the one loop
// behind the history, the audit trail and the inbox.
//
// The statement goes as an unnamed prepared statement (pgx's
// QueryExecModeCacheDescribe), so PostgreSQL plans it for its values on
// every execution: a connection's first search is planned as its
// hundredth, and no generic plan (which PostgreSQL may switch a named
// statement to from its sixth execution) is ever cached. A generic plan
// cannot see a search term, so it cannot tell a rare term (read through an
// index and sorted) from a common one (walk the primary key), nor turn a
// LIKE prefix into an index range (issue 10; docs/decisions.md "Text
// search"). Planning costs a fraction of a millisecond.
//
// When ctx carries a pending SessionLookup, the session's query and the
// list go to the database as one batch: one round trip for the page. pgx
// sends a batch's statements named, so that path relies on the pools'
// plan_cache_mode = force_custom_plan (database.OpenWith) for the same
// per-value plans.
func listPage[R, T any](ctx context.Context, s *Store, op string, q keysetQuery, key func(R) domain.Cursor,
	conv func(R) T) (out []T, older, newer *domain.Cursor, err error) {
	var l listed[T]
	if pendingLookup(ctx) != nil {
		rd := s.Reads(ctx)
		queueList(rd, q, key, conv, func(got listed[T]) { l = got })
		err = rd.Send(ctx)
	} else {
		rows, _ := s.db.Query(ctx, q.sql, pgx.QueryExecModeCacheDescribe, q.args)
		var rs []R
		if rs, err = collectByName[R](rows, q.limit+1); err == nil {
			l = pageOf(q, rs, key, conv)
		}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("store.%s: %w", op, err)
	}
	return l.rows, l.older, l.newer, nil
}

// keysetPage turns the rows read (up to limit+1, in query order) into a
// newest-first slice with cursors to the neighbouring pages.
func keysetPage[R any](q keysetQuery, rs []R, key func(R) domain.Cursor) (rows []R, older, newer *domain.Cursor) {
	more := len(rs) > q.limit
	if more {
		rs = rs[:q.limit]
	}
	if q.after {
		slices.Reverse(rs)
	}
	if len(rs) == 0 {
		return rs, nil, nil
	}
	newest, oldest := key(rs[0]), key(rs[len(rs)-1])
	// The extra row read answers "is there more?" in the direction walked;
	// the other direction holds at least the cursor's own row.
	if more || q.after {
		older = &oldest
	}
	if q.before || q.after && more {
		newer = &newest
	}
	return rs, older, newer
}

// clampLimitTo bounds a requested page size.
func clampLimitTo(n, def, max int) int {
	switch {
	case n <= 0:
		return def
	case n > max:
		return max
	}
	return n
}
