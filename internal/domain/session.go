package domain

import (
	"errors"
	"time"
)

// ErrLastAdmin means a change would leave no enabled administrator, and so
// nobody able to manage users or gateways from the console.
var ErrLastAdmin = errors.New("would leave no enabled administrator")

// NewSession is a server-side session to store at sign-in. ID is the
// SHA-256 (hex) of the random token in the cookie, never the token itself,
// so a copy of the table cannot be replayed as cookies.
type NewSession struct {
	ID         string
	UserID     int64
	Lifetime   time.Duration // absolute: the session ends this long after sign-in
	IdleLimit  time.Duration // the session ends when unused this long; stored with it, so every process applies it
	SourceAddr string
	UserAgent  string
}

// UserChange is an edit of a user. Nil or empty fields are left as they are.
type UserChange struct {
	Role         *Role
	Disabled     *bool
	PasswordHash string // a new hash; empty keeps the password
}

// UserSummary is a row of the users page.
type UserSummary struct {
	User
	ActiveSessions int
}

// UserUpdate is the result of an edit: the user before and after, and how
// many of the user's sessions it ended.
type UserUpdate struct {
	Before, After User
	Revoked       int64
}
