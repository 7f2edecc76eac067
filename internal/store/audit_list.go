package store

import (
	"context"
	"encoding/json"
	"time"

	"ccsub/internal/domain"
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
	entries, older, newer, err := listPage(ctx, s, "ListAudit", buildAuditQuery(f, p),
		auditRow.cursor, auditRow.domain)
	return domain.AuditPage{Entries: entries, Older: older, Newer: newer}, err
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

func (r auditRow) cursor() domain.Cursor { return domain.Cursor{At: r.At, ID: r.ID} }

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

func buildAuditQuery(f domain.AuditFilter, p domain.PageRequest) keysetQuery {
	return buildKeyset(auditColumns, "audit_log", "at", auditFilters(f), p, pageLimit(p))
}

// auditFilters lists the audit trail's filters; zero values mean "any".
func auditFilters(f domain.AuditFilter) []filter {
	return []filter{
		{f.Actor != "", "actor = @actor", "actor", f.Actor},
		{f.Action != "", "action = @action", "action", string(f.Action)},
		{f.TargetType != "", "target_type = @target_type", "target_type", f.TargetType},
		{f.TargetID != "", "target_id = @target_id", "target_id", f.TargetID},
		{!f.From.IsZero(), "at >= @from", "from", f.From},
		{!f.To.IsZero(), "at < @to", "to", f.To},
	}
}
