package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
	"ccsub/web/retcodes"
)

// Retcodes is GET /retcodes: every code by family. Its search (?code=)
// opens the page of the code typed, any well-formed one.
func (s *Server) Retcodes(w http.ResponseWriter, r *http.Request) error {
	find := strings.TrimSpace(r.URL.Query().Get("code"))
	status := http.StatusOK
	props := retcodes.ListProps{}
	switch {
	case find != "" && domain.WellFormedRetcode(find):
		http.Redirect(w, r, "/retcodes/"+find, http.StatusSeeOther)
		return nil
	case find != "":
		props.Find, props.Error = find, i18n.T(r.Context(), "retcode.list.bad_code")
		status = http.StatusBadRequest
	}
	props.Shell = s.page(w, r, i18n.T(r.Context(), "retcode.list.title"), "retcodes")
	return s.render(w, r, status, retcodes.List(props))
}

// RetcodePage is GET /retcodes/{code}: one code in plain language. A code
// outside the table gets a page too, from what its prefix tells; only a
// string that is not shaped like a code is not found. ?call=ID names the
// call the viewer came from, whose details go into the message to send.
func (s *Server) RetcodePage(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	if !domain.WellFormedRetcode(code) {
		return domain.ErrNotFound
	}
	_, known := domain.LookupRetcode(code)
	props := retcodes.PageProps{Code: code, Known: known, Row: domain.ExplainRetcode(code)}
	if id, err := strconv.ParseInt(r.URL.Query().Get("call"), 10, 64); err == nil && id > 0 {
		c, err := s.store.Call(r.Context(), id)
		switch {
		case err == nil:
			c = s.subs.AsShown([]domain.Call{c})[0]
			props.Call = &c
		case !errors.Is(err, domain.ErrNotFound):
			return err
		}
	}
	props.Shell = s.page(w, r, i18n.Tf(r.Context(), "retcode.page.title", i18n.D{"Code": code}), "retcodes")
	return s.render(w, r, http.StatusOK, retcodes.Page(props))
}
