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

// dependentsShown is how many live subscriptions a refusal to disable or
// remove a gateway names; the rest are counted.
const dependentsShown = 20

// SetDisabled disables or enables the gateway. Disabling is refused with
// a *domain.GatewayInUse while live subscriptions or a register waiting
// for its answer depend on it; the flag, the check and the audit entry
// commit together. Setting what is already set changes and audits nothing.
func (s *Service) SetDisabled(ctx context.Context, who domain.Actor, id int64, disabled bool) (domain.Gateway, error) {
	var g domain.Gateway
	err := s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		before, err := tx.Gateway(ctx, id)
		if err == nil && before.RemovedAt != nil {
			err = domain.ErrNotFound // removed is gone for every change
		}
		if err != nil {
			return domain.AuditEntry{}, err
		}
		if g = before; before.Disabled == disabled {
			return domain.AuditEntry{}, nil
		}
		if g, err = tx.SetGatewayDisabled(ctx, id, disabled); err != nil {
			return domain.AuditEntry{}, err
		}
		if disabled {
			if err := inUse(ctx, tx, g, "disabled"); err != nil {
				return domain.AuditEntry{}, err
			}
		}
		return domain.AuditEntry{Action: domain.AuditGatewayUpdate, TargetType: domain.TargetGateway,
			TargetID: audit.ID(g.ID), TargetName: g.Name,
			Diff: map[string]domain.FieldChange{"disabled": {Before: before.Disabled, After: disabled}}}, nil
	})
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("gateways.SetDisabled %d: %w", id, err)
	}
	s.client.Forget(id)
	return g, nil
}

// Remove removes the gateway: hidden from every list, kept for the
// history. Refused like SetDisabled while anything depends on it.
func (s *Service) Remove(ctx context.Context, who domain.Actor, id int64) (domain.Gateway, error) {
	var g domain.Gateway
	err := s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if g, err = tx.RemoveGateway(ctx, id); err != nil {
			return domain.AuditEntry{}, err
		}
		if err := inUse(ctx, tx, g, "removed"); err != nil {
			return domain.AuditEntry{}, err
		}
		return domain.AuditEntry{Action: domain.AuditGatewayRemove, TargetType: domain.TargetGateway,
			TargetID: audit.ID(g.ID), TargetName: g.Name,
			Diff: map[string]domain.FieldChange{"removed": {Before: false, After: true}}}, nil
	})
	if err != nil {
		return domain.Gateway{}, fmt.Errorf("gateways.Remove %d: %w", id, err)
	}
	s.client.Forget(id)
	return g, nil
}

// inUse is the refusal to disable or remove g when anything depends on it.
func inUse(ctx context.Context, tx *store.Store, g domain.Gateway, action string) error {
	deps, more, pending, err := tx.GatewayDependents(ctx, g.ID, dependentsShown)
	if err != nil {
		return err
	}
	if len(deps) > 0 || pending > 0 {
		return &domain.GatewayInUse{Gateway: g.Name, Action: action, Dependents: deps, More: more, PendingCalls: pending}
	}
	return nil
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
