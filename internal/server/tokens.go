package server

import (
	"net/http"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
	"ccsub/internal/form"
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
	tok, err := s.store.CreateAPIToken(r.Context(), domain.NewAPIToken{Name: name, Hash: is.Hash, Prefix: is.Prefix,
		Role: role, CreatedBy: by, ExpiresAt: apitoken.Expiry(time.Now(), days)})
	if err != nil {
		return domain.APIToken{}, "", err
	}
	s.audit(r, TokenCreated(tok))
	return tok, is.Plain, nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tok, changed, err := s.store.RevokeAPIToken(r.Context(), id)
	if err != nil {
		return err
	}
	if !changed {
		return s.flash(w, r, "ok", "Token “"+tok.Name+"” was already revoked.", "/tokens")
	}
	s.audit(r, TokenRevoked(tok))
	return s.flash(w, r, "ok", "Token “"+tok.Name+"” revoked: it no longer works.", "/tokens")
}

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
