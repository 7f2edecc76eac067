// Package gateways is the action that adds and edits the CC-Gateways
// ccsub talks to: it seals the password, saves the gateway with its audit
// entry in one transaction, drops the client's cached login, and reveals a
// stored password to an administrator. The connection test is a gateway
// call and lives with the others in subscribe.
package gateways

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// ErrNameTaken means another gateway already has the name.
var ErrNameTaken = fmt.Errorf("another gateway already has this name: %w", domain.ErrConflict)

// Input is a validated gateway form. An empty Password keeps the stored
// one when editing.
type Input struct {
	Name     string
	BaseURL  string
	AgentID  int64
	Password string
	CAPEM    string
}

// Forgetter drops what the gateway client cached for a gateway (its Guid),
// so an edit takes effect at the next call.
type Forgetter interface{ Forget(gatewayID int64) }

// Service performs the gateway actions.
type Service struct {
	store  *store.Store
	audit  *audit.Trail
	keys   *secret.Keyring
	client Forgetter
}

// New builds the service.
func New(st *store.Store, trail *audit.Trail, keys *secret.Keyring, client Forgetter) *Service {
	return &Service{store: st, audit: trail, keys: keys, client: client}
}

// Create adds a gateway.
func (s *Service) Create(ctx context.Context, who domain.Actor, in Input) (domain.Gateway, error) {
	return s.save(ctx, who, nil, in)
}

// Update edits the gateway with the given id. A new password or agent ID
// ends a login refusal remembered for the old ones (store.UpdateGateway).
func (s *Service) Update(ctx context.Context, who domain.Actor, id int64, in Input) (domain.Gateway, error) {
	before, err := s.store.Gateway(ctx, id)
	if err != nil {
		return domain.Gateway{}, err
	}
	return s.save(ctx, who, &before, in)
}

// save seals the password and saves (before is nil when adding); a
// duplicate name comes back from the database's unique index.
func (s *Service) save(ctx context.Context, who domain.Actor, before *domain.Gateway, in Input) (domain.Gateway, error) {
	gi := domain.GatewayInput{Name: in.Name, BaseURL: in.BaseURL, AgentID: in.AgentID, CAPEM: in.CAPEM}
	if in.Password != "" {
		sealed, err := s.keys.Seal([]byte(in.Password), secret.PurposeGatewayPassword)
		if err != nil {
			return domain.Gateway{}, err
		}
		gi.PasswordSealed = sealed
	}
	var g domain.Gateway
	err := s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if before == nil {
			g, err = tx.CreateGateway(ctx, gi)
		} else {
			g, err = tx.UpdateGateway(ctx, before.ID, gi)
		}
		return saved(before, g, in.Password != ""), err
	})
	if errors.Is(err, domain.ErrConflict) {
		return domain.Gateway{}, ErrNameTaken
	}
	if err != nil {
		return domain.Gateway{}, err
	}
	s.client.Forget(g.ID)
	return g, nil
}

// RevealPassword opens a gateway's password for an administrator. Every
// reveal is audited, also one that fails.
func (s *Service) RevealPassword(ctx context.Context, who domain.Actor, g domain.Gateway) (string, error) {
	e := domain.AuditEntry{Action: domain.AuditSecretReveal, TargetType: domain.TargetGateway, TargetID: audit.ID(g.ID),
		TargetName: g.Name, Diff: audit.Revealed("password")}
	plain, err := s.audit.Reveal(ctx, who, e, func() ([]byte, error) { return s.keys.Open(g.PasswordSealed, secret.PurposeGatewayPassword) })
	if err != nil {
		return "", fmt.Errorf("gateways.RevealPassword %d: %w", g.ID, err)
	}
	return plain, nil
}

// Ensure creates or updates the gateway named in.Name without an audit
// entry: it is ccsub's own built-in simulator, re-registered at every
// start with a fresh password.
func (s *Service) Ensure(ctx context.Context, in Input) (domain.Gateway, error) {
	sealed, err := s.keys.Seal([]byte(in.Password), secret.PurposeGatewayPassword)
	if err != nil {
		return domain.Gateway{}, err
	}
	g, err := s.store.UpsertGatewayByName(ctx, domain.GatewayInput{Name: in.Name, BaseURL: in.BaseURL,
		AgentID: in.AgentID, PasswordSealed: sealed, CAPEM: in.CAPEM})
	if err == nil {
		s.client.Forget(g.ID)
	}
	return g, err
}

// fields are a gateway's audited fields; the CA bundle only as fingerprints.
func fields(g domain.Gateway) map[string]any {
	return map[string]any{"name": g.Name, "baseUrl": g.BaseURL, "agentId": g.AgentID, "caFingerprint": audit.CAFingerprint(g.CAPEM)}
}

// saved is the entry of a created (before nil) or edited gateway, with its
// password only as a marker.
func saved(before *domain.Gateway, after domain.Gateway, newPassword bool) domain.AuditEntry {
	e := domain.AuditEntry{Action: domain.AuditGatewayCreate, TargetType: domain.TargetGateway,
		TargetID: audit.ID(after.ID), TargetName: after.Name}
	var old map[string]any
	if before != nil {
		e.Action, old = domain.AuditGatewayUpdate, fields(*before)
	}
	e.Diff = audit.Changes(old, fields(after))
	pw := audit.SecretUnchanged
	if newPassword {
		pw = audit.SecretChanged
	}
	e.Diff["password"] = domain.FieldChange{After: pw}
	if before != nil && before.LoginRefused != nil && after.LoginRefused == nil {
		// The store ends a refusal when the password or the agent ID it was
		// about changes; say so, since it lets every process log in again.
		e.Diff["loginRefused"] = domain.FieldChange{Before: before.LoginRefused.String()}
	}
	return e
}
