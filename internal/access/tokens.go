package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// ErrBadToken is the one answer for unknown, expired, revoked and
// malformed API tokens, so a caller learns nothing about tokens it does
// not hold.
var ErrBadToken = errors.New("the API token is unknown, expired or revoked")

// ErrAlreadyRevoked means the token was revoked before; nothing changed.
var ErrAlreadyRevoked = errors.New("the token was already revoked")

// NewToken is a validated token form.
type NewToken struct {
	Name string
	Role domain.Role
	Days int
}

// IssueToken generates, stores and audits a token. The plain token is
// returned to be shown once: only its hash is kept.
func (s *Service) IssueToken(ctx context.Context, who domain.Actor, in NewToken) (domain.APIToken, string, error) {
	is, err := apitoken.Generate()
	if err != nil {
		return domain.APIToken{}, "", err
	}
	var tok domain.APIToken
	err = s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		tok, err = tx.CreateAPIToken(ctx, domain.NewAPIToken{Name: in.Name, Hash: is.Hash, Prefix: is.Prefix,
			Role: in.Role, CreatedBy: who.Name, ExpiresAt: apitoken.Expiry(time.Now(), in.Days)})
		return tokenCreated(tok), err
	})
	if err != nil {
		return domain.APIToken{}, "", err
	}
	return tok, is.Plain, nil
}

// RevokeToken revokes a token; ErrAlreadyRevoked when it was revoked
// before (the token is returned either way).
func (s *Service) RevokeToken(ctx context.Context, who domain.Actor, id int64) (domain.APIToken, error) {
	var tok domain.APIToken
	err := s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		var (
			changed bool
			err     error
		)
		tok, changed, err = tx.RevokeAPIToken(ctx, id)
		if err == nil && !changed {
			err = ErrAlreadyRevoked // nothing changed: nothing to audit
		}
		return tokenRevoked(tok), err
	})
	return tok, err
}

// Authenticate finds the usable token of a bearer credential and records
// its use.
func (s *Service) Authenticate(ctx context.Context, plain string) (domain.APIToken, error) {
	if !apitoken.WellFormed(plain) {
		return domain.APIToken{}, ErrBadToken
	}
	tok, err := s.store.APITokenByHash(ctx, apitoken.Hash(plain))
	if errors.Is(err, domain.ErrNotFound) || err == nil && !tok.Usable(time.Now()) {
		return domain.APIToken{}, ErrBadToken
	}
	if err != nil {
		return domain.APIToken{}, err
	}
	s.touch(ctx, tok)
	return tok, nil
}

// touch records the token's use; the store writes at most once a minute,
// and this check saves even the statement most of the time.
func (s *Service) touch(ctx context.Context, tok domain.APIToken) {
	if tok.LastUsedAt != nil && time.Since(*tok.LastUsedAt) < time.Minute {
		return
	}
	if err := s.store.TouchAPIToken(context.WithoutCancel(ctx), tok.ID); err != nil {
		s.log.Warn("API token use not recorded", "token_id", tok.ID, "err", err)
	}
}

// TokenActor is how a token's actions are named in the history and the
// audit trail: its name and id, so two tokens with the same name stay
// apart.
func TokenActor(t domain.APIToken) string {
	return fmt.Sprintf("%s (API token #%d)", t.Name, t.ID)
}

// tokenCreated is the entry of an issued token: its name, role, prefix and
// expiry, never the token.
func tokenCreated(t domain.APIToken) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditTokenCreate, TargetType: domain.TargetAPIToken,
		TargetID: audit.ID(t.ID), TargetName: t.Name, Actor: t.CreatedBy,
		Diff: map[string]domain.FieldChange{
			"role":      {After: string(t.Role)},
			"prefix":    {After: t.Prefix},
			"expiresAt": {After: t.ExpiresAt.UTC().Format(time.RFC3339)},
		}}
}

func tokenRevoked(t domain.APIToken) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditTokenRevoke, TargetType: domain.TargetAPIToken,
		TargetID: audit.ID(t.ID), TargetName: t.Name,
		Diff: map[string]domain.FieldChange{"revoked": {Before: false, After: true}}}
}
