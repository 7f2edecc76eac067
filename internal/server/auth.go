package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"ccsub/internal/access"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/auth"
)

// LoginPage is GET /login.
func (s *Server) LoginPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := currentUser(r); ok {
		http.Redirect(w, r, form.SafeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, auth.Login(auth.LoginProps{
		Shell: s.page(w, r, i18n.T(r.Context(), "auth.signin.title"), ""), Next: form.SafeNext(r.URL.Query().Get("next")),
	}))
}

// Login is POST /login.
func (s *Server) Login(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := form.ParseLogin(ctx, r.PostForm)
	props := auth.LoginProps{Shell: s.shell(r, i18n.T(ctx, "auth.signin.title"), ""), Username: f.Username, Next: form.SafeNext(f.Next), Errors: f.Errors}
	w.Header().Set("Cache-Control", "no-store")
	if !f.Validate(ctx) {
		return s.render(w, r, http.StatusUnprocessableEntity, auth.Login(props))
	}
	_, token, err := s.access.SignIn(ctx, httpkit.Actor(r), f.Username, f.Password, s.cookieToken(r))
	var th *access.Throttled
	switch {
	case errors.As(err, &th):
		props.Failed = throttled(ctx, th.Wait)
		w.Header().Set("Retry-After", strconv.Itoa(int(th.Wait.Round(time.Second).Seconds())))
		return s.render(w, r, http.StatusTooManyRequests, auth.Login(props))
	case errors.Is(err, access.ErrRefused):
		// One message for every refused sign-in, so it never tells
		// whether the user name exists.
		props.Failed = i18n.T(ctx, "auth.signin.refused")
		return s.render(w, r, http.StatusUnauthorized, auth.Login(props))
	case err != nil:
		return err
	}
	if err := s.setSession(w, r, token); err != nil {
		return err
	}
	http.Redirect(w, r, props.Next, http.StatusSeeOther)
	return nil
}

// throttled is the message of a refused sign-in, rounded up to whole
// minutes so it never says "0 minutes".
func throttled(ctx context.Context, wait time.Duration) string {
	n := max(int((wait+time.Minute-1)/time.Minute), 1)
	return i18n.Tf(ctx, "auth.signin.throttled", i18n.D{"Count": n})
}

// Logout is POST /logout: it ends the session on the server, so the cookie
// is worthless even if a copy of it survives somewhere.
func (s *Server) Logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r, i18n.T(r.Context(), "auth.signout.done")); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
