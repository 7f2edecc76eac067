// Package httpkit is what ccsub's HTTP doors (pages, the JSON API, the
// receiver, the exports) share: the request's identity in its context, one
// error type that carries its cause, one table from error to status, the
// middleware every door sits behind, and small request helpers. Each door
// renders a Problem its own way (a page, JSON); none decides statuses.
package httpkit

import (
	"context"
	"errors"
	"net/http"

	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/i18n"
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
	Title    string // in the viewer's language
	Reason   string // the title in English, for the log
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

// Classify is the one table from error to status and words, in English
// (the JSON API's words).
func Classify(err error) Problem { return ClassifyIn(context.Background(), err) }

// ClassifyIn is Classify in the language of ctx (see i18n), for the error
// page. Reason stays in English, for the log.
func ClassifyIn(ctx context.Context, err error) Problem {
	p, titleID := classify(ctx, err)
	p.Title, p.Reason = i18n.T(ctx, titleID), i18n.InEnglish(titleID, nil)
	return p
}

// classify returns the problem of err with its detail in the language of
// ctx, and the message ID of its title.
func classify(ctx context.Context, err error) (Problem, string) {
	var (
		e     *Error
		mbe   *http.MaxBytesError
		kept  *domain.AnswerKept
		inUse *domain.GatewayInUse
	)
	t := func(id string) string { return i18n.T(ctx, id) }
	switch {
	case errors.As(err, &kept):
		// Before the outage's own row: the person must learn what the
		// gateway did, and not to send it again.
		return Problem{Status: http.StatusServiceUnavailable, RetryAfter: retryAfterOutage,
			Detail: kept.Explain()}, "problem.answer_kept.title"
	case errors.As(err, &e):
		return Problem{Status: e.Status, Detail: e.Msg, Fields: e.Fields}, title(e.Status)
	case errors.As(err, &mbe):
		return Problem{Status: http.StatusRequestEntityTooLarge,
			Detail: i18n.Tf(ctx, "problem.too_large.detail", i18n.D{"Limit": i18n.Number(ctx, mbe.Limit)})}, "problem.too_large.title"
	case errors.Is(err, ErrSignInRequired):
		return Problem{Status: http.StatusUnauthorized, Detail: t("problem.sign_in_required.detail")}, "problem.sign_in_required.title"
	case errors.Is(err, domain.ErrNotFound):
		return Problem{Status: http.StatusNotFound, Detail: t("problem.not_found.detail")}, "problem.not_found.title"
	case errors.Is(err, domain.ErrForbidden):
		return Problem{Status: http.StatusForbidden, Detail: t("problem.forbidden.detail")}, "problem.forbidden.title"
	case errors.Is(err, domain.ErrIdempotencyConflict):
		return Problem{Status: http.StatusUnprocessableEntity,
			Detail: t("problem.idempotency_conflict.detail")}, "problem.idempotency_conflict.title"
	case errors.Is(err, domain.ErrDuplicateSubmission):
		return Problem{Status: http.StatusConflict, Detail: t("problem.duplicate.detail")}, "problem.duplicate.title"
	case errors.As(err, &inUse):
		return Problem{Status: http.StatusConflict, Detail: inUse.Error()}, "problem.gateway_in_use.title"
	case errors.Is(err, domain.ErrGatewayNotUsable):
		return Problem{Status: http.StatusConflict, Detail: t("problem.gateway_disabled.detail")}, "problem.gateway_disabled.title"
	case errors.Is(err, domain.ErrConflict):
		return Problem{Status: http.StatusConflict, Detail: t("problem.conflict.detail")}, "problem.conflict.title"
	case errors.Is(err, context.Canceled):
		// The client went away, and its queries were cancelled with it:
		// nobody reads this answer, but the log and the metrics do.
		return Problem{Status: StatusClientClosedRequest, Detail: t("problem.cancelled.detail")}, "problem.cancelled.title"
	case errors.Is(err, domain.ErrBusy):
		return Problem{Status: http.StatusServiceUnavailable, RetryAfter: retryAfterBusy,
			Detail: t("problem.busy.detail")}, "problem.busy.title"
	case database.TimedOut(err):
		return Problem{Status: http.StatusUnprocessableEntity, Detail: t("problem.timeout.detail")}, "problem.timeout.title"
	case database.Unavailable(err):
		return Problem{Status: http.StatusServiceUnavailable, RetryAfter: retryAfterOutage,
			Detail: t("problem.unavailable.detail")}, "problem.unavailable.title"
	}
	return Problem{Status: http.StatusInternalServerError, Internal: true,
		Detail: t("problem.internal.detail")}, "problem.internal.title"
}

// title is the message ID of the title of a refusal whose words come from
// the handler.
func title(status int) string {
	switch status {
	case http.StatusNotFound:
		return "problem.not_found.title"
	case http.StatusForbidden:
		return "problem.forbidden.title"
	case http.StatusConflict:
		return "problem.conflict.title"
	}
	return "problem.refused.title"
}
