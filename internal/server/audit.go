package server

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// Markers that stand in for secrets in audit diffs: an auditor sees that a
// secret changed, never what it is.
const (
	SecretChanged   = "[secret changed]"
	SecretUnchanged = "[secret unchanged]"
)

// audit appends an entry for the request's user (or e.Actor when set, e.g.
// a failed sign-in names the user name tried), for events that change
// nothing in the database themselves (sign-ins, reveals, exports, gateway
// calls, which the history already records). Writing the entry must not
// depend on the browser staying connected.
func (s *Server) audit(r *http.Request, e domain.AuditEntry) {
	ctx := context.WithoutCancel(r.Context())
	if _, err := s.store.AppendAudit(ctx, s.auditFields(r, e)); err != nil {
		s.log.Error("audit entry not written", "id", requestID(r), "action", e.Action, "err", err)
	}
}

// audited makes a change and appends the audit entry it returns in one
// transaction: a change is never committed without its entry, and an
// entry never describes a change that was rolled back.
func (s *Server) audited(r *http.Request, change func(tx *store.Store) (domain.AuditEntry, error)) error {
	ctx := context.WithoutCancel(r.Context())
	return s.store.InTx(ctx, func(tx *store.Store) error {
		e, err := change(tx)
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, s.auditFields(r, e))
		return err
	})
}

// auditFields fills who and from where.
func (s *Server) auditFields(r *http.Request, e domain.AuditEntry) domain.AuditEntry {
	if e.Actor == "" {
		if u, ok := currentUser(r); ok {
			e.Actor = u.Username
		}
	}
	e.SourceAddr = sourceAddr(r)
	e.UserAgent = clip(r.UserAgent(), 256)
	return e
}

// sourceAddr is the peer's IP address. Forwarded headers are not trusted:
// anyone can send them.
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// changes lists the fields whose values differ between before and after.
func changes(before, after map[string]any) map[string]domain.FieldChange {
	d := map[string]domain.FieldChange{}
	for k, a := range after {
		if b, ok := before[k]; !ok || !reflect.DeepEqual(a, b) {
			d[k] = domain.FieldChange{Before: before[k], After: a}
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			d[k] = domain.FieldChange{Before: b}
		}
	}
	return d
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
