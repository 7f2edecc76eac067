package server

import (
	"net/http"

	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/preferences"
)

// PreferencesPage is GET /preferences: the signed-in user's own settings.
func (s *Server) PreferencesPage(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r)
	return s.renderPreferences(w, r, http.StatusOK, form.Preferences{TimeZone: u.TimeZone, Errors: form.Errors{}})
}

// SavePreferences is POST /preferences. The zone is the user's own: it
// holds in every browser they sign in from, and beats the browser's.
func (s *Server) SavePreferences(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	f := form.ParsePreferences(r.Context(), r.PostForm)
	if len(f.Errors) > 0 {
		return s.renderPreferences(w, r, http.StatusUnprocessableEntity, f)
	}
	u, _ := currentUser(r)
	if err := s.access.SetTimeZone(r.Context(), u, f.TimeZone); err != nil {
		return err
	}
	return s.flash(w, r, "ok", i18n.T(r.Context(), "preferences.saved"), "/preferences")
}

func (s *Server) renderPreferences(w http.ResponseWriter, r *http.Request, status int, f form.Preferences) error {
	p := preferences.Props{Shell: s.page(w, r, i18n.T(r.Context(), "preferences.title"), "preferences"), Form: f}
	if loc, ok := i18n.CookieZone(r, i18n.ZoneCookie); ok {
		p.Browser = loc.String()
	}
	return s.render(w, r, status, preferences.Page(p))
}
