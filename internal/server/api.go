package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
)

// apiPrefix is where the JSON API lives. Requests under it authenticate
// with a bearer token only: cookies are ignored there, which keeps the API
// out of reach of cross-site requests made with a console user's session.
const apiPrefix = "/api/"

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, apiPrefix) }

type apiTokenCtxKey struct{}

// requestToken returns the API token that authenticated the request, if any.
func requestToken(r *http.Request) (domain.APIToken, bool) {
	t, ok := r.Context().Value(apiTokenCtxKey{}).(domain.APIToken)
	return t, ok
}

// apiError is a failure of an API request with a message safe to return
// and, for invalid input, one message per field.
type apiError struct {
	status int
	msg    string
	fields map[string]string
}

func (e *apiError) Error() string { return e.msg }

func apiErr(status int, msg string) *apiError { return &apiError{status: status, msg: msg} }

// errorBody is the one JSON error shape of the API.
type errorBody struct {
	Error  string            `json:"error"`
	Errors map[string]string `json:"errors,omitempty"`
}

// apiAuth replaces whatever the session said with the bearer token's
// identity on API paths. A token that is sent but not usable is refused
// here, with one message for unknown, expired and revoked tokens so a
// caller learns nothing about tokens it does not hold.
func (s *Server) apiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), userKey, nil) // no cookies for the API
		r = r.WithContext(ctx)
		if len(r.Header.Values("Authorization")) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		tok, err := s.bearerToken(r)
		if err != nil {
			s.failJSON(w, r, err)
			return
		}
		u := domain.User{Username: tokenActor(tok), Role: tok.Role}
		ctx = context.WithValue(context.WithValue(ctx, userKey, u), apiTokenCtxKey{}, tok)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// errBadToken is the one answer for unknown, expired and revoked tokens.
var errBadToken = apiErr(http.StatusUnauthorized,
	"The API token is not valid: it is unknown, expired or revoked. Ask an administrator for a new one.")

// bearerToken finds the usable token of the Authorization header.
func (s *Server) bearerToken(r *http.Request) (domain.APIToken, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return domain.APIToken{}, apiErr(http.StatusUnauthorized, "Send exactly one Authorization header.")
	}
	scheme, plain, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return domain.APIToken{}, apiErr(http.StatusUnauthorized, "Use Authorization: Bearer <token>; no other scheme is accepted.")
	}
	plain = strings.TrimSpace(plain)
	if !apitoken.WellFormed(plain) {
		return domain.APIToken{}, errBadToken
	}
	tok, err := s.store.APITokenByHash(r.Context(), apitoken.Hash(plain))
	if errors.Is(err, domain.ErrNotFound) || err == nil && !tok.Usable(time.Now()) {
		return domain.APIToken{}, errBadToken
	}
	if err != nil {
		return domain.APIToken{}, err
	}
	s.touchToken(r, tok)
	return tok, nil
}

// touchToken records the token's use; the store writes at most once a
// minute, and this check saves even the statement most of the time.
func (s *Server) touchToken(r *http.Request, tok domain.APIToken) {
	if tok.LastUsedAt != nil && time.Since(*tok.LastUsedAt) < time.Minute {
		return
	}
	if err := s.store.TouchAPIToken(context.WithoutCancel(r.Context()), tok.ID); err != nil {
		s.log.Warn("API token use not recorded", "id", requestID(r), "token_id", tok.ID, "err", err)
	}
}

// tokenActor is how a token's actions are named in the history and the
// audit trail: the token's name and id, so two tokens with the same name
// stay apart.
func tokenActor(t domain.APIToken) string {
	return fmt.Sprintf("%s (API token #%d)", t.Name, t.ID)
}

// writeJSON writes v as the whole response. API answers are never cached:
// they carry operational data.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("JSON answer not encoded", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":"ccsub could not encode its answer."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// failJSON is fail for API paths: the same mapping of errors to statuses,
// answered as JSON.
func (s *Server) failJSON(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ae  *apiError
		ue  *userError
		mbe *http.MaxBytesError
		b   errorBody
	)
	status := http.StatusInternalServerError
	switch {
	case errors.As(err, &ae):
		status, b = ae.status, errorBody{Error: ae.msg, Errors: ae.fields}
	case errors.As(err, &ue):
		status, b.Error = ue.status, ue.msg
	case errors.As(err, &mbe):
		status, b.Error = http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is larger than %d bytes.", mbe.Limit)
	case errors.Is(err, domain.ErrNotFound):
		status, b.Error = http.StatusNotFound, "There is nothing at this address."
	case errors.Is(err, domain.ErrForbidden):
		status, b.Error = http.StatusForbidden, "This token's role does not allow this."
	default:
		b.Error = "ccsub could not complete this request. Try again, and tell an administrator if it keeps happening. Request " + requestID(r) + "."
		s.log.Error("request failed", "id", requestID(r), "method", r.Method, "path", logPath(r), "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ccsub"`)
	}
	if status < 500 {
		s.log.Info("request refused", "id", requestID(r), "method", r.Method, "path", logPath(r), "status", status)
	}
	s.writeJSON(w, status, b)
}

// errNoToken answers a protected API route called without a token.
var errNoToken = apiErr(http.StatusUnauthorized, "An API token is required: send Authorization: Bearer <token>.")
