package store

import (
	"context"
	"fmt"
	"sync"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// The history's text search (issue 10; docs/decisions.md, "Text search in
// the history"). A term is first looked up among the distinct callback
// addresses or messages (call_texts, kept by triggers on calls: thousands
// of rows where calls has millions): anywhere through the trigram index
// call_texts_trgm_idx, which database.Migrate builds when pg_trgm can be
// created, or at the start through call_texts_start_idx. The calls of the
// values found are then read newest first through calls_callback_idx or
// calls_message_idx, which hold each value's calls in list order: a page
// costs a few index descents per value found, however many calls match
// and however large the table. Messages are kept as their first 200
// characters (callback addresses have at most 200).

// TrigramIndex is the index that lets text search find a term anywhere;
// database.Migrate builds it under this name.
const TrigramIndex = "call_texts_trgm_idx"

const (
	// lateralValues: up to this many values found, each value's newest
	// calls are read on their own and merged (costs a few index pages per
	// value). More values are read together with "= ANY", and the planner
	// chooses between their index and the primary key.
	lateralValues = 64
	// maxTextValues: a term found in more distinct values is searched in
	// the calls themselves, newest first: it is common enough to fill a
	// page soon.
	maxTextValues = 1000
)

// textMatch remembers how text search is served, once it is known. It is
// shared by a Store and the Stores bound to its transactions.
type textMatch struct {
	mu            sync.Mutex
	match         domain.TextMatch // 0 until looked up
	subscriptions domain.TextMatch // the subscriptions list's (SubscriptionTextMatch)
}

// TextMatch says how the history's text search terms are matched on this
// database: anywhere when the trigram index exists and is valid, else at
// the start. It looks at the catalog once (database.Migrate has built
// what it could before the store is used) and remembers the answer.
func (s *Store) TextMatch(ctx context.Context) (domain.TextMatch, error) {
	s.text.mu.Lock()
	defer s.text.mu.Unlock()
	if s.text.match != 0 {
		return s.text.match, nil
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE i.indrelid = 'call_texts'::regclass AND c.relname = $1 AND i.indisvalid AND i.indisready`,
		TrigramIndex).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store.TextMatch: %w", err)
	}
	s.text.match = domain.MatchStart
	if n == 1 {
		s.text.match = domain.MatchAnywhere
	}
	return s.text.match, nil
}

// textKind is one of the history's searchable texts.
type textKind struct {
	kind    string // call_texts.kind, and the term's argument name
	folded  string // calls' column, lower-cased
	indexed string // the expression calls_<kind>_idx starts with
	present string // the predicate of that partial index
	// atStart matches the start of a lower-cased text (call_texts.folded,
	// or folded), with @<kind> standing for the LIKE pattern.
	atStart func(f string) string
}

var (
	callbackText = textKind{"callback", "lower(callback_uri)", "callback_uri", "callback_uri <> ''",
		// The address's start, or its start after the scheme: "crm.example"
		// finds https://crm.example.com/… as "https://crm" does.
		func(f string) string {
			return `(` + f + ` LIKE lower(@callback) OR ` + f + ` LIKE 'https://' || lower(@callback)
			OR ` + f + ` LIKE 'http://' || lower(@callback))`
		}}
	messageText = textKind{"message", "lower(message)", "left(message, 200)", "message <> ''",
		func(f string) string { return f + ` LIKE lower(@message)` }}
)

// textTerm is a text search term and the values of call_texts holding it.
type textTerm struct {
	textKind
	term     string
	anywhere bool     // ILIKE anywhere, else at the start
	values   []string // the distinct values holding the term
	many     bool     // more than maxTextValues: values is not used
}

// pattern is the term as the argument of the term's condition.
func (t textTerm) pattern() string {
	if t.anywhere {
		return escapeLike(t.term)
	}
	return escapeLike(t.term) + "%"
}

// cond is the term's condition on the lower-cased text f
// (call_texts.folded, or t.folded on calls itself).
func (t textTerm) cond(f string) string {
	if t.anywhere {
		return f + ` LIKE '%' || lower(@` + t.kind + `) || '%'`
	}
	return t.atStart(f)
}

// lookUpTerm finds the distinct values of kind holding term: anywhere when
// the trigram index serves it (and the term is long enough for a trigram),
// else at the start.
func (s *Store) lookUpTerm(ctx context.Context, k textKind, term string, match domain.TextMatch) (textTerm, error) {
	t := textTerm{textKind: k, term: term, anywhere: match == domain.MatchAnywhere && domain.MatchesAnywhere(term)}
	rows, _ := s.db.Query(ctx, `SELECT value FROM call_texts WHERE kind = @kind AND `+t.cond("folded")+
		fmt.Sprintf(" LIMIT %d", maxTextValues+1), pgx.QueryExecModeCacheDescribe,
		pgx.NamedArgs{"kind": k.kind, k.kind: t.pattern()})
	values, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return t, fmt.Errorf("look up %s %q: %w", k.kind, term, err)
	}
	t.values, t.many = values, len(values) > maxTextValues
	return t, nil
}
