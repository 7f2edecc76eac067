package server

import (
	"errors"
	"net/http"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/store"
	"ccsub/web/tokens"
)

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTokens(w, r, http.StatusOK, form.Token{Errors: form.Errors{}}, nil)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, f form.Token, issued *tokens.Issued) error {
	list, err := s.store.ListAPITokens(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, status, tokens.Page(tokens.PageProps{
		Shell: s.page(w, r, "API tokens", "tokens"), Tokens: list, Form: f, Now: time.Now(), Issued: issued,
	}))
}

// createToken issues a token and shows it in this response only: not in
// a redirect URL, not in the flash cookie, never again. The response is
// no-store (requireUser sets it), so it is not kept in the browser cache.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := form.ParseToken(r.PostForm)
	if !f.Validate() {
		return s.renderTokens(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	u, _ := currentUser(r)
	tok, plain, err := s.issueToken(r, domain.Role(f.Role), f.Name, u.Username, f.DaysN)
	if err != nil {
		return err
	}
	issued := &tokens.Issued{Plain: plain, Name: tok.Name, Role: tok.Role, ExpiresAt: tok.ExpiresAt}
	return s.renderTokens(w, r, http.StatusOK, form.Token{Errors: form.Errors{}}, issued)
}

// issueToken generates, stores and audits a token; the plain token is
// returned to be shown once.
func (s *Server) issueToken(r *http.Request, role domain.Role, name, by string, days int) (domain.APIToken, string, error) {
	is, err := apitoken.Generate()
	if err != nil {
		return domain.APIToken{}, "", err
	}
	var tok domain.APIToken
	err = s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		tok, err = tx.CreateAPIToken(r.Context(), domain.NewAPIToken{Name: name, Hash: is.Hash, Prefix: is.Prefix,
			Role: role, CreatedBy: by, ExpiresAt: apitoken.Expiry(time.Now(), days)})
		return TokenCreated(tok), err
	})
	if err != nil {
		return domain.APIToken{}, "", err
	}
	return tok, is.Plain, nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var (
		tok     domain.APIToken
		changed bool
	)
	err = s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		tok, changed, err = tx.RevokeAPIToken(r.Context(), id)
		if err == nil && !changed {
			err = errAlreadyRevoked // nothing changed: nothing to audit
		}
		return TokenRevoked(tok), err
	})
	if errors.Is(err, errAlreadyRevoked) {
		return s.flash(w, r, "ok", "Token “"+tok.Name+"” was already revoked.", "/tokens")
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", "Token “"+tok.Name+"” revoked: it no longer works.", "/tokens")
}

var errAlreadyRevoked = errors.New("already revoked")

// TokenCreated is the audit entry of an issued token: its name, role,
// prefix and expiry, never the token. The CLI records the same entry.
func TokenCreated(t domain.APIToken) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditTokenCreate, TargetType: domain.TargetAPIToken,
		TargetID: idString(t.ID), TargetName: t.Name, Actor: t.CreatedBy,
		Diff: map[string]domain.FieldChange{
			"role":      {After: string(t.Role)},
			"prefix":    {After: t.Prefix},
			"expiresAt": {After: t.ExpiresAt.UTC().Format(time.RFC3339)},
		}}
}

// TokenRevoked is the audit entry of a revoked token.
func TokenRevoked(t domain.APIToken) domain.AuditEntry {
	return domain.AuditEntry{Action: domain.AuditTokenRevoke, TargetType: domain.TargetAPIToken,
		TargetID: idString(t.ID), TargetName: t.Name,
		Diff: map[string]domain.FieldChange{"revoked": {Before: false, After: true}}}
}
