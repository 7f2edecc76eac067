package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/password"
	"ccsub/internal/store"
)

// ErrRefused is the one answer for every failed sign-in, so it never tells
// whether the user name exists.
var ErrRefused = errors.New("the user name or password is not right, or the account is disabled")

// Throttled refuses a sign-in after too many failures; Wait says for how
// long.
type Throttled struct{ Wait time.Duration }

func (t *Throttled) Error() string { return "too many failed sign-ins" }

// SignIn checks a user name and password and starts a new session; it
// returns the user and the session's token for the cookie. replaces is the
// token the browser presented, if any: it is deleted, so a session token is
// never reused across a sign-in and one planted in the browser beforehand
// is worthless. A refusal is ErrRefused or *Throttled, and is audited.
func (s *Service) SignIn(ctx context.Context, who domain.Actor, username, plain, replaces string) (domain.User, string, error) {
	// Throttling is decided before the password is looked at: a throttled
	// guess learns nothing, even when it is right.
	attempt, wait, err := s.store.BeginLoginAttempt(ctx, username, who.Addr, s.limits)
	if err != nil {
		return domain.User{}, "", err
	}
	if wait > 0 {
		s.signInRefused(ctx, who, username, "throttled")
		return domain.User{}, "", &Throttled{Wait: wait}
	}
	u, err := s.authenticate(ctx, username, plain)
	if errors.Is(err, ErrRefused) {
		s.signInRefused(ctx, who, username, "wrong user name or password, or disabled account")
	}
	if err != nil {
		return domain.User{}, "", err
	}
	if err := s.store.LoginSucceeded(ctx, attempt, username); err != nil {
		return domain.User{}, "", err
	}
	token, err := s.startSession(ctx, who, u, replaces)
	if err != nil {
		return domain.User{}, "", err
	}
	who.Name = u.Username
	s.audit.Record(ctx, who, domain.AuditEntry{Action: domain.AuditLogin,
		TargetType: domain.TargetUser, TargetID: audit.ID(u.ID), TargetName: u.Username})
	s.log.Info("signed in", "user", u.Username)
	return u, token, nil
}

// signInRefused records a refused sign-in under the name that was typed;
// the password is never part of it.
func (s *Service) signInRefused(ctx context.Context, who domain.Actor, typed, reason string) {
	s.log.Info("sign-in refused", "reason", reason)
	s.audit.Record(ctx, who, domain.AuditEntry{Actor: domain.Clip(typed, 64), Action: domain.AuditLoginFailed, Outcome: "failure",
		Diff: map[string]domain.FieldChange{"reason": {After: reason}}})
}

// authenticate spends the same work whether or not the user exists.
func (s *Service) authenticate(ctx context.Context, username, plain string) (domain.User, error) {
	u, err := s.store.UserByUsername(ctx, username)
	if errors.Is(err, domain.ErrNotFound) {
		password.VerifyDummy(plain)
		return domain.User{}, ErrRefused
	}
	if err != nil {
		return domain.User{}, err
	}
	ok, err := password.Verify(u.PasswordHash, plain)
	if err != nil || !ok || u.Disabled {
		return domain.User{}, ErrRefused
	}
	return u, nil
}

func (s *Service) startSession(ctx context.Context, who domain.Actor, u domain.User, replaces string) (string, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	old := ""
	if replaces != "" {
		old = sessionID(replaces)
	}
	err := s.store.CreateSession(ctx, domain.NewSession{ID: sessionID(token), UserID: u.ID, Lifetime: s.ttl,
		IdleLimit: s.idle, SourceAddr: who.Addr, UserAgent: who.UserAgent}, old)
	return token, err
}

// SessionUser returns the user of a live session. A session that is
// unknown, revoked, expired, idle for longer than its own limit (the one
// set when it was signed in, on whichever process) or whose user is
// disabled is no session (false, nil); only a database failure is an
// error.
func (s *Service) SessionUser(ctx context.Context, token string) (domain.User, bool, error) {
	l := s.SessionLookup(token)
	if l == nil {
		return domain.User{}, false, nil
	}
	return s.FinishSession(ctx, l)
}

// SessionLookup prepares the lookup of token's session without running
// it, so a list page can send it with its own query (store.SessionLookup);
// nil for no token.
func (s *Service) SessionLookup(token string) *store.SessionLookup {
	if token == "" {
		return nil
	}
	return &store.SessionLookup{ID: sessionID(token)}
}

// FinishSession answers as SessionUser does from l, running its query
// first if no list query took it along, and records the session's
// activity when it is due.
func (s *Service) FinishSession(ctx context.Context, l *store.SessionLookup) (domain.User, bool, error) {
	if !l.Done {
		if err := s.store.RunSessionLookup(ctx, l); err != nil {
			return domain.User{}, false, err
		}
	}
	if !l.Found {
		return domain.User{}, false, nil
	}
	if l.Stale {
		l.Stale = false // once per request, however often it is asked
		if err := s.store.TouchSession(ctx, l.ID); err != nil {
			s.log.Warn("session activity not recorded", "err", err)
		}
	}
	return l.User, true, nil
}

// SignOut ends the session on the server, so its cookie is worthless even
// if a copy of it survives somewhere, and audits it when someone was
// signed in.
func (s *Service) SignOut(ctx context.Context, who domain.Actor, u *domain.User, token string) error {
	if token != "" {
		if err := s.store.DeleteSession(context.WithoutCancel(ctx), sessionID(token)); err != nil {
			return err
		}
	}
	if u != nil {
		s.audit.Record(ctx, who, domain.AuditEntry{Action: domain.AuditLogout, TargetType: domain.TargetUser,
			TargetID: audit.ID(u.ID), TargetName: u.Username})
	}
	return nil
}

// sessionID is what the sessions table stores for a token: its SHA-256, so
// a copy of the table cannot be turned back into working cookies.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
