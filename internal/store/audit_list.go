package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// UnreadableDiff is the only key of a diff whose stored JSON cannot be
// decoded (possible only if a row was edited behind the trigger's back):
// the page still lists the entry, and verify names it.
const UnreadableDiff = "(unreadable diff)"

// ListAudit returns one newest-first page of the audit trail matching f.
//
// It follows ListCalls' rules for a table of millions of rows: only the
// filters given are in the WHERE clause, each a bare comparison an index
// ((actor|action|target_type, target_id), at, id) can serve; the keyset
// predicate on the primary key (at, id) is a bare row comparison; one
// extra row says whether more exist, and nothing is counted.
func (s *Store) ListAudit(ctx context.Context, f domain.AuditFilter, p domain.PageRequest) (domain.AuditPage, error) {
	q := buildAuditQuery(f, p)
	rows, _ := s.pool.Query(ctx, q.sql, q.args)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByName[auditRow])
	if err != nil {
		return domain.AuditPage{}, fmt.Errorf("store.ListAudit: %w", err)
	}
	return q.page(rs), nil
}

// auditRow is one audit_log row as read for the list.
type auditRow struct {
	ID         int64     `db:"id"`
	At         time.Time `db:"at"`
	Actor      string    `db:"actor"`
	SourceAddr string    `db:"source_addr"`
	UserAgent  string    `db:"user_agent"`
	Action     string    `db:"action"`
	TargetType string    `db:"target_type"`
	TargetID   string    `db:"target_id"`
	TargetName string    `db:"target_name"`
	Outcome    string    `db:"outcome"`
	Diff       string    `db:"diff"`
	PrevHash   []byte    `db:"prev_hash"`
	Hash       []byte    `db:"hash"`
}

const auditColumns = "id, at, actor, source_addr, user_agent, action, target_type, target_id, target_name, outcome, diff, prev_hash, hash"

func (r auditRow) domain() domain.AuditEntry {
	return domain.AuditEntry{
		ID: r.ID, At: r.At.UTC(), Actor: r.Actor, SourceAddr: r.SourceAddr, UserAgent: r.UserAgent,
		Action: domain.AuditAction(r.Action), TargetType: r.TargetType, TargetID: r.TargetID, TargetName: r.TargetName,
		Outcome: r.Outcome, Diff: decodeDiff(r.Diff), PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

// decodeDiff turns the stored JSON text back into field changes. Numbers
// decode as float64, as JSON has only one number type.
func decodeDiff(s string) map[string]domain.FieldChange {
	d := map[string]domain.FieldChange{}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return map[string]domain.FieldChange{UnreadableDiff: {After: s}}
	}
	return d
}

// auditQuery is one ListAudit statement and what is needed to read its rows.
type auditQuery struct {
	sql    string
	args   pgx.NamedArgs
	limit  int
	before bool
	after  bool // paging newer than a cursor: read ascending, then reversed
}

// buildAuditQuery writes the statement for f and p; values travel only as
// arguments, and the clamped limit is a literal so that a generic plan
// still knows how few rows are wanted.
func buildAuditQuery(f domain.AuditFilter, p domain.PageRequest) auditQuery {
	q := auditQuery{args: pgx.NamedArgs{}, limit: clampLimit(p.Limit)}
	conds := auditConditions(f, q.args)
	switch {
	case p.Before != nil:
		q.before = true
		conds = append(conds, "(at, id) < (@cursor_at, @cursor_id)")
		q.args["cursor_at"], q.args["cursor_id"] = p.Before.At, p.Before.ID
	case p.After != nil:
		q.after = true
		conds = append(conds, "(at, id) > (@cursor_at, @cursor_id)")
		q.args["cursor_at"], q.args["cursor_id"] = p.After.At, p.After.ID
	}
	var b strings.Builder
	b.WriteString("SELECT " + auditColumns + " FROM audit_log")
	if len(conds) > 0 {
		b.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	dir := "DESC"
	if q.after {
		dir = "ASC"
	}
	fmt.Fprintf(&b, " ORDER BY at %s, id %s LIMIT %d", dir, dir, q.limit+1)
	q.sql = b.String()
	return q
}

// auditConditions returns one condition per filter given in f.
func auditConditions(f domain.AuditFilter, args pgx.NamedArgs) []string {
	filters := []struct {
		given bool
		cond  string
		name  string
		value any
	}{
		{f.Actor != "", "actor = @actor", "actor", f.Actor},
		{f.Action != "", "action = @action", "action", string(f.Action)},
		{f.TargetType != "", "target_type = @target_type", "target_type", f.TargetType},
		{f.TargetID != "", "target_id = @target_id", "target_id", f.TargetID},
		{!f.From.IsZero(), "at >= @from", "from", f.From},
		{!f.To.IsZero(), "at < @to", "to", f.To},
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

// page turns the rows read (up to limit+1, in query order) into a
// newest-first page with cursors to the neighbouring pages.
func (q auditQuery) page(rs []auditRow) domain.AuditPage {
	more := len(rs) > q.limit
	if more {
		rs = rs[:q.limit]
	}
	if q.after {
		slices.Reverse(rs)
	}
	page := domain.AuditPage{Entries: make([]domain.AuditEntry, len(rs))}
	for i, r := range rs {
		page.Entries[i] = r.domain()
	}
	if len(rs) == 0 {
		return page
	}
	newest := domain.Cursor{At: rs[0].At, ID: rs[0].ID}
	oldest := domain.Cursor{At: rs[len(rs)-1].At, ID: rs[len(rs)-1].ID}
	if more || q.after {
		page.Older = &oldest
	}
	if q.before || q.after && more {
		page.Newer = &newest
	}
	return page
}
