package server

import (
	"net/http"

	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
)

// SetLanguage is POST /language, the language switcher: it remembers the
// choice in its own long-lived cookie (not the session, so it works signed
// out too) and goes back to the page it came from, which must be a path on
// this site.
func (s *Server) SetLanguage(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	lang := r.PostForm.Get("lang")
	if !i18n.IsSupported(lang) || len(r.PostForm["lang"]) > 1 {
		return httpkit.FieldError("lang", i18n.T(r.Context(), "layout.language.unsupported"),
			i18n.T(r.Context(), "layout.language.unsupported"))
	}
	i18n.SetCookie(w, lang, s.sessions.Options.Secure)
	http.Redirect(w, r, form.SafeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}
