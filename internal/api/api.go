// Package api is the JSON API door, /api/v1: automation's way to the same
// actions as the pages, with the same rules and words. It authenticates
// with bearer API tokens only, never the console's session cookie, which
// keeps it out of reach of cross-site requests made with a user's session.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccsub/internal/access"
	"ccsub/internal/domain"
	"ccsub/internal/gateways"
	"ccsub/internal/httpkit"
	"ccsub/internal/ratelimit"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
)

// Prefix is where the JSON API lives.
const Prefix = "/api/"

// Is reports whether r is for the API.
func Is(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, Prefix) }

// Deps are what the API needs; all are built by the composition root.
type Deps struct {
	Store     *store.Store // reads
	Subscribe *subscribe.Service
	Gateways  *gateways.Service
	Access    *access.Service
	Log       *slog.Logger
	PublicURL string // where the platform reaches ccsub's receiver
	// TokenLimit bounds the requests of each API token (the zero Limit
	// bounds nothing).
	TokenLimit ratelimit.Limit
}

// API holds the handlers' dependencies.
type API struct {
	store  *store.Store
	subs   *subscribe.Service
	gws    *gateways.Service
	access *access.Service
	log    *slog.Logger
	public string
	limit  *ratelimit.Limiter // per token id; nil: no limit
}

// New builds the API.
func New(d Deps) *API {
	return &API{store: d.Store, subs: d.Subscribe, gws: d.Gateways, access: d.Access, log: d.Log, public: d.PublicURL,
		limit: ratelimit.New(d.TokenLimit, 0)}
}

type tokenKey struct{}

// requestToken returns the API token that authenticated the request.
func requestToken(r *http.Request) (domain.APIToken, bool) {
	t, ok := r.Context().Value(tokenKey{}).(domain.APIToken)
	return t, ok
}

// Authenticate gives an API request the identity of its bearer token. A
// token that is sent but not usable is refused here, with one message for
// unknown, expired and revoked tokens; a request without one goes on
// without a user, and the route's guard refuses it if it needs one. A
// token over its rate limit is answered 429 (see overLimit).
func (a *API) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Is(r) || len(r.Header.Values("Authorization")) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		tok, err := a.bearerToken(r)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		if a.overLimit(w, r, tok) {
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok))
		next.ServeHTTP(w, httpkit.WithUser(r, domain.User{Username: access.TokenActor(tok), Role: tok.Role}))
	})
}

// overLimit answers 429, in the API's error shape with Retry-After, when
// tok has used up its rate. The limit is per token, so one busy script
// never slows another. Requests over the limit are logged once a minute
// per token, with how many were refused since the previous line, not once
// each.
func (a *API) overLimit(w http.ResponseWriter, r *http.Request, tok domain.APIToken) bool {
	v := a.limit.Allow(strconv.FormatInt(tok.ID, 10), time.Now())
	if v.Allowed {
		return false
	}
	secs := v.RetryAfterSeconds()
	if v.Note {
		a.log.Warn("API token over its rate limit; answering 429", "id", httpkit.RequestID(r), "token", tok.ID,
			"refused_since_last_line", v.Held, "shared_bucket", v.Shared, "retry_after_s", secs)
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	a.writeJSON(w, http.StatusTooManyRequests, errorBody{Error: fmt.Sprintf(
		"Too many requests with this API token; nothing was done. Retry after %d s (Retry-After), and slow down.", secs)})
	return true
}

// errBadToken is the one answer for unknown, expired and revoked tokens.
var errBadToken = httpkit.Fail(http.StatusUnauthorized,
	"The API token is not valid: it is unknown, expired or revoked. Ask an administrator for a new one.")

// bearerToken finds the usable token of the Authorization header.
func (a *API) bearerToken(r *http.Request) (domain.APIToken, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return domain.APIToken{}, httpkit.Fail(http.StatusUnauthorized, "Send exactly one Authorization header.")
	}
	scheme, plain, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return domain.APIToken{}, httpkit.Fail(http.StatusUnauthorized, "Use Authorization: Bearer <token>; no other scheme is accepted.")
	}
	tok, err := a.access.Authenticate(r.Context(), strings.TrimSpace(plain))
	if errors.Is(err, access.ErrBadToken) {
		return domain.APIToken{}, errBadToken
	}
	return tok, err
}

// errorBody is the one JSON error shape of the API.
type errorBody struct {
	Error  string            `json:"error"`
	Errors map[string]string `json:"errors,omitempty"`
}

// Fail answers an error as JSON, with the status httpkit's table gives it.
func (a *API) Fail(w http.ResponseWriter, r *http.Request, err error) {
	p := httpkit.Classify(err)
	httpkit.LogProblem(a.log, r, p, err)
	b := errorBody{Error: p.Detail, Errors: p.Fields}
	switch {
	case errors.Is(err, httpkit.ErrSignInRequired):
		b.Error = "An API token is required: send Authorization: Bearer <token>."
	case p.Internal:
		b.Error = "ccsub could not complete this request. Try again, and tell an administrator if it keeps happening. Request " + httpkit.RequestID(r) + "."
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ccsub"`)
	}
	httpkit.SetRetryAfter(w, p)
	a.writeJSON(w, p.Status, b)
}

// writeJSON writes v as the whole response. API answers are never cached:
// they carry operational data.
func (a *API) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.log.Error("JSON answer not encoded", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":"ccsub could not encode its answer."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// onlyParams refuses query parameters other than the allowed ones, and
// any sent twice, so a misspelt or repeated filter is an error instead of
// being silently ignored.
func onlyParams(r *http.Request, allowed ...string) error {
	for k, vs := range r.URL.Query() {
		shown := domain.Clip(k, 64)
		switch {
		case !slices.Contains(allowed, k):
			return httpkit.FieldError(shown, "Unknown query parameter \""+shown+"\".", "Unknown parameter; names are case-sensitive.")
		case len(vs) > 1:
			return httpkit.FieldError(shown, "Query parameter \""+shown+"\" was sent more than once.", "Sent more than once; send it once.")
		}
	}
	return nil
}
