package access

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/password"
	"ccsub/internal/store"
)

// ErrUsernameTaken means another user already has the name (letter case
// does not matter).
var ErrUsernameTaken = fmt.Errorf("another user already has this name: %w", domain.ErrConflict)

// ErrNothingChanged means the change asked for is what is already stored.
var ErrNothingChanged = errors.New("nothing changed")

// NewUser is a validated add-user form.
type NewUser struct {
	Username string
	Role     domain.Role
	Password string
}

// UserChange is one edit of a user: a role, disabled or enabled, or a new
// password (non-empty).
type UserChange struct {
	Role     *domain.Role
	Disabled *bool
	Password string
}

// CreateUser adds a user.
func (s *Service) CreateUser(ctx context.Context, who domain.Actor, in NewUser) (domain.User, error) {
	hash, err := password.Hash(in.Password)
	if err != nil {
		return domain.User{}, err
	}
	var u domain.User
	err = s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		u, err = tx.CreateUser(ctx, in.Username, in.Role, hash)
		return userCreated(u), err
	})
	if errors.Is(err, domain.ErrConflict) {
		return domain.User{}, ErrUsernameTaken
	}
	return u, err
}

// UpdateUser applies a change, which ends all of the user's sessions.
// domain.ErrLastAdmin refuses a change that would leave no enabled admin;
// ErrNothingChanged says there was nothing to do.
func (s *Service) UpdateUser(ctx context.Context, who domain.Actor, id int64, c UserChange) (domain.UserUpdate, error) {
	change := domain.UserChange{Role: c.Role, Disabled: c.Disabled}
	if c.Password != "" {
		hash, err := password.Hash(c.Password)
		if err != nil {
			return domain.UserUpdate{}, err
		}
		change.PasswordHash = hash
	}
	var up domain.UserUpdate
	err := s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if up, err = tx.UpdateUser(ctx, id, change); err == nil && up.Before == up.After {
			err = ErrNothingChanged // nothing to audit either
		}
		return userUpdated(up), err
	})
	return up, err
}

// FirstAdmin creates the first user, "admin", with a random password, when
// there is no user yet; it returns the password to be shown once, or ""
// when nothing was created (also when another process created it first).
func (s *Service) FirstAdmin(ctx context.Context) (string, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	pw := base64.RawURLEncoding.EncodeToString(b[:])
	hash, err := password.Hash(pw)
	if err != nil {
		return "", err
	}
	if _, err := s.store.CreateUser(ctx, "admin", domain.RoleAdmin, hash); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return "", nil
		}
		return "", err
	}
	return pw, nil
}

// userCreated records the new user's role, never the password.
func userCreated(u domain.User) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditUserCreate, TargetType: domain.TargetUser, TargetID: audit.ID(u.ID),
		TargetName: u.Username, Diff: map[string]domain.FieldChange{
			"role": {After: string(u.Role)}, "disabled": {After: false}, "password": {After: audit.SecretChanged}}}
}

// userUpdated records which of role and disabled changed, and that the
// password changed without any trace of it.
func userUpdated(up domain.UserUpdate) domain.AuditEntry {
	d := audit.Changes(map[string]any{"role": string(up.Before.Role), "disabled": up.Before.Disabled},
		map[string]any{"role": string(up.After.Role), "disabled": up.After.Disabled})
	if up.Before.PasswordHash != up.After.PasswordHash {
		d["password"] = domain.FieldChange{Before: audit.SecretUnchanged, After: audit.SecretChanged}
	}
	return domain.AuditEntry{Action: domain.AuditUserUpdate, TargetType: domain.TargetUser,
		TargetID: audit.ID(up.After.ID), TargetName: up.After.Username, Diff: d}
}

// SetTimeZone stores the signed-in user's own time zone, an IANA name
// already checked by the form ("" for the browser's). It is the user's
// display preference, not an access change: it is not audited and ends no
// session.
func (s *Service) SetTimeZone(ctx context.Context, u domain.User, zone string) error {
	return s.store.SetUserTimeZone(ctx, u.ID, zone)
}
