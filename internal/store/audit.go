package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// genesis is the prev_hash of the first audit entry.
var genesis = make([]byte, sha256.Size)

// auditContent is what an entry's hash covers, in a fixed field order.
// The id is left out: the chain order is the id order, and prev_hash pins it.
type auditContent struct {
	At         string `json:"at"`
	Actor      string `json:"actor"`
	SourceAddr string `json:"source_addr"`
	UserAgent  string `json:"user_agent"`
	Action     string `json:"action"`
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	TargetName string `json:"target_name"`
	Outcome    string `json:"outcome"`
	Diff       string `json:"diff"`
}

// AuditHash is sha256(prev_hash || canonical JSON of the entry's content).
func AuditHash(prev []byte, at time.Time, e domain.AuditEntry, diff string) []byte {
	b, _ := json.Marshal(auditContent{
		At: at.UTC().Format(time.RFC3339Nano), Actor: e.Actor, SourceAddr: e.SourceAddr, UserAgent: e.UserAgent,
		Action: string(e.Action), TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName,
		Outcome: e.Outcome, Diff: diff,
	})
	h := sha256.New()
	h.Write(prev)
	h.Write(b)
	return h.Sum(nil)
}

// AuditDiff is the exact JSON text an entry's diff is stored and hashed as
// ("{}" when it has none). Whoever writes entries without AppendAudit (the
// seeder) encodes diffs with it, so the chain verifies.
func AuditDiff(d map[string]domain.FieldChange) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// auditLockSQL serialises appends to the chain for the rest of the
// transaction, whichever process (or bulk load) writes.
const auditLockSQL = "SELECT pg_advisory_xact_lock(hashtext('ccsub.audit_log'))"

// auditHead is the hash the next entry links to: the newest entry's, or
// the genesis hash of an empty trail. Callers hold auditLockSQL's lock.
func auditHead(ctx context.Context, tx pgx.Tx) ([]byte, error) {
	prev := genesis
	err := tx.QueryRow(ctx, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").Scan(&prev)
	if err != nil && err != pgx.ErrNoRows {
		return nil, err
	}
	return prev, nil
}

// AppendAudit adds an entry at the head of the chain. Appends are
// serialised by a transaction-scoped advisory lock so the chain has no
// forks, whichever process writes.
func (s *Store) AppendAudit(ctx context.Context, e domain.AuditEntry) (domain.AuditEntry, error) {
	if e.Outcome == "" {
		e.Outcome = "success"
	}
	diff, err := AuditDiff(e.Diff)
	if err != nil {
		return e, fmt.Errorf("store.AppendAudit %s: diff: %w", e.Action, err)
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, auditLockSQL); err != nil {
			return err
		}
		prev, err := auditHead(ctx, tx)
		if err != nil {
			return err
		}
		// Microsecond precision: what timestamptz keeps, so the hash verifies.
		e.At = time.Now().UTC().Truncate(time.Microsecond)
		e.PrevHash, e.Hash = prev, AuditHash(prev, e.At, e, diff)
		return tx.QueryRow(ctx, `INSERT INTO audit_log (at, actor, source_addr, user_agent, action, target_type,
				target_id, target_name, outcome, diff, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			e.At, e.Actor, e.SourceAddr, e.UserAgent, string(e.Action), e.TargetType, e.TargetID, e.TargetName,
			e.Outcome, diff, e.PrevHash, e.Hash).Scan(&e.ID)
	})
	if err != nil {
		return e, fmt.Errorf("store.AppendAudit %s: %w", e.Action, err)
	}
	return e, nil
}

// VerifyAudit walks the whole chain in id order and returns how many
// entries it checked and the first broken link, if any.
func (s *Store) VerifyAudit(ctx context.Context) (int64, *domain.AuditBreak, error) {
	v, err := s.VerifyAuditChain(ctx)
	return v.Checked, v.Break, err
}

// VerifyAuditChain walks the whole chain in id order, recomputing every
// hash, and stops at the first broken link. When the chain is intact it
// also returns the head hash. It reads the chain in pages, so no single
// statement runs into the statement timeout however long the chain grows.
//
// When retention deleted the oldest entries (an administrator set a window
// for the audit trail), the chain starts from the hash of the last entry
// deleted (audit_anchor) instead of the genesis hash, and v.Anchor names
// that entry. A verify that races with such a delete starts once more.
func (s *Store) VerifyAuditChain(ctx context.Context) (domain.AuditVerification, error) {
	v, err := s.verifyAuditChain(ctx)
	if err == nil && v.Break != nil && v.Checked == 1 {
		if _, through, aerr := s.auditAnchor(ctx); aerr == nil && through != v.Anchor {
			return s.verifyAuditChain(ctx)
		}
	}
	return v, err
}

func (s *Store) verifyAuditChain(ctx context.Context) (domain.AuditVerification, error) {
	var v domain.AuditVerification
	prev, through, err := s.auditAnchor(ctx)
	if err != nil {
		return v, fmt.Errorf("store.VerifyAuditChain: anchor: %w", err)
	}
	v.Anchor = through
	for after := int64(math.MinInt64); ; {
		n, err := s.verifyAuditPage(ctx, &after, &prev, &v)
		if err != nil {
			return v, fmt.Errorf("store.VerifyAuditChain: %w", err)
		}
		if v.Break != nil {
			return v, nil
		}
		if n < auditVerifyPage {
			break
		}
	}
	v.Head = prev
	return v, nil
}

// auditVerifyPage is how many entries one statement of VerifyAuditChain
// reads: a few milliseconds of index scan. Tests shorten it.
var auditVerifyPage = 5000

// verifyAuditPage checks the entries after *after, advancing *after and
// *prev past each one that holds, and reports how many it read.
func (s *Store) verifyAuditPage(ctx context.Context, after *int64, prev *[]byte, v *domain.AuditVerification) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id, at, actor, source_addr, user_agent, action, target_type,
			target_id, target_name, outcome, diff, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`,
		*after, auditVerifyPage)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e domain.AuditEntry
		var action, diff string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.SourceAddr, &e.UserAgent, &action, &e.TargetType,
			&e.TargetID, &e.TargetName, &e.Outcome, &diff, &e.PrevHash, &e.Hash); err != nil {
			return n, err
		}
		n++
		e.Action = domain.AuditAction(action)
		v.Checked++
		if v.Break = checkLink(*prev, e, diff); v.Break != nil {
			return n, nil
		}
		*after, *prev = e.ID, e.Hash
	}
	return n, rows.Err()
}

// checkLink returns why e does not follow prev in the chain, or nil.
func checkLink(prev []byte, e domain.AuditEntry, diff string) *domain.AuditBreak {
	if !bytes.Equal(e.PrevHash, prev) {
		return &domain.AuditBreak{ID: e.ID, At: e.At, Reason: "its link to the previous entry is broken (an entry before it was removed, inserted or rewritten)"}
	}
	if !bytes.Equal(AuditHash(prev, e.At, e, diff), e.Hash) {
		return &domain.AuditBreak{ID: e.ID, At: e.At, Reason: "its content does not match its hash (the entry was altered)"}
	}
	return nil
}
