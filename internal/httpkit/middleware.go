package httpkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/metrics"
)

// HandlerFunc is a handler that returns its failure to the door's renderer.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// FailFunc renders an error as the door that received the request answers.
type FailFunc func(w http.ResponseWriter, r *http.Request, err error)

// Handle adapts h, giving its error to fail. A read that lost its
// database connection is run once more: after a database restart the pool
// still holds connections to the old server, and the first query on each
// fails although the database is back. Reads write nothing before they
// return (pages render into a buffer), so running one again is safe.
func Handle(fail FailFunc, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && database.Unavailable(err) {
			err = h(w, r)
		}
		if err != nil {
			fail(w, r, err)
		}
	})
}

// SetRetryAfter sends the problem's Retry-After, if it has one.
func SetRetryAfter(w http.ResponseWriter, p Problem) {
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
}

// Recover turns a panic into the generic error answer; it is the outermost
// layer so nothing escapes it.
func Recover(fail FailFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	start  time.Time
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.serverTiming()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.serverTiming()
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serverTiming adds how long the server took until the answer's header
// (W3C Server-Timing, shown by browsers' developer tools): for a page,
// which is rendered whole before its header goes, that is the session,
// the database and the render, without the network. Benchmarks read it as
// the server time; an on-call engineer sees it in the browser.
func (w *statusWriter) serverTiming() {
	ms := float64(time.Since(w.start).Microseconds()) / 1000
	w.Header().Set("Server-Timing", "app;dur="+strconv.FormatFloat(ms, 'f', 3, 64))
}

// slowRequest is how long a request may take before its log line is a
// warning: a page is a few milliseconds, a register a gateway round trip.
const slowRequest = 5 * time.Second

// RequestLog gives each request an ID and logs one line when it ends. The
// query string is left out: filters may carry search text.
func RequestLog(log *slog.Logger, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		route := &routeNote{}
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), requestIDKey, id), routeKey, route))
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, start: start}
		next.ServeHTTP(sw, r)
		took := time.Since(start)
		level := slog.LevelDebug
		if took >= slowRequest {
			level = slog.LevelWarn // overruns are what an on-call engineer looks for
		}
		log.Log(r.Context(), level, "request", "id", id, "method", r.Method, "path", LogPath(r),
			"status", sw.status, "bytes", sw.bytes, "duration", took)
		m.ObserveHTTPRequest(route.pattern, sw.status, took)
	})
}

// routeNote carries the matched route pattern back out to RequestLog. The
// mux sets r.Pattern only on the request it hands to the route, a copy made
// by the middleware in between, so RequestLog's own request never has it.
// The pattern, unlike the path, is a bounded metrics label without ids or
// receiver keys in it.
type routeNote struct{ pattern string }

// NoteRoute records r.Pattern for RequestLog; it wraps every route.
func NoteRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := r.Context().Value(routeKey).(*routeNote); ok {
			n.pattern = r.Pattern
		}
		next.ServeHTTP(w, r)
	})
}

// SecurityHeaders sets the headers every response carries, error pages
// included. The CSP allows no inline script or style at all.
func SecurityHeaders(tls bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// Access says who may use a route. Authorization is decided in the route
// table, never inside handlers.
type Access int

const (
	Public   Access = iota // no session (health, assets, sign-in, the receiver)
	Reader                 // any signed-in role
	Operator               // operator or admin
	Admin                  // admin only
	Auditing               // admin or auditor: the audit trail (operators may not read it)

	// OneTrip, added to a level (Reader|OneTrip), marks a read-only page
	// whose session lookup goes to the database in one batch with the
	// page's reads (store.Reads): Guard lets the handler read, then
	// decides before the first byte is written and discards the answer of
	// a request it refuses. Only for GET handlers that change nothing.
	OneTrip Access = 1 << 8
)

func (a Access) level() Access { return a &^ OneTrip }

// Roles lists the roles an access level admits; nil for Public.
func (a Access) Roles() []domain.Role {
	switch a.level() {
	case Reader:
		return []domain.Role{domain.RoleAdmin, domain.RoleOperator, domain.RoleAuditor}
	case Operator:
		return []domain.Role{domain.RoleAdmin, domain.RoleOperator}
	case Admin:
		return []domain.Role{domain.RoleAdmin}
	case Auditing:
		return []domain.Role{domain.RoleAdmin, domain.RoleAuditor}
	}
	return nil
}

// Guard admits only requests whose user has a role of the access level:
// no user is ErrSignInRequired, a user of another role domain.ErrForbidden.
// Answers to signed-in requests are never cached: they carry operational
// data.
func Guard(a Access, fail FailFunc, next http.Handler) http.Handler {
	if a.level() == Public {
		return next
	}
	roles := a.Roles()
	check := func(r *http.Request) error {
		u, ok, err := userOf(r)
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrSignInRequired
		case !slices.Contains(roles, u.Role):
			return domain.ErrForbidden
		}
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a&OneTrip != 0 && r.Context().Value(pendingKey) != nil {
			g := &guardedWriter{ResponseWriter: w, check: func() error { return check(r) }, before: w.Header().Clone()}
			next.ServeHTTP(g, r)
			if g.decide() != nil {
				fail(w, r, g.refused)
			}
			return
		}
		if err := check(r); err != nil {
			fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// guardedWriter holds back a OneTrip handler's answer until the request's
// user is known to be allowed it; a refused answer is dropped whole, the
// headers the handler set included, and Guard answers the refusal.
type guardedWriter struct {
	http.ResponseWriter
	check   func() error
	before  http.Header
	decided bool
	refused error
}

func (g *guardedWriter) decide() error {
	if !g.decided {
		g.decided = true
		if g.refused = g.check(); g.refused != nil {
			h := g.ResponseWriter.Header()
			clear(h)
			maps.Copy(h, g.before)
		} else {
			g.ResponseWriter.Header().Set("Cache-Control", "no-store")
		}
	}
	return g.refused
}

func (g *guardedWriter) WriteHeader(code int) {
	if g.decide() == nil {
		g.ResponseWriter.WriteHeader(code)
	}
}

func (g *guardedWriter) Write(b []byte) (int, error) {
	if g.decide() != nil {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

func (g *guardedWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// LogPath keeps receiver keys out of logs: the key is what lets the
// platform's pushes in, so it is treated like a credential.
func LogPath(r *http.Request) string {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, domain.ReceiverPath); ok {
		_, tail, _ := strings.Cut(rest, "/")
		return domain.ReceiverPath + "[key]/" + tail
	}
	return p
}

// LogProblem logs a refused or failed request once: a fault of ccsub's at
// error level with its cause, a refusal at info level.
func LogProblem(log *slog.Logger, r *http.Request, p Problem, err error) {
	if p.Internal {
		log.Error("request failed", "id", RequestID(r), "method", r.Method, "path", LogPath(r), "err", err)
		return
	}
	log.Info("request refused", "id", RequestID(r), "method", r.Method, "path", LogPath(r), "status", p.Status, "reason", p.Reason)
}
