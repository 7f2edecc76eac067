package httpkit

import (
	"context"
	"net"
	"net/http"

	"ccsub/internal/domain"
)

type ctxKey int

const (
	userKey ctxKey = iota
	requestIDKey
	routeKey
)

// WithUser returns r carrying the signed-in user (or API token's identity).
func WithUser(r *http.Request, u domain.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey, u))
}

// User returns the request's user, if any.
func User(r *http.Request) (domain.User, bool) {
	u, ok := r.Context().Value(userKey).(domain.User)
	return u, ok
}

// RequestID is the id RequestLog gave the request, for logs and error pages.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// Actor is who made the request and from where, for the audit trail.
func Actor(r *http.Request) domain.Actor {
	u, _ := User(r)
	return domain.Actor{Name: u.Username, Addr: SourceAddr(r), UserAgent: domain.Clip(r.UserAgent(), 256)}
}

// SourceAddr is the peer's IP address. Forwarded headers are not trusted:
// anyone can send them.
func SourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
