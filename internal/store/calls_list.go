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
	// ExportBatch is the most rows a Bulk request reads at once: an export
	// of a million rows in 500 statements rather than 5,000 (each a round
	// trip and a plan).
	ExportBatch = 2000
)

// ListCalls returns one newest-first page of the history matching f. It is
// the hot path; keyset.go says how its statement is shaped, textsearch.go
// how text search terms are looked up first.
func (s *Store) ListCalls(ctx context.Context, f domain.CallFilter, p domain.PageRequest) (domain.CallPage, error) {
	terms, err := s.lookUpTerms(ctx, f)
	if err != nil {
		return domain.CallPage{}, fmt.Errorf("store.ListCalls: %w", err)
	}
	for _, t := range terms {
		if !t.many && len(t.values) == 0 {
			return domain.CallPage{}, nil // no address or message holds the term
		}
	}
	fewPrefix := false
	if f.ServerIDPrefix && f.ServerID != "" && len(terms) == 0 {
		n, few, err := s.serverIDPrefixCalls(ctx, f.ServerID)
		if err != nil {
			return domain.CallPage{}, fmt.Errorf("store.ListCalls: %w", err)
		}
		if n == 0 {
			return domain.CallPage{}, nil
		}
		fewPrefix = few
	}
	calls, older, newer, err := listPage(ctx, s, "ListCalls", buildCallQuery(f, p, terms, fewPrefix),
		func(r callRow) domain.Cursor { return domain.Cursor{At: r.StartedAt, ID: r.ID} }, callRow.domain)
	return domain.CallPage{Calls: calls, Older: older, Newer: newer}, err
}

// serverIDPrefixFew: a serverId prefix with at most this many calls has
// the keys of all of them read from calls_server_id_prefix_idx and sorted
// (22,700–32,800 calls, a day of serverIds at 10 million calls, take
// 13–20 ms). The platform's serverIds start with a time stamp, so a
// prefix's calls are clustered in time: walking the primary key newest
// first until they come, which the planner chooses for a prefix it judges
// common enough, reads most of the table for a day a year ago (4 s), and
// took 112 ms for a day of 32,800 calls eight months back when this bound
// was 30,000 (docs/benchmarks.md, the 10 M run). More calls than this, or
// more than a tenth of the table: the planner chooses. Counting up to it
// costs a broad prefix (a month, 800,000 calls) 12 ms at 10 million calls,
// against 4 ms for 30,000.
const serverIDPrefixFew = 100000

// serverIDPrefixCalls counts the calls whose serverId starts with prefix,
// up to serverIDPrefixFew and one, in the order of
// calls_server_id_prefix_idx (so from it alone, and never further), and
// says whether they are few (see serverIDPrefixFew).
func (s *Store) serverIDPrefixCalls(ctx context.Context, prefix string) (n int, few bool, err error) {
	var rows float64
	err = s.db.QueryRow(ctx, `SELECT count(*), (SELECT reltuples FROM pg_class WHERE oid = 'calls'::regclass)
		FROM (SELECT 1 FROM calls WHERE server_id LIKE @prefix AND server_id <> ''
			ORDER BY server_id USING ~<~ LIMIT @n) x`, pgx.QueryExecModeCacheDescribe,
		pgx.NamedArgs{"prefix": escapeLike(prefix) + "%", "n": serverIDPrefixFew + 1}).Scan(&n, &rows)
	if err != nil {
		return 0, false, fmt.Errorf("count the calls of serverId prefix %q: %w", prefix, err)
	}
	return n, n <= serverIDPrefixFew && float64(n) <= rows/10, nil
}

// lookUpTerms finds the values of call_texts holding f's text search
// terms.
func (s *Store) lookUpTerms(ctx context.Context, f domain.CallFilter) ([]textTerm, error) {
	if f.CallbackContains == "" && f.MessageContains == "" {
		return nil, nil
	}
	match, err := s.TextMatch(ctx)
	if err != nil {
		return nil, err
	}
	var terms []textTerm
	for _, k := range []struct {
		kind textKind
		term string
	}{{callbackText, f.CallbackContains}, {messageText, f.MessageContains}} {
		if k.term == "" {
			continue
		}
		t, err := s.lookUpTerm(ctx, k.kind, k.term, match)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// buildCallQuery is the statement of one page of the history. Without a
// text search term or a serverId prefix it is buildKeyset's: the WHERE
// clause an index walked in list order serves. A term drives the page
// through the values found for it (the one with fewer values, when both
// are given; the other becomes a condition):
//
//   - up to lateralValues values: each value's newest calls are read from
//     its index on their own (LATERAL, a page at most each, from the index
//     alone) and merged, then the page's rows are read by their keys;
//   - up to maxTextValues: the keys of the calls of all the values
//     (= ANY) are read and sorted, or the primary key is walked, as the
//     planner judges from the values' frequencies, then the page's rows;
//   - more: the term is a condition on the calls, walked newest first.
//
// A serverId prefix alone with few calls (fewPrefix, see
// serverIDPrefixFew) reads the keys of all its calls first (a CTE planned
// on its own, so from the prefix's index), sorts them, then reads the
// page's rows.
func buildCallQuery(f domain.CallFilter, p domain.PageRequest, terms []textTerm, fewPrefix bool) keysetQuery {
	filters := callFilters(f)
	var driver *textTerm
	for i, t := range terms {
		if !t.many && (driver == nil || len(t.values) < len(driver.values)) {
			driver = &terms[i]
		}
	}
	for _, t := range terms {
		switch {
		case driver != nil && t.kind == driver.kind:
		case t.many:
			filters = append(filters, filter{true, t.cond(t.folded), t.kind, t.pattern()})
		default:
			filters = append(filters, filter{true, t.indexed + " = ANY(@" + t.kind + "_values) AND " + t.present,
				t.kind + "_values", t.values})
		}
	}
	limit := pageLimit(p)
	switch {
	case driver != nil && len(driver.values) <= lateralValues:
		each := append(slices.Clone(filters), filter{true, driver.indexed + " = t.value AND " + driver.present, "", nil})
		q := buildKeyset("started_at, id", "calls", "started_at", each, p, limit)
		q.args["text_values"] = driver.values
		return byKeys(q, "SELECT x.started_at, x.id FROM unnest(@text_values::text[]) t(value) CROSS JOIN LATERAL ("+
			q.sql+") x ORDER BY x.started_at "+q.dir()+", x.id "+q.dir()+fmt.Sprintf(" LIMIT %d", limit+1))
	case driver != nil:
		all := append(slices.Clone(filters), filter{true, driver.indexed + " = ANY(@text_values) AND " + driver.present,
			"text_values", driver.values})
		q := buildKeyset("started_at, id", "calls", "started_at", all, p, limit)
		return byKeys(q, q.sql)
	case fewPrefix:
		q := buildKeyset("started_at, id", "calls", "started_at", filters, p, limit)
		q = byKeys(q, "SELECT started_at, id FROM matched ORDER BY started_at "+q.dir()+", id "+q.dir()+
			fmt.Sprintf(" LIMIT %d", limit+1))
		q.sql = "WITH matched AS MATERIALIZED (SELECT started_at, id FROM calls" + q.where + ") " + q.sql
		return q
	}
	return buildKeyset(callListColumns, "calls", "started_at", filters, p, limit)
}

// byKeys is q reading its page's rows by the keys that keys (a statement
// of started_at and id, in q's order, at most a page and one) yields.
func byKeys(q keysetQuery, keys string) keysetQuery {
	q.sql = "SELECT " + callListColumns + " FROM calls WHERE (started_at, id) IN (" + keys + ") ORDER BY started_at " +
		q.dir() + ", id " + q.dir()
	return q
}

// callFilters lists the history's filters but the text search terms; zero
// values mean "any".
func callFilters(f domain.CallFilter) []filter {
	return []filter{
		{f.GatewayID != 0, "gateway_id = @gateway_id", "gateway_id", f.GatewayID},
		{f.Operation != "", "operation = @operation", "operation", string(f.Operation)},
		{f.Outcome != "", "outcome = @outcome", "outcome", string(f.Outcome)},
		{f.Retcode != "", "retcode = @retcode", "retcode", f.Retcode},
		// The redundant "<> ''" lets a plan use the partial index
		// calls_server_id_prefix_idx (text_pattern_ops, so it serves both
		// equality and a LIKE prefix): the planner cannot prove it from
		// the condition.
		{f.ServerID != "" && !f.ServerIDPrefix, "server_id = @server_id AND server_id <> ''", "server_id", f.ServerID},
		{f.ServerID != "" && f.ServerIDPrefix, "server_id LIKE @server_id AND server_id <> ''", "server_id",
			escapeLike(f.ServerID) + "%"},
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

// pageLimit is p's bounded page size: MaxCallLimit for a page someone asked
// for, ExportBatch for a Bulk batch.
func pageLimit(p domain.PageRequest) int {
	if p.Bulk {
		return clampLimitTo(p.Limit, DefaultCallLimit, ExportBatch)
	}
	return clampLimit(p.Limit)
}
