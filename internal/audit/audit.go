// Package audit is the action that keeps the audit trail: it appends
// entries for the other actions, alone for events that change nothing in
// the database, or in one transaction with the change they describe. It
// also holds the diff helpers every entry is built with.
package audit

import (
	"context"
	"log/slog"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// Markers that stand in for secrets in diffs: an auditor sees that a
// secret changed, never what it is.
const (
	SecretChanged   = "[secret changed]"
	SecretUnchanged = "[secret unchanged]"
	SecretRevealed  = "[secret revealed]"
)

// Trail appends audit entries.
type Trail struct {
	store *store.Store
	log   *slog.Logger
}

// New builds the trail.
func New(st *store.Store, log *slog.Logger) *Trail { return &Trail{store: st, log: log} }

// Record appends the entry of an event that changes nothing in the
// database itself (a sign-in, a reveal, an export, a gateway call, which
// the history already records). It must not depend on the caller staying
// connected; a failure is logged, since the event already happened.
func (t *Trail) Record(ctx context.Context, who domain.Actor, e domain.AuditEntry) {
	if _, err := t.store.AppendAudit(context.WithoutCancel(ctx), stamp(who, e)); err != nil {
		t.log.Error("audit entry not written", "action", e.Action, "actor", who.Name, "err", err)
	}
}

// Reveal opens a secret for a person and records that it was shown, also
// when it could not be opened; the entry never holds the secret.
func (t *Trail) Reveal(ctx context.Context, who domain.Actor, e domain.AuditEntry, open func() ([]byte, error)) (string, error) {
	plain, err := open()
	if err != nil {
		e.Outcome = "failure"
	}
	t.Record(ctx, who, e)
	if err != nil {
		return "", err
	}
	defer clear(plain)
	return string(plain), nil
}

// Change makes a change and appends the entry it returns in one
// transaction: a change is never committed without its entry, and an
// entry never describes a change that was rolled back. An entry without an
// action is not appended: the change is audited by what it is part of.
func (t *Trail) Change(ctx context.Context, who domain.Actor, change func(tx *store.Store) (domain.AuditEntry, error)) error {
	ctx = context.WithoutCancel(ctx)
	return t.store.InTx(ctx, func(tx *store.Store) error {
		e, err := change(tx)
		if err != nil || e.Action == "" {
			return err
		}
		_, err = tx.AppendAudit(ctx, stamp(who, e))
		return err
	})
}

// Verify recomputes the whole hash chain.
func (t *Trail) Verify(ctx context.Context) (domain.AuditVerification, error) {
	return t.store.VerifyAuditChain(ctx)
}

// stamp fills who and from where; an entry that names its own actor (a
// failed sign-in names the user name tried) keeps it.
func stamp(who domain.Actor, e domain.AuditEntry) domain.AuditEntry {
	if e.Actor == "" {
		e.Actor = who.Name
	}
	e.SourceAddr, e.UserAgent = who.Addr, who.UserAgent
	return e
}
