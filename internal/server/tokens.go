package server

import (
	"errors"
	"net/http"
	"time"

	"ccsub/internal/access"
	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/tokens"
)

// TokensPage is GET /tokens.
func (s *Server) TokensPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTokens(w, r, http.StatusOK, form.Token{Errors: form.Errors{}}, nil)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, f form.Token, issued *tokens.Issued) error {
	list, err := s.store.ListAPITokens(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, status, tokens.Page(tokens.PageProps{
		Shell: s.page(w, r, i18n.T(r.Context(), "tokens.title"), "tokens"), Tokens: list, Form: f, Now: time.Now(), Issued: issued,
	}))
}

// CreateToken is POST /tokens. It issues a token and shows it in this
// response only: not in a redirect URL, not in the flash cookie, never
// again. The response is no-store (the route's guard sets it), so it is
// not kept in the browser cache.
func (s *Server) CreateToken(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	f := form.ParseToken(r.Context(), r.PostForm)
	if !f.Validate(r.Context()) {
		return s.renderTokens(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	tok, plain, err := s.access.IssueToken(r.Context(), httpkit.Actor(r), access.NewToken{Name: f.Name, Role: domain.Role(f.Role), Days: f.DaysN})
	if err != nil {
		return err
	}
	issued := &tokens.Issued{Plain: plain, Name: tok.Name, Role: tok.Role, ExpiresAt: tok.ExpiresAt}
	return s.renderTokens(w, r, http.StatusOK, form.Token{Errors: form.Errors{}}, issued)
}

// RevokeToken is POST /tokens/{id}/revoke.
func (s *Server) RevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.PathID(r)
	if err != nil {
		return err
	}
	tok, err := s.access.RevokeToken(r.Context(), httpkit.Actor(r), id)
	if errors.Is(err, access.ErrAlreadyRevoked) {
		return s.flash(w, r, "ok", i18n.Tf(r.Context(), "tokens.flash.already_revoked", i18n.D{"Name": tok.Name}), "/tokens")
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", i18n.Tf(r.Context(), "tokens.flash.revoked", i18n.D{"Name": tok.Name}), "/tokens")
}
