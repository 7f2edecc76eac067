package server

import (
	"errors"
	"fmt"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/password"
	"ccsub/internal/store"
	"ccsub/web/users"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.ListUsers(r.Context(), s.idle)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, users.List(users.ListProps{Shell: s.page(w, r, "Users", "users"), Users: list}))
}

func (s *Server) newUser(w http.ResponseWriter, r *http.Request) error {
	f := form.User{Role: string(domain.RoleOperator), Errors: form.Errors{}}
	return s.renderNewUser(w, r, http.StatusOK, f)
}

func (s *Server) renderNewUser(w http.ResponseWriter, r *http.Request, status int, f form.User) error {
	f.Password = "" // never echoed
	return s.render(w, r, status, users.New(users.NewProps{Shell: s.page(w, r, "Add a user", "users"), Form: f}))
}

// createUser adds a user; a taken name comes back from the database's
// unique index as a field error.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := form.ParseUser(r.PostForm)
	if !f.ValidateNew() {
		return s.renderNewUser(w, r, http.StatusUnprocessableEntity, f)
	}
	hash, err := password.Hash(f.Password)
	if err != nil {
		return err
	}
	var u domain.User
	err = s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		u, err = tx.CreateUser(r.Context(), f.Username, domain.Role(f.Role), hash)
		return domain.AuditEntry{Action: domain.AuditUserCreate, TargetType: domain.TargetUser, TargetID: idString(u.ID),
			TargetName: u.Username, Diff: map[string]domain.FieldChange{
				"role": {After: string(u.Role)}, "disabled": {After: false}, "password": {After: SecretChanged}}}, err
	})
	if errors.Is(err, domain.ErrConflict) {
		f.Errors.Add("username", "Another user already has this name (letter case does not matter). Choose a different one.")
		return s.renderNewUser(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", fmt.Sprintf("User %s added as %s.", u.Username, u.Role), "/users")
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	return s.renderUser(w, r, http.StatusOK, u, form.User{Role: string(u.Role), Errors: form.Errors{}}, "")
}

// renderUser shows one user's page; after a failed submit it is re-rendered
// with the field errors or the problem, at 422.
func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, u domain.User, f form.User, problem string) error {
	f.Password = "" // never echoed
	if f.Role == "" {
		f.Role = string(u.Role) // a submit of another form: show the current role
	}
	sum, err := s.userSummary(r, u.ID)
	if err != nil {
		return err
	}
	me, _ := currentUser(r)
	return s.render(w, r, status, users.User(users.UserProps{Shell: s.page(w, r, "User "+u.Username, "users"),
		User: sum, Self: me.ID == u.ID, Form: f, Problem: problem}))
}

func (s *Server) userSummary(r *http.Request, id int64) (domain.UserSummary, error) {
	list, err := s.store.ListUsers(r.Context(), s.idle)
	if err != nil {
		return domain.UserSummary{}, err
	}
	for _, u := range list {
		if u.ID == id {
			return u, nil
		}
	}
	return domain.UserSummary{}, domain.ErrNotFound
}

func (s *Server) setUserRole(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(f *form.User) (domain.UserChange, error) {
		role := domain.Role(f.Role)
		f.ValidateRole()
		return domain.UserChange{Role: &role}, nil
	})
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(*form.User) (domain.UserChange, error) {
		yes := true
		return domain.UserChange{Disabled: &yes}, nil
	})
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(*form.User) (domain.UserChange, error) {
		no := false
		return domain.UserChange{Disabled: &no}, nil
	})
}

func (s *Server) resetUserPassword(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(f *form.User) (domain.UserChange, error) {
		if !f.ValidatePassword() {
			return domain.UserChange{}, nil
		}
		hash, err := password.Hash(f.Password)
		return domain.UserChange{PasswordHash: hash}, err
	})
}

// editUser is the shared path of the user page's forms: parse, let change
// validate (into f.Errors) and build the edit, apply it (which ends the
// user's sessions), audit it, and say what happened.
func (s *Server) editUser(w http.ResponseWriter, r *http.Request, change func(f *form.User) (domain.UserChange, error)) error {
	u, err := s.pathUser(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := form.ParseUser(r.PostForm)
	c, err := change(&f)
	if err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return s.renderUser(w, r, http.StatusUnprocessableEntity, u, f, "")
	}
	var up domain.UserUpdate
	err = s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if up, err = tx.UpdateUser(r.Context(), u.ID, c); err == nil && up.Before == up.After {
			err = errNothingChanged
		}
		return userUpdated(up), err
	})
	if errors.Is(err, errNothingChanged) {
		return s.flash(w, r, "ok", "Nothing changed.", "/users/"+idString(u.ID))
	}
	if errors.Is(err, domain.ErrLastAdmin) {
		return s.renderUser(w, r, http.StatusUnprocessableEntity, u, f, lastAdminProblem(u))
	}
	if err != nil {
		return err
	}
	return s.reportUserUpdate(w, r, up)
}

func lastAdminProblem(u domain.User) string {
	return fmt.Sprintf("%s is the last enabled administrator: nobody could manage users or gateways any more. "+
		"Make another user an administrator first.", u.Username)
}

var errNothingChanged = errors.New("nothing changed")

// userUpdated records which of role and disabled changed, and that the
// password changed without any trace of it.
func userUpdated(up domain.UserUpdate) domain.AuditEntry {
	d := changes(map[string]any{"role": string(up.Before.Role), "disabled": up.Before.Disabled},
		map[string]any{"role": string(up.After.Role), "disabled": up.After.Disabled})
	if up.Before.PasswordHash != up.After.PasswordHash {
		d["password"] = domain.FieldChange{Before: SecretUnchanged, After: SecretChanged}
	}
	return domain.AuditEntry{Action: domain.AuditUserUpdate, TargetType: domain.TargetUser,
		TargetID: idString(up.After.ID), TargetName: up.After.Username, Diff: d}
}

// reportUserUpdate flashes what happened. An admin who changed their own
// account has just lost their session too, so they go to the sign-in page.
func (s *Server) reportUserUpdate(w http.ResponseWriter, r *http.Request, up domain.UserUpdate) error {
	msg := fmt.Sprintf("%s: %s.", up.After.Username, describeUpdate(up))
	if up.Revoked > 0 {
		msg += fmt.Sprintf(" Signed out of %d session(s).", up.Revoked)
	}
	if me, _ := currentUser(r); me.ID == up.After.ID {
		return s.flash(w, r, "ok", msg+" Sign in again.", "/login")
	}
	return s.flash(w, r, "ok", msg, "/users/"+idString(up.After.ID))
}

func describeUpdate(up domain.UserUpdate) string {
	switch {
	case up.Before.Role != up.After.Role:
		return fmt.Sprintf("role changed from %s to %s", up.Before.Role, up.After.Role)
	case up.Before.Disabled != up.After.Disabled && up.After.Disabled:
		return "disabled"
	case up.Before.Disabled != up.After.Disabled:
		return "enabled"
	}
	return "password reset"
}

func (s *Server) pathUser(r *http.Request) (domain.User, error) {
	id, err := pathID(r)
	if err != nil {
		return domain.User{}, err
	}
	return s.store.UserByID(r.Context(), id)
}
