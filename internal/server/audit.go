package server

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"unicode/utf8"

	"ccsub/internal/domain"
)

// Markers that stand in for secrets in audit diffs: an auditor sees that a
// secret changed, never what it is.
const (
	SecretChanged   = "[secret changed]"
	SecretUnchanged = "[secret unchanged]"
)

// audit appends an entry for the request's user (or e.Actor when set, e.g.
// a failed sign-in names the user name tried). Writing the entry must not
// depend on the browser staying connected.
func (s *Server) audit(r *http.Request, e domain.AuditEntry) {
	if e.Actor == "" {
		if u, ok := currentUser(r); ok {
			e.Actor = u.Username
		}
	}
	e.SourceAddr = sourceAddr(r)
	e.UserAgent = clip(r.UserAgent(), 256)
	ctx := context.WithoutCancel(r.Context())
	if _, err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit entry not written", "id", requestID(r), "action", e.Action, "err", err)
	}
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
