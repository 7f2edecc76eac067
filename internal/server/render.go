package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"ccsub/internal/domain"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/errorpage"
	"ccsub/web/layout"

	"github.com/a-h/templ"
)

// render writes a page only after it rendered completely, so a template
// error never leaves half a page behind a 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := c.Render(i18n.ForRender(r.Context()), buf); err != nil {
		return err
	}
	s.keepZoneHint(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
	return nil
}

// pageBuffers hold rendered pages between requests: a list page is 50–90
// KiB, which a new buffer reached by doubling and copying seven times.
var pageBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 96<<10)) }}

// putPageBuffer keeps a buffer for the next page unless a rare huge page
// made it large: the pool should not pin megabytes.
func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		b.Reset()
		pageBuffers.Put(b)
	}
}

// Fail answers an error with a friendly page and the status httpkit's
// table gives it. The user never sees the cause of a fault of ccsub's. A
// page that needs a session sends whoever has none to the sign-in page,
// keeping where they were going.
func (s *Server) Fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, httpkit.ErrSignInRequired) {
		target := "/login"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	pr := httpkit.ClassifyIn(r.Context(), err)
	httpkit.LogProblem(s.log, r, pr, err)
	p := errorpage.Props{Shell: s.shell(r, i18n.T(r.Context(), "errorpage.title"), ""), RequestID: httpkit.RequestID(r),
		Status: pr.Status, Heading: pr.Title, Detail: pr.Detail}
	var buf bytes.Buffer
	if rerr := errorpage.Page(p).Render(r.Context(), &buf); rerr != nil {
		http.Error(w, http.StatusText(p.Status), p.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	httpkit.SetRetryAfter(w, pr)
	w.WriteHeader(p.Status)
	_, _ = buf.WriteTo(w)
}

// shell builds the page frame for the current user.
func (s *Server) shell(r *http.Request, title, nav string) layout.Shell {
	sh := layout.Shell{Title: title, Nav: nav}
	if u, ok := httpkit.User(r); ok {
		sh.Username, sh.Role = u.Username, string(u.Role)
	}
	return sh
}

// NotFound answers every path no route claims.
func (s *Server) NotFound(w http.ResponseWriter, r *http.Request) error { return domain.ErrNotFound }

func currentUser(r *http.Request) (domain.User, bool) { return httpkit.User(r) }

func idString(id int64) string { return strconv.FormatInt(id, 10) }
