package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"ccsub/internal/domain"
)

type ctxKey int

const (
	userKey ctxKey = iota
	requestIDKey
	routeKey
)

// currentUser returns the signed-in user, if any.
func currentUser(r *http.Request) (domain.User, bool) {
	u, ok := r.Context().Value(userKey).(domain.User)
	return u, ok
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// recoverer turns a panic into the generic error page; it is the outermost
// layer so nothing escapes it.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestLog gives each request an ID and logs one line when it ends. The
// query string is left out: filters may carry search text.
func (s *Server) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		route := &routeNote{}
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), requestIDKey, id), routeKey, route))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(sw, r)
		took := time.Since(start)
		s.log.Debug("request", "id", id, "method", r.Method, "path", logPath(r),
			"status", sw.status, "bytes", sw.bytes, "duration", took)
		s.metrics.ObserveHTTPRequest(route.pattern, sw.status, took)
	})
}

// routeNote carries the matched route pattern back out to requestLog. The
// mux sets r.Pattern only on the request it hands to the route, a copy made
// by the middleware in between, so requestLog's own request never has it.
// The pattern, unlike the path, is a bounded metrics label without ids or
// receiver keys in it.
type routeNote struct{ pattern string }

// noteRoute records r.Pattern for requestLog; it wraps every route.
func noteRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := r.Context().Value(routeKey).(*routeNote); ok {
			n.pattern = r.Pattern
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries, error pages
// included. The CSP allows no inline script or style at all.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// loadSession puts the signed-in user, if any, into the context. A session
// that was revoked, expired or idle, or whose user was disabled, is treated
// as signed out.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sessionless(r) {
			next.ServeHTTP(w, r)
			return
		}
		u, ok, err := s.sessionUser(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ok {
			r = r.WithContext(context.WithValue(r.Context(), userKey, u))
		}
		next.ServeHTTP(w, r)
	})
}

// sessionless reports requests that never use the console session, so a
// signed-in browser's asset fetches, the platform's pushes, health checks
// and API calls (bearer tokens only) cost no session query.
func sessionless(r *http.Request) bool {
	p := r.URL.Path
	return isAPI(r) || p == "/healthz" || p == "/readyz" || p == "/favicon.ico" ||
		strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/receiver/")
}

// requireUser sends anyone without a session to the sign-in page, keeping
// where they were going; an API call without a token gets a 401.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := currentUser(r); !ok {
			if isAPI(r) {
				s.failJSON(w, r, errNoToken)
				return
			}
			target := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// requireRole admits only the given roles; it runs after requireUser.
func (s *Server) requireRole(next http.Handler, roles ...domain.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := currentUser(r)
		if !slices.Contains(roles, u.Role) {
			s.fail(w, r, domain.ErrForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// logPath keeps receiver keys out of logs: the key is what lets the
// platform's pushes in, so it is treated like a credential.
func logPath(r *http.Request) string {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/receiver/"); ok {
		_, tail, _ := strings.Cut(rest, "/")
		return "/receiver/[key]/" + tail
	}
	return p
}
