package server

import (
	"errors"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/password"
	"ccsub/web/auth"
)

// refused is the one message for every failed sign-in, so it never tells
// whether the user name exists.
const refused = "The user name or password is not right, or the account is disabled."

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := currentUser(r); ok {
		http.Redirect(w, r, form.SafeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, auth.Login(auth.LoginProps{
		Shell: s.page(w, r, "Sign in", ""), Next: form.SafeNext(r.URL.Query().Get("next")),
	}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := form.ParseLogin(r.PostForm)
	props := auth.LoginProps{Shell: s.shell(r, "Sign in", ""), Username: f.Username, Next: form.SafeNext(f.Next), Errors: f.Errors}
	w.Header().Set("Cache-Control", "no-store")
	if !f.Validate() {
		return s.render(w, r, http.StatusUnprocessableEntity, auth.Login(props))
	}
	u, err := s.authenticate(r, f.Username, f.Password)
	if err != nil {
		if errors.Is(err, errRefused) {
			s.log.Info("sign-in refused", "id", requestID(r))
			props.Failed = refused
			return s.render(w, r, http.StatusUnauthorized, auth.Login(props))
		}
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.log.Info("signed in", "user", u.Username, "id", requestID(r))
	http.Redirect(w, r, props.Next, http.StatusSeeOther)
	return nil
}

var errRefused = errors.New("sign-in refused")

// authenticate spends the same work whether or not the user exists.
func (s *Server) authenticate(r *http.Request, username, plain string) (domain.User, error) {
	u, err := s.store.UserByUsername(r.Context(), username)
	if errors.Is(err, domain.ErrNotFound) {
		password.VerifyDummy(plain)
		return domain.User{}, errRefused
	}
	if err != nil {
		return domain.User{}, err
	}
	ok, err := password.Verify(u.PasswordHash, plain)
	if err != nil || !ok || u.Disabled {
		return domain.User{}, errRefused
	}
	return u, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// parseForm reads a urlencoded body of at most 1 MiB (a CA bundle is the
// largest field).
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("The form data could not be read: " + err.Error())
	}
	return nil
}
