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
	pendingKey
)

// WithUser returns r carrying the signed-in user (or API token's identity).
func WithUser(r *http.Request, u domain.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey, u))
}

// User returns the request's user, if any. A sign-in still pending (see
// WithPendingUser) is settled here, by a query of its own unless a list
// query took it along.
func User(r *http.Request) (domain.User, bool) {
	u, ok, _ := userOf(r)
	return u, ok
}

func userOf(r *http.Request) (domain.User, bool, error) {
	if u, ok := r.Context().Value(userKey).(domain.User); ok {
		return u, true, nil
	}
	if p, _ := r.Context().Value(pendingKey).(*pendingUser); p != nil {
		return p.get(r.Context())
	}
	return domain.User{}, false, nil
}

// WithPendingUser returns r carrying a sign-in that is not looked up yet:
// resolve answers who it is. A list page's session lookup goes to the
// database with its list query (one round trip); Guard settles it before
// anything is written, every other route before its handler runs.
func WithPendingUser(r *http.Request, resolve func(context.Context) (domain.User, bool, error)) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), pendingKey, &pendingUser{resolve: resolve}))
}

type pendingUser struct {
	resolve func(context.Context) (domain.User, bool, error)
	done    bool
	u       domain.User
	ok      bool
}

// get resolves once; a failure is not kept, so a retried read tries again.
func (p *pendingUser) get(ctx context.Context) (domain.User, bool, error) {
	if !p.done {
		u, ok, err := p.resolve(ctx)
		if err != nil {
			return domain.User{}, false, err
		}
		p.done, p.u, p.ok = true, u, ok
	}
	return p.u, p.ok, nil
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

// SettledUser returns the request's user only if it is known without a
// query: set, or a pending sign-in already looked up (by Guard, or with a
// list query). known is false while it is not; ok says someone is signed
// in. Whatever can wait for the user (the viewer's time zone) asks this,
// so asking never costs a round trip of its own.
func SettledUser(ctx context.Context) (u domain.User, ok, known bool) {
	if u, ok := ctx.Value(userKey).(domain.User); ok {
		return u, true, true
	}
	if p, _ := ctx.Value(pendingKey).(*pendingUser); p != nil {
		return p.u, p.ok, p.done
	}
	return domain.User{}, false, true
}
