package store

import (
	"context"
	"fmt"
	"strings"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// The subscriptions list (issue 10, point 2): newest first by (created_at,
// id), filtered by state, gateway and a text in the serverId or the callback
// address, in keyset pages like the history (keyset.go), with counts by
// state that are read, not counted. Migration 00010 gives every filter an
// index that either walks in order or narrows the rows to few enough to
// sort; listPage plans each statement for its values, so the planner picks
// between them knowing the states. A search term is looked up in bounded
// steps instead (listSubscriptions).

// subscriptionListColumns reads a subscription "s" without a join: the
// gateway's name comes from a subquery per row shown, so the statement has
// one table and buildKeyset's unqualified keyset columns are the
// subscription's.
var subscriptionListColumns = func() string {
	const join, sub = "g.name AS gateway_name", "(SELECT g.name FROM gateways g WHERE g.id = s.gateway_id) AS gateway_name"
	if !strings.Contains(subscriptionColumns, join) {
		panic("store: subscriptionColumns no longer reads the gateway's name as " + join)
	}
	return strings.Replace(subscriptionColumns, join, sub, 1)
}()

// ListSubscriptions returns one newest-first page of the subscriptions
// matching f.
func (s *Store) ListSubscriptions(ctx context.Context, f domain.SubscriptionFilter, p domain.PageRequest) (domain.SubscriptionPage, error) {
	match := domain.MatchStart
	if f.Text != "" {
		var err error
		if match, err = s.SubscriptionTextMatch(ctx); err != nil {
			return domain.SubscriptionPage{}, fmt.Errorf("store.ListSubscriptions: %w", err)
		}
	}
	return s.listSubscriptions(ctx, f, p, match)
}

// A search term is looked up in bounded steps with the plan of each
// forced, because the planner cannot judge a term on its own: it prices a
// row's ILIKE at a hundredth of its real cost (microseconds on a
// 60-character address), so for a term in one percent of the rows it walks
// the newest-first index testing ten thousand rows rather than read the
// few hundred matches through the trigram index and sort them; and its
// guess of how many rows a term matches can be off either way. Its guesses
// only choose which step comes first. Each step is one round trip, its
// settings SET LOCAL in the step's own batch (Reads.plan):
//
//   - walk: the newest textCap(limit) rows after the cursor (with the
//     other filters, through their ordered index) are tested for the term.
//     A page found among them is the page: the rows past the window are
//     further from the cursor. First when the planner expects the window
//     to hold a page: with R rows to walk and M matches, (limit+1)·R/M <
//     textCap. (It was "< M", walking only when that tests fewer rows than
//     there are matches; but reading the matches costs the trigram index's
//     whole posting for the term, whatever the other filters: at 100,000
//     subscriptions a term in 4,444 of them, 1,345 with the state and
//     gateway asked for, took 22 ms that way against 3 ms for the walk. A
//     walk that comes short costs a window, about 2 ms.)
//   - matches: at most textCap+1 matches are read through the indexes
//     (bitmap scans only) and sorted. When there are no more than textCap,
//     that is the page.
//   - common: the term matches more than textCap rows, so walking the
//     ordered index (index scans only) finds a page within about
//     (limit+1)·R/textCap rows. Only after both others came short.
//
// A common term thus costs a window at most; a rare one its matches; one
// the planner misjudges both, each bounded by textCap rows.

// textCap bounds the rows a step tests: about sqrt(51 × 100,000) for a page
// of 50, where testing a window and sorting the matches of a term too rare
// to fill it cost about the same.
func textCap(limit int) int { return 40 * (limit + 1) }

// cappedRow is a row of the matches step with how many matches it read.
type cappedRow struct {
	subscriptionRow
	Matched int64 `db:"matched"`
}

func (s *Store) listSubscriptions(ctx context.Context, f domain.SubscriptionFilter, p domain.PageRequest,
	match domain.TextMatch) (domain.SubscriptionPage, error) {
	if f.Text == "" {
		return subscriptionPage(ctx, s, buildSubscriptionQuery(f, p, match))
	}
	limit := clampLimit(p.Limit)
	rows, matches, err := estimateTextRows(s, ctx, buildSubscriptionEstimate(f, p, match))
	if err != nil {
		return domain.SubscriptionPage{}, err
	}
	var page domain.SubscriptionPage
	if float64(limit+1)*rows < float64(textCap(limit))*matches {
		page, err = subscriptionPageWith(ctx, s, buildSubscriptionWindow(f, p, match), walkPlan...)
		if err != nil || fullPage(page, p) {
			return page, err
		}
	}
	var matched int64
	rd := s.Reads(ctx)
	rd.plan(matchesPlan...)
	queueList(rd, buildSubscriptionMatches(f, p, match, textCap(limit)+1),
		func(r cappedRow) domain.Cursor { return r.subscriptionRow.cursor() },
		func(r cappedRow) domain.Subscription { matched = r.Matched; return r.subscriptionRow.domain() },
		func(l listed[domain.Subscription]) {
			page = domain.SubscriptionPage{Subscriptions: l.rows, Older: l.older, Newer: l.newer}
		})
	if err := rd.Send(ctx); err != nil {
		return domain.SubscriptionPage{}, fmt.Errorf("store.ListSubscriptions: %w", err)
	}
	if matched <= int64(textCap(limit)) {
		return page, nil
	}
	return subscriptionPageWith(ctx, s, buildSubscriptionQuery(f, p, match), walkPlan...)
}

// The plans of a search's steps, forced: the walk and the common term read
// an ordered index (index scans only); the matches step reads the indexes
// as bitmaps and sorts. Each names every setting, so no step depends on
// another's having run before it.
var (
	walkPlan    = []string{"enable_seqscan = off", "enable_indexscan = on", "enable_bitmapscan = off"}
	matchesPlan = []string{"enable_seqscan = off", "enable_indexscan = off", "enable_bitmapscan = on"}
)

// fullPage reports whether page was read with a row to spare beyond it, in
// the direction walked from p's cursor.
func fullPage(page domain.SubscriptionPage, p domain.PageRequest) bool {
	if p.After != nil && p.Before == nil {
		return page.Newer != nil
	}
	return page.Older != nil
}

func (r subscriptionRow) cursor() domain.Cursor { return domain.Cursor{At: r.CreatedAt, ID: r.ID} }

// subscriptionPage runs a list statement of subscriptions.
func subscriptionPage(ctx context.Context, s *Store, q keysetQuery) (domain.SubscriptionPage, error) {
	subs, older, newer, err := listPage(ctx, s, "ListSubscriptions", q, subscriptionRow.cursor, subscriptionRow.domain)
	return domain.SubscriptionPage{Subscriptions: subs, Older: older, Newer: newer}, err
}

// subscriptionPageWith reads a list statement of subscriptions with the
// planner settings given, in one round trip (Reads.plan).
func subscriptionPageWith(ctx context.Context, s *Store, q keysetQuery, settings ...string) (domain.SubscriptionPage, error) {
	var page domain.SubscriptionPage
	rd := s.Reads(ctx)
	rd.plan(settings...)
	queueList(rd, q, subscriptionRow.cursor, subscriptionRow.domain, func(l listed[domain.Subscription]) {
		page = domain.SubscriptionPage{Subscriptions: l.rows, Older: l.older, Newer: l.newer}
	})
	if err := rd.Send(ctx); err != nil {
		return domain.SubscriptionPage{}, fmt.Errorf("store.ListSubscriptions: %w", err)
	}
	return page, nil
}

// estimateTextRows is how a search learns the planner's guesses; tests
// replace it to take each order of steps.
var estimateTextRows = (*Store).estimateTextRows

// estimateTextRows is the planner's guesses of the rows q reads: without
// the term (the rows to walk) and with it (the matches).
func (s *Store) estimateTextRows(ctx context.Context, q keysetQuery) (rows, matches float64, err error) {
	var plan []struct {
		Plan struct {
			Plans []struct {
				Rows float64 `json:"Plan Rows"`
			}
		}
	}
	if err := s.db.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q.sql, pgx.QueryExecModeCacheDescribe, q.args).Scan(&plan); err != nil {
		return 0, 0, fmt.Errorf("store.ListSubscriptions: estimate: %w", err)
	}
	if len(plan) == 0 || len(plan[0].Plan.Plans) != 2 {
		return 0, 0, nil // no guess: the matches first
	}
	return plan[0].Plan.Plans[0].Rows, plan[0].Plan.Plans[1].Rows, nil
}

// buildSubscriptionEstimate is what the planner is asked to guess: the rows
// after the cursor with the other filters, then with the term too.
func buildSubscriptionEstimate(f domain.SubscriptionFilter, p domain.PageRequest, match domain.TextMatch) keysetQuery {
	filters := subscriptionFilters(f, match)
	others, _ := keysetWhere("created_at", filters[:len(filters)-2], p)
	all, args := keysetWhere("created_at", filters, p)
	return keysetQuery{sql: "SELECT 1 FROM subscriptions s" + others + " UNION ALL SELECT 2 FROM subscriptions s" + all,
		args: args}
}

func buildSubscriptionQuery(f domain.SubscriptionFilter, p domain.PageRequest, match domain.TextMatch) keysetQuery {
	return buildKeyset(subscriptionListColumns, "subscriptions s", "created_at", subscriptionFilters(f, match), p,
		clampLimit(p.Limit))
}

// buildSubscriptionMatches is the matches step of a search: at most most
// matches in no order, so that nothing makes the scan read them all, then
// the page of them, each row with the number read. The cursor is repeated
// outside, which changes no row and gives the page its direction.
func buildSubscriptionMatches(f domain.SubscriptionFilter, p domain.PageRequest, match domain.TextMatch, most int) keysetQuery {
	where, args := keysetWhere("created_at", subscriptionFilters(f, match), p)
	q := buildKeyset(subscriptionListColumns+", (SELECT count(*) FROM m) AS matched", "m s", "created_at", nil, p,
		clampLimit(p.Limit))
	q.sql = fmt.Sprintf("WITH m AS MATERIALIZED (SELECT * FROM subscriptions s%s LIMIT %d) %s", where, most, q.sql)
	for k, v := range args {
		q.args[k] = v
	}
	return q
}

// buildSubscriptionWindow is the walk step of a search: the term tested on
// the newest textCap rows after the cursor that pass the other filters.
func buildSubscriptionWindow(f domain.SubscriptionFilter, p domain.PageRequest, match domain.TextMatch) keysetQuery {
	limit := clampLimit(p.Limit)
	filters := subscriptionFilters(f, match)
	text := filters[len(filters)-2:]
	window := buildKeyset("*", "subscriptions s", "created_at", filters[:len(filters)-2], p, textCap(limit)-1)
	q := buildKeyset(subscriptionListColumns, "("+window.sql+") s", "created_at", text, p, limit)
	for k, v := range window.args {
		q.args[k] = v
	}
	return q
}

// keysetWhere is the WHERE clause that buildKeyset writes, alone.
func keysetWhere(timeCol string, filters []filter, p domain.PageRequest) (string, pgx.NamedArgs) {
	args := pgx.NamedArgs{}
	var conds []string
	for _, f := range filters {
		if f.given {
			conds = append(conds, f.cond)
			args[f.name] = f.value
		}
	}
	switch {
	case p.Before != nil:
		conds = append(conds, fmt.Sprintf("(%s, id) < (@cursor_at, @cursor_id)", timeCol))
		args["cursor_at"], args["cursor_id"] = p.Before.At, p.Before.ID
	case p.After != nil:
		conds = append(conds, fmt.Sprintf("(%s, id) > (@cursor_at, @cursor_id)", timeCol))
		args["cursor_at"], args["cursor_id"] = p.After.At, p.After.ID
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// subscriptionFilters lists the subscriptions list's filters; zero values
// mean "any".
func subscriptionFilters(f domain.SubscriptionFilter, match domain.TextMatch) []filter {
	states := make([]string, len(f.States))
	for i, st := range f.States {
		states[i] = string(st)
	}
	anywhere := match == domain.MatchAnywhere && domain.MatchesAnywhere(f.Text)
	return []filter{
		// One state is an equality, so subscriptions_state_created_idx
		// returns it in order; several are ranges of that index.
		{len(states) == 1, "state = @state", "state", first(states)},
		{len(states) > 1, "state = ANY(@states)", "states", states},
		{f.GatewayID != 0, "gateway_id = @gateway_id", "gateway_id", f.GatewayID},
		// The text's two conditions come last (buildSubscriptionWindow).
		{f.Text != "" && anywhere, subscriptionTextAnywhere, "text", escapeLike(f.Text)},
		{f.Text != "" && !anywhere, subscriptionTextAtStart, "text", escapeLike(f.Text) + "%"},
	}
}

// subscriptionTextAnywhere is the expression of subscriptions_text_trgm_idx
// (database.Migrate builds it with pg_trgm): the serverId and the callback
// address joined by a line feed, which a term cannot hold, so a term never
// matches across the two.
const subscriptionTextAnywhere = `(server_id || E'\n' || callback_uri) ILIKE '%' || @text || '%'`

// subscriptionTextAtStart matches the start of the serverId, of the
// callback address, or of the address after its scheme ("crm.example" finds
// https://crm.example.com/…): four ranges of subscriptions_server_id_prefix_idx
// and subscriptions_callback_prefix_idx. The redundant test that the
// serverId is not empty lets the planner use the partial serverId index.
const subscriptionTextAtStart = `(server_id LIKE @text AND server_id <> ''
		OR lower(callback_uri) LIKE lower(@text)
		OR lower(callback_uri) LIKE 'https://' || lower(@text)
		OR lower(callback_uri) LIKE 'http://' || lower(@text))`

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// subscriptionTrigramIndex is the index that lets the subscriptions list
// find a term anywhere; database.Migrate builds it under this name.
const subscriptionTrigramIndex = "subscriptions_text_trgm_idx"

// SubscriptionTextMatch says how the subscriptions list's search terms are
// matched on this database: anywhere when subscriptions_text_trgm_idx
// exists and is valid, else at the start. Like TextMatch, it looks at the
// catalog once and remembers the answer.
func (s *Store) SubscriptionTextMatch(ctx context.Context) (domain.TextMatch, error) {
	s.text.mu.Lock()
	defer s.text.mu.Unlock()
	if s.text.subscriptions != 0 {
		return s.text.subscriptions, nil
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'subscriptions'::regclass AND c.relname = $1 AND i.indisvalid AND i.indisready`,
		subscriptionTrigramIndex).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store.SubscriptionTextMatch: %w", err)
	}
	s.text.subscriptions = domain.MatchStart
	if n == 1 {
		s.text.subscriptions = domain.MatchAnywhere
	}
	return s.text.subscriptions, nil
}

// CountSubscriptions returns how many subscriptions are in each state, of
// one gateway or (gatewayID 0) of all. It reads the counters that
// migration 00010's trigger keeps, a few rows per gateway, never the
// subscriptions themselves.
func (s *Store) CountSubscriptions(ctx context.Context, gatewayID int64) (domain.SubscriptionCounts, error) {
	rows, _ := s.db.Query(ctx, subscriptionCountsSQL, gatewayID)
	counts, err := scanSubscriptionCounts(rows)
	if err != nil {
		return nil, fmt.Errorf("store.CountSubscriptions: %w", err)
	}
	return counts, nil
}

const subscriptionCountsSQL = `SELECT state, sum(n)::bigint FROM subscription_counts
	WHERE gateway_id = $1 OR $1 = 0 GROUP BY state HAVING sum(n) <> 0`

func scanSubscriptionCounts(rows pgx.Rows) (domain.SubscriptionCounts, error) {
	defer rows.Close()
	counts := domain.SubscriptionCounts{}
	for rows.Next() {
		var state domain.SubState
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		counts[state] = n
	}
	return counts, rows.Err()
}
