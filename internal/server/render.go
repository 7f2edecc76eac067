package server

import (
	"bytes"
	"errors"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/web/errorpage"
	"ccsub/web/layout"

	"github.com/a-h/templ"
)

// handlerFunc is a handler that returns its failure to the one renderer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// userError is a failure caused by the request itself: its message is safe
// and useful to show.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func badRequest(msg string) error { return &userError{status: http.StatusBadRequest, msg: msg} }

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// render writes a page only after it rendered completely, so a template
// error never leaves half a page behind a 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
	return nil
}

// fail maps an error to a status, a log line and a friendly page. The user
// never sees err.Error() unless it is a userError.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if isAPI(r) {
		s.failJSON(w, r, err) // API clients get the same mapping, as JSON
		return
	}
	p := errorpage.Props{Shell: s.shell(r, "Error", ""), RequestID: requestID(r)}
	var ue *userError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ue):
		p.Status, p.Heading, p.Detail = ue.status, "That request could not be handled", ue.msg
	case errors.As(err, &mbe):
		p.Status, p.Heading, p.Detail = http.StatusRequestEntityTooLarge, "Too much data",
			"The form sent more data than ccsub accepts. Shorten the values and try again."
	case errors.Is(err, domain.ErrNotFound):
		p.Status, p.Heading, p.Detail = http.StatusNotFound, "Not found", "There is nothing at this address. It may have been removed, or the link may be mistyped."
	case errors.Is(err, domain.ErrForbidden):
		p.Status, p.Heading, p.Detail = http.StatusForbidden, "Not allowed", "Your role does not allow this. Ask an administrator if you need it."
	default:
		p.Status, p.Heading, p.Detail = http.StatusInternalServerError, "Something went wrong",
			"ccsub could not complete this request. Nothing was lost: try again, and tell an administrator if it keeps happening."
		s.log.Error("request failed", "id", p.RequestID, "method", r.Method, "path", logPath(r), "err", err)
	}
	if p.Status < 500 {
		s.log.Info("request refused", "id", p.RequestID, "method", r.Method, "path", logPath(r), "status", p.Status, "reason", p.Heading)
	}
	var buf bytes.Buffer
	if rerr := errorpage.Page(p).Render(r.Context(), &buf); rerr != nil {
		http.Error(w, http.StatusText(p.Status), p.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = buf.WriteTo(w)
}

// shell builds the page frame for the current user.
func (s *Server) shell(r *http.Request, title, nav string) layout.Shell {
	sh := layout.Shell{Title: title, Nav: nav}
	if u, ok := currentUser(r); ok {
		sh.Username, sh.Role = u.Username, string(u.Role)
	}
	return sh
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error { return domain.ErrNotFound }
