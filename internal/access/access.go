// Package access is the action of who may get in: console users, their
// sign-ins and sessions, API tokens, the cookie keys sessions are signed
// with, and the re-sealing of stored secrets under a new key. Every change
// is written with its audit entry in one transaction.
package access

import (
	"log/slog"
	"time"

	"ccsub/internal/audit"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// Sign-in throttling: a sliding window per account (the name as typed, so
// unknown names count too) and per source address. The address limit is
// higher because several people may share one address (a NAT, a proxy).
const (
	failuresPerAccount = 5
	failuresPerAddress = 20
	failureWindow      = 15 * time.Minute
)

// Options tune the sessions.
type Options struct {
	SessionTTL  time.Duration // absolute lifetime of a session; 0 means 12 hours
	SessionIdle time.Duration // a session signed in here ends when unused this long; 0 means 30 minutes
}

// Service performs the access actions.
type Service struct {
	store  *store.Store
	audit  *audit.Trail
	keys   *secret.Keyring
	log    *slog.Logger
	ttl    time.Duration
	idle   time.Duration
	limits store.LoginLimits
}

// New builds the service.
func New(st *store.Store, trail *audit.Trail, keys *secret.Keyring, log *slog.Logger, o Options) *Service {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 30 * time.Minute
	}
	return &Service{store: st, audit: trail, keys: keys, log: log, ttl: o.SessionTTL, idle: o.SessionIdle,
		limits: store.LoginLimits{PerAccount: failuresPerAccount, PerAddress: failuresPerAddress, Window: failureWindow}}
}

// SessionTTL is a session's absolute lifetime, for the cookie's MaxAge.
func (s *Service) SessionTTL() time.Duration { return s.ttl }

// SessionIdle is how long an unused session signed in by this process
// lives; each session keeps the limit it was signed in with.
func (s *Service) SessionIdle() time.Duration { return s.idle }
