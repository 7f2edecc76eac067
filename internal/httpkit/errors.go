// Package httpkit is what ccsub's HTTP doors (pages, the JSON API, the
// receiver, the exports) share: the request's identity in its context, one
// error type that carries its cause, one table from error to status, the
// middleware every door sits behind, and small request helpers. Each door
// renders a Problem its own way (a page, JSON); none decides statuses.
package httpkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"ccsub/internal/database"
	"ccsub/internal/domain"
)

// Error is a failure whose message is safe and useful to show. Err is the
// cause, kept for errors.Is and the log; it is never shown.
type Error struct {
	Status int
	Msg    string
	Fields map[string]string // per-field messages for invalid input
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Fail is an *Error with a status and a message.
func Fail(status int, msg string) *Error { return &Error{Status: status, Msg: msg} }

// BadRequest is a 400 saying what is wrong with the request.
func BadRequest(msg string) *Error { return Fail(http.StatusBadRequest, msg) }

// Invalid is the 422 of input that breaks a rule, one message per field.
func Invalid(fields map[string]string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Msg: "Nothing was done: correct the fields named in errors.", Fields: fields}
}

// FieldError is a 400 about one field of the request.
func FieldError(field, msg, fieldMsg string) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: msg, Fields: map[string]string{field: fieldMsg}}
}

// ErrSignInRequired is returned for a route that needs a user when there is
// none; pages answer it with the sign-in page, the API with a 401.
var ErrSignInRequired = errors.New("sign-in required")

// Problem is what a door shows for an error.
type Problem struct {
	Status   int
	Title    string
	Detail   string
	Fields   map[string]string
	Internal bool // a fault of ccsub's: logged at error level, the cause never shown
	// RetryAfter, in seconds, is sent as Retry-After: the fault is of the
	// moment and a retry will likely succeed.
	RetryAfter int
}

// retryAfterOutage is how long a client should wait while the database is
// unreachable: the pool reconnects within seconds once it is back.
// retryAfterBusy is how long while every connection is busy: a statement
// holds one at most the statement timeout (5 s by default).
const (
	retryAfterOutage = 5
	retryAfterBusy   = 5
)

// StatusClientClosedRequest is the status logged for a request whose
// client went away before the answer (nginx's 499); it is never read.
const StatusClientClosedRequest = 499

// Classify is the one table from error to status and words.
func Classify(err error) Problem {
	var (
		e     *Error
		mbe   *http.MaxBytesError
		kept  *domain.AnswerKept
		inUse *domain.GatewayInUse
	)
	switch {
	case errors.As(err, &kept):
		// Before the outage's own row: the person must learn what the
		// gateway did, and not to send it again.
		return Problem{Status: http.StatusServiceUnavailable, Title: "Answered, not yet recorded", RetryAfter: retryAfterOutage,
			Detail: kept.Explain()}
	case errors.As(err, &e):
		return Problem{Status: e.Status, Title: title(e.Status), Detail: e.Msg, Fields: e.Fields}
	case errors.As(err, &mbe):
		return Problem{Status: http.StatusRequestEntityTooLarge, Title: "Too much data",
			Detail: fmt.Sprintf("The request is larger than ccsub accepts (%d bytes). Shorten the values and try again.", mbe.Limit)}
	case errors.Is(err, ErrSignInRequired):
		return Problem{Status: http.StatusUnauthorized, Title: "Sign-in required", Detail: "Sign in to use this."}
	case errors.Is(err, domain.ErrNotFound):
		return Problem{Status: http.StatusNotFound, Title: "Not found",
			Detail: "There is nothing at this address. It may have been removed, or the link may be mistyped."}
	case errors.Is(err, domain.ErrForbidden):
		return Problem{Status: http.StatusForbidden, Title: "Not allowed",
			Detail: "Your role does not allow this. Ask an administrator if you need it."}
	case errors.Is(err, domain.ErrIdempotencyConflict):
		return Problem{Status: http.StatusUnprocessableEntity, Title: "Key already used",
			Detail: "This Idempotency-Key was already used with another request body; use a new key for a new request."}
	case errors.Is(err, domain.ErrDuplicateSubmission):
		return Problem{Status: http.StatusConflict, Title: "Already submitted",
			Detail: "This was already submitted; nothing was sent again."}
	case errors.As(err, &inUse):
		return Problem{Status: http.StatusConflict, Title: "Gateway in use", Detail: inUse.Error()}
	case errors.Is(err, domain.ErrGatewayNotUsable):
		return Problem{Status: http.StatusConflict, Title: "Gateway disabled",
			Detail: "This gateway is disabled or removed: nothing can be registered on it. Choose another gateway, or ask an administrator to enable it."}
	case errors.Is(err, domain.ErrConflict):
		return Problem{Status: http.StatusConflict, Title: "Conflict",
			Detail: "This clashes with what is on record, or it changed meanwhile. Reload and try again."}
	case errors.Is(err, context.Canceled):
		// The client went away, and its queries were cancelled with it:
		// nobody reads this answer, but the log and the metrics do.
		return Problem{Status: StatusClientClosedRequest, Title: "Request cancelled",
			Detail: "The request was cancelled before it finished: nothing more was done for it."}
	case errors.Is(err, domain.ErrBusy):
		return Problem{Status: http.StatusServiceUnavailable, Title: "ccsub is busy", RetryAfter: retryAfterBusy,
			Detail: "Every database connection for requests is in use, by slow searches or many requests at once. Nothing was done: try again in a few seconds."}
	case database.TimedOut(err):
		return Problem{Status: http.StatusUnprocessableEntity, Title: "This took too long",
			Detail: "The database stopped this request because it ran too long. Narrow your filters (a shorter date range, a gateway, an outcome) and try again."}
	case database.Unavailable(err):
		return Problem{Status: http.StatusServiceUnavailable, Title: "The database is not answering", RetryAfter: retryAfterOutage,
			Detail: "ccsub cannot reach its database at the moment. Nothing was lost: try again in a few seconds; ccsub reconnects by itself once the database is back."}
	}
	return Problem{Status: http.StatusInternalServerError, Title: "Something went wrong", Internal: true,
		Detail: "ccsub could not complete this request. Nothing was lost: try again, and tell an administrator if it keeps happening."}
}

func title(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusConflict:
		return "Conflict"
	}
	return "That request could not be handled"
}
