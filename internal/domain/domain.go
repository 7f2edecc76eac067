// Package domain holds the plain types, enums and sentinel errors that every
// other package of ccsub speaks in. It imports nothing of ours.
package domain

import (
	"errors"
	"time"
	"unicode/utf8"
)

// Sentinel errors returned by the store and the services; the server maps
// them to HTTP statuses in one place.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
	// ErrDuplicateSubmission means a form with the same idempotency key was
	// already submitted; the call it started is returned alongside.
	ErrDuplicateSubmission = errors.New("duplicate submission")
	// ErrIdempotencyConflict means a one-time key (a form's, or the API's
	// Idempotency-Key) was already used with another request: nothing was
	// sent, and the first request's call is not this one's answer.
	ErrIdempotencyConflict = errors.New("idempotency key already used with another request")
	// ErrBusy means every database connection for requests stayed in use
	// longer than a request may wait for one (slow searches, or a flood of
	// them): nothing was done, and a retry in a few seconds will likely
	// succeed.
	ErrBusy = errors.New("busy: no database connection came free")
)

// Role is what a console user may do.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleAuditor  Role = "auditor"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleOperator, RoleAuditor:
		return true
	}
	return false
}

// User is a console user. PasswordHash is a PHC-style encoded hash.
type User struct {
	ID           int64
	Username     string
	Role         Role
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	TimeZone     string // the user's own IANA zone for showing times; "" for the browser's
}

// Gateway is a configured CC-Gateway connection. PasswordSealed is the
// encrypted administrator password; it is opened only at the moment of a call.
type Gateway struct {
	ID             int64
	Name           string
	BaseURL        string
	AgentID        int64
	PasswordSealed []byte
	CAPEM          string // empty: verify against the system roots
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Outcome of the last "Test connection" (empty when never tested).
	LastTestAt      *time.Time
	LastTestOutcome Outcome
	LastTestMessage string
	// LoginRefused is set while the gateway's current password is one the
	// gateway refused with 107-003 or 107-004: no process sends it again
	// until an administrator saves a new password or asks for one retry.
	LoginRefused *LoginRefusal
	// RefusalsEnded counts the login refusals ended on purpose (a new
	// password or agent ID, a retry that logged in); a process's own memory
	// of a refusal from before the last end no longer counts.
	RefusalsEnded int64
	// Disabled: no new register goes to it and the keep-alive engine does
	// not log in to it. Only a gateway without live subscriptions can be.
	Disabled bool
	// RemovedAt is set once an administrator removed it: hidden from every
	// list and picker, kept so the calls and subscriptions it served still
	// name it.
	RemovedAt *time.Time
}

// Usable reports whether new registrations may go to the gateway.
func (g Gateway) Usable() bool { return !g.Disabled && g.RemovedAt == nil }

// LoginRefusal is a gateway login refused with a code after which more
// tries lock the account (107-003, 107-004). It is kept on the gateway's
// row, so every process and every restart knows it.
type LoginRefusal struct {
	At      time.Time
	Retcode string
	Message string // what the code means, or the gateway's words
}

// String names the refusal without any secret, for audit diffs and logs:
// "107-003 on 2006-01-02 15:04:05 UTC".
func (r LoginRefusal) String() string {
	return r.Retcode + " on " + r.At.UTC().Format("2006-01-02 15:04:05 UTC")
}

// GatewayInput is what a person or the CLI provides to create or edit a
// gateway. A nil PasswordSealed on update keeps the stored password.
type GatewayInput struct {
	Name           string
	BaseURL        string
	AgentID        int64
	PasswordSealed []byte
	CAPEM          string
}

// Clip shortens s to at most n bytes without splitting a character, to fit
// what a column or a log line keeps of text someone else chose.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
