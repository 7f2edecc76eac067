package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

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
	prefix := prefixPlanned
	if f.ServerIDPrefix && f.ServerID != "" && len(terms) == 0 {
		if prefix, err = s.serverIDPrefixPlan(ctx, f.ServerID); err != nil {
			return domain.CallPage{}, fmt.Errorf("store.ListCalls: %w", err)
		}
		if prefix == prefixNone {
			return domain.CallPage{}, nil
		}
	}
	calls, older, newer, err := listPage(ctx, s, "ListCalls", buildCallQuery(f, p, terms, prefix),
		func(r callRow) domain.Cursor { return domain.Cursor{At: r.StartedAt, ID: r.ID} }, callRow.domain)
	return domain.CallPage{Calls: calls, Older: older, Newer: newer}, err
}

// prefixPlan is how a page of a serverId prefix is read.
type prefixPlan int

const (
	// prefixPlanned: the prefix is a condition like any other, and the
	// planner chooses (also: no prefix at all).
	prefixPlanned prefixPlan = iota
	// prefixNone: no call has the prefix; nothing to read.
	prefixNone
	// prefixFew: the keys of all its calls are read from
	// calls_server_id_prefix_idx and sorted.
	prefixFew
	// prefixDay: calls_server_id_day_idx is walked newest first within the
	// prefix's first eight characters (a day of the platform's serverIds),
	// the rest of the prefix a filter: one page read, however large the day.
	prefixDay
)

// A serverId prefix with at most prefixSortFew calls has their keys read
// and sorted (fewer than a millisecond); a prefix of a day or longer with
// more walks the day's index. A shorter prefix (a month: 800,000 calls at
// 10 million) with up to serverIDPrefixFew calls, and at most a tenth of the
// table, is read and sorted too (22,700–32,800 calls take 13–20 ms; the
// primary key walked newest first until they come reads most of the table
// for a month a year ago). More calls than that: the planner chooses.
// Counting up to serverIDPrefixFew costs a broad prefix 12 ms at 10 million
// calls, so it is counted only when the day's index cannot serve it.
const (
	prefixSortFew     = 2000
	serverIDPrefixFew = 100000
	dayPrefixLen      = 8 // calls_server_id_day_idx's left(server_id, 8)
)

// serverIDPrefixPlan counts the calls whose serverId starts with prefix,
// as far as the choice needs, in the order of calls_server_id_prefix_idx
// (so from it alone, and never further), and chooses how to read the page.
func (s *Store) serverIDPrefixPlan(ctx context.Context, prefix string) (prefixPlan, error) {
	n, rows, err := s.countServerIDPrefix(ctx, prefix, prefixSortFew)
	switch {
	case err != nil:
		return prefixPlanned, err
	case n == 0:
		return prefixNone, nil
	case n <= prefixSortFew:
		return prefixFew, nil
	case utf8.RuneCountInString(prefix) >= dayPrefixLen:
		return prefixDay, nil
	}
	if n, rows, err = s.countServerIDPrefix(ctx, prefix, serverIDPrefixFew); err != nil {
		return prefixPlanned, err
	}
	if n <= serverIDPrefixFew && float64(n) <= rows/10 {
		return prefixFew, nil
	}
	return prefixPlanned, nil
}

// countServerIDPrefix counts the calls of a serverId prefix up to upTo and
// one, with the planner's estimate of the table's rows.
func (s *Store) countServerIDPrefix(ctx context.Context, prefix string, upTo int) (n int, rows float64, err error) {
	err = s.db.QueryRow(ctx, `SELECT count(*), (SELECT reltuples FROM pg_class WHERE oid = 'calls'::regclass)
		FROM (SELECT 1 FROM calls WHERE server_id LIKE @prefix AND server_id <> ''
			ORDER BY server_id USING ~<~ LIMIT @n) x`, pgx.QueryExecModeCacheDescribe,
		pgx.NamedArgs{"prefix": escapeLike(prefix) + "%", "n": upTo + 1}).Scan(&n, &rows)
	if err != nil {
		return 0, 0, fmt.Errorf("count the calls of serverId prefix %q: %w", prefix, err)
	}
	return n, rows, nil
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
// A serverId prefix alone with few calls (prefixFew, see prefixSortFew)
// reads the keys of all its calls first (a CTE planned on its own, so from
// the prefix's index), sorts them, then reads the page's rows; one of a day
// or longer with many (prefixDay) walks the day's index.
func buildCallQuery(f domain.CallFilter, p domain.PageRequest, terms []textTerm, prefix prefixPlan) keysetQuery {
	filters := callFilters(f)
	if prefix == prefixDay {
		filters = dayPrefixFilters(f)
	}
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
	case prefix == prefixFew:
		q := buildKeyset("started_at, id", "calls", "started_at", filters, p, limit)
		q = byKeys(q, "SELECT started_at, id FROM matched ORDER BY started_at "+q.dir()+", id "+q.dir()+
			fmt.Sprintf(" LIMIT %d", limit+1))
		q.sql = "WITH matched AS MATERIALIZED (SELECT started_at, id FROM calls" + q.where + ") " + q.sql
		return q
	}
	return buildKeyset(callListColumns, "calls", "started_at", filters, p, limit)
}

// dayPrefixFilters are f's filters with its serverId prefix written for
// calls_server_id_day_idx: the day (the first eight characters) as the
// index's equality, the rest of a longer prefix as a plain filter. Not the
// LIKE of callFilters: the planner would multiply the two conditions'
// selectivities (a day's 32,000 calls estimated at 5 at 10 million calls)
// and read the prefix's index and sort instead. A longer prefix is written
// as left(server_id, n) = prefix, which no index serves and the planner
// estimates at its default, so the day's index is walked with the filter.
func dayPrefixFilters(f domain.CallFilter) []filter {
	prefix := f.ServerID
	f.ServerID = ""
	filters := append(callFilters(f), filter{true, fmt.Sprintf("left(server_id, %d) = @server_id_day AND server_id <> ''", dayPrefixLen), "server_id_day",
		firstRunes(prefix, dayPrefixLen)})
	if n := utf8.RuneCountInString(prefix); n > dayPrefixLen {
		filters = append(filters, filter{true, fmt.Sprintf("left(server_id, %d) = @server_id_start", n), "server_id_start", prefix})
	}
	return filters
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

// firstRunes is s's first n characters (left(s, n) in SQL).
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
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
