package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/password"
	"ccsub/internal/store"
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

// Sign-in throttling: a sliding window per account (the name as typed, so
// unknown names count too) and per source address. The address limit is
// higher because several people may share one address (a NAT, a proxy).
const (
	failuresPerAccount = 5
	failuresPerAddress = 20
	failureWindow      = 15 * time.Minute
)

func loginLimits() store.LoginLimits {
	return store.LoginLimits{PerAccount: failuresPerAccount, PerAddress: failuresPerAddress, Window: failureWindow}
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
	// Throttling is decided before the password is looked at: a throttled
	// guess learns nothing, even when it is right.
	attempt, wait, err := s.store.BeginLoginAttempt(r.Context(), f.Username, sourceAddr(r), s.limits)
	if err != nil {
		return err
	}
	if wait > 0 {
		s.auditLoginFailed(r, f.Username, "throttled")
		props.Failed = throttled(wait)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second).Seconds())))
		return s.render(w, r, http.StatusTooManyRequests, auth.Login(props))
	}
	u, err := s.authenticate(r, f.Username, f.Password)
	if errors.Is(err, errRefused) {
		s.auditLoginFailed(r, f.Username, "wrong user name or password, or disabled account")
		props.Failed = refused
		return s.render(w, r, http.StatusUnauthorized, auth.Login(props))
	}
	if err != nil {
		return err
	}
	return s.signIn(w, r, u, attempt, f.Username, props.Next)
}

// signIn forgives the account's failures, starts a new session and
// records the sign-in.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, u domain.User, attempt int64, typed, next string) error {
	if err := s.store.LoginSucceeded(r.Context(), attempt, typed); err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.audit(r, domain.AuditEntry{Actor: u.Username, Action: domain.AuditLogin,
		TargetType: domain.TargetUser, TargetID: idString(u.ID), TargetName: u.Username})
	s.log.Info("signed in", "user", u.Username, "id", requestID(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// auditLoginFailed records a refused sign-in under the name that was
// typed; the password is never part of it.
func (s *Server) auditLoginFailed(r *http.Request, typed, reason string) {
	s.log.Info("sign-in refused", "id", requestID(r), "reason", reason)
	s.audit(r, domain.AuditEntry{Actor: clip(typed, 64), Action: domain.AuditLoginFailed, Outcome: "failure",
		Diff: map[string]domain.FieldChange{"reason": {After: reason}}})
}

// throttled is the message of a refused sign-in, rounded up to whole
// minutes so it never says "0 minutes".
func throttled(wait time.Duration) string {
	n := int((wait + time.Minute - 1) / time.Minute)
	if n <= 1 {
		return "Too many failed sign-ins. Try again in 1 minute."
	}
	return fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", n)
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

// logout ends the session on the server, so the cookie is worthless even
// if a copy of it survives somewhere.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	u, signedIn := currentUser(r)
	if err := s.endSession(w, r, "You are signed out."); err != nil {
		return err
	}
	if signedIn {
		s.audit(r, domain.AuditEntry{Action: domain.AuditLogout, TargetType: domain.TargetUser,
			TargetID: idString(u.ID), TargetName: u.Username})
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
