package httpkit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/httpkit"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestEveryKindOfErrorHasOneStatus(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		status   int
		internal bool
	}{
		{"a message for the user keeps its status", httpkit.BadRequest("no"), http.StatusBadRequest, false},
		{"invalid input is 422 with its fields", httpkit.Invalid(map[string]string{"name": "empty"}), http.StatusUnprocessableEntity, false},
		{"a body over the limit is 413", &http.MaxBytesError{Limit: 10}, http.StatusRequestEntityTooLarge, false},
		{"no user is 401", httpkit.ErrSignInRequired, http.StatusUnauthorized, false},
		{"an unknown record is 404", fmt.Errorf("store.Gateway 7: %w", domain.ErrNotFound), http.StatusNotFound, false},
		{"a role that may not is 403", domain.ErrForbidden, http.StatusForbidden, false},
		{"a conflict that escapes a handler is 409, not 500", fmt.Errorf("store.CreateGateway: %w", domain.ErrConflict), http.StatusConflict, false},
		{"a repeated submission is 409", domain.ErrDuplicateSubmission, http.StatusConflict, false},
		{"a statement over the statement timeout is 422", fmt.Errorf("store.ListCalls: %w", statementTimeout), http.StatusUnprocessableEntity, false},
		{"no free database connection is 503", fmt.Errorf("store.ListCalls: %w", domain.ErrBusy), http.StatusServiceUnavailable, false},
		{"a client that went away is 499", context.Canceled, httpkit.StatusClientClosedRequest, false},
		{"a statement cancelled with its client is 499, not a timeout", fmt.Errorf("%w: %w", context.Canceled, statementTimeout), httpkit.StatusClientClosedRequest, false},
		{"anything else is ccsub's fault: 500", errors.New("connection refused"), http.StatusInternalServerError, true},
		{"a user error keeps its cause for the log, not the status", &httpkit.Error{Status: http.StatusConflict, Msg: "taken", Err: domain.ErrNotFound}, http.StatusConflict, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := httpkit.Classify(tc.err)
			if p.Status != tc.status || p.Internal != tc.internal || p.Detail == "" || p.Title == "" {
				t.Errorf("Classify(%v) = %+v, want status %d internal %v with words", tc.err, p, tc.status, tc.internal)
			}
		})
	}
}

// statementTimeout is what PostgreSQL answers a statement that ran into
// statement_timeout.
var statementTimeout = &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}

func TestAStatementTimeoutSaysToNarrowTheFilters(t *testing.T) {
	p := httpkit.Classify(statementTimeout)
	if !strings.Contains(p.Detail, "Narrow your filters") || p.RetryAfter != 0 {
		t.Errorf("Classify(57014) = %+v, want the words that say to narrow the filters", p)
	}
	if p := httpkit.Classify(domain.ErrBusy); p.RetryAfter == 0 {
		t.Errorf("Classify(ErrBusy) = %+v, want a Retry-After", p)
	}
}

func TestAnErrorKeepsItsCause(t *testing.T) {
	e := &httpkit.Error{Status: http.StatusConflict, Msg: "That name is taken.", Err: domain.ErrConflict}
	if !errors.Is(e, domain.ErrConflict) {
		t.Error("errors.Is does not reach the cause")
	}
	if p := httpkit.Classify(e); p.Detail != "That name is taken." {
		t.Errorf("detail %q, want the safe message, not the cause", p.Detail)
	}
}
