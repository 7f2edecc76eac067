package server

import (
	"errors"
	"net/http"

	"ccsub/internal/access"
	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
	"ccsub/web/users"
)

// ListUsers is GET /users.
func (s *Server) ListUsers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.ListUsers(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, users.List(users.ListProps{Shell: s.page(w, r, i18n.T(r.Context(), "users.title"), "users"), Users: list}))
}

// NewUser is GET /users/new.
func (s *Server) NewUser(w http.ResponseWriter, r *http.Request) error {
	f := form.User{Role: string(domain.RoleOperator), Errors: form.Errors{}}
	return s.renderNewUser(w, r, http.StatusOK, f)
}

func (s *Server) renderNewUser(w http.ResponseWriter, r *http.Request, status int, f form.User) error {
	f.Password = "" // never echoed
	return s.render(w, r, status, users.New(users.NewProps{Shell: s.page(w, r, i18n.T(r.Context(), "users.add"), "users"), Form: f}))
}

// CreateUser is POST /users; a taken name is a field error.
func (s *Server) CreateUser(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	f := form.ParseUser(r.Context(), r.PostForm)
	if !f.ValidateNew(r.Context()) {
		return s.renderNewUser(w, r, http.StatusUnprocessableEntity, f)
	}
	u, err := s.access.CreateUser(r.Context(), httpkit.Actor(r), access.NewUser{Username: f.Username, Role: domain.Role(f.Role), Password: f.Password})
	if errors.Is(err, access.ErrUsernameTaken) {
		f.Errors.Add("username", i18n.T(r.Context(), "users.error.username_taken"))
		return s.renderNewUser(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", i18n.Tf(r.Context(), "users.flash.added", i18n.D{"Username": u.Username, "Role": roleWord(r, u.Role)}), "/users")
}

// UserPage is GET /users/{id}.
func (s *Server) UserPage(w http.ResponseWriter, r *http.Request) error {
	u, err := httpkit.Load(r, s.store.UserByID)
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
	return s.render(w, r, status, users.User(users.UserProps{Shell: s.page(w, r, i18n.Tf(r.Context(), "users.user.title", i18n.D{"Username": u.Username}), "users"),
		User: sum, Self: me.ID == u.ID, Form: f, Problem: problem}))
}

func (s *Server) userSummary(r *http.Request, id int64) (domain.UserSummary, error) {
	list, err := s.store.ListUsers(r.Context())
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

// SetUserRole is POST /users/{id}/role.
func (s *Server) SetUserRole(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(f *form.User) access.UserChange {
		role := domain.Role(f.Role)
		f.ValidateRole(r.Context())
		return access.UserChange{Role: &role}
	})
}

// DisableUser is POST /users/{id}/disable.
func (s *Server) DisableUser(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(*form.User) access.UserChange {
		yes := true
		return access.UserChange{Disabled: &yes}
	})
}

// EnableUser is POST /users/{id}/enable.
func (s *Server) EnableUser(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(*form.User) access.UserChange {
		no := false
		return access.UserChange{Disabled: &no}
	})
}

// ResetUserPassword is POST /users/{id}/password.
func (s *Server) ResetUserPassword(w http.ResponseWriter, r *http.Request) error {
	return s.editUser(w, r, func(f *form.User) access.UserChange {
		f.ValidatePassword(r.Context())
		return access.UserChange{Password: f.Password}
	})
}

// editUser is the shared path of the user page's forms: parse, let change
// validate (into f.Errors) and build the edit, apply it (which ends the
// user's sessions, audited), and say what happened.
func (s *Server) editUser(w http.ResponseWriter, r *http.Request, change func(f *form.User) access.UserChange) error {
	u, err := httpkit.Load(r, s.store.UserByID)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	f := form.ParseUser(r.Context(), r.PostForm)
	c := change(&f)
	if len(f.Errors) > 0 {
		return s.renderUser(w, r, http.StatusUnprocessableEntity, u, f, "")
	}
	up, err := s.access.UpdateUser(r.Context(), httpkit.Actor(r), u.ID, c)
	switch {
	case errors.Is(err, access.ErrNothingChanged):
		return s.flash(w, r, "ok", i18n.T(r.Context(), "users.flash.nothing_changed"), "/users/"+idString(u.ID))
	case errors.Is(err, domain.ErrLastAdmin):
		return s.renderUser(w, r, http.StatusUnprocessableEntity, u, f, lastAdminProblem(r, u))
	case err != nil:
		return err
	}
	return s.reportUserUpdate(w, r, up)
}

func lastAdminProblem(r *http.Request, u domain.User) string {
	return i18n.Tf(r.Context(), "users.problem.last_admin", i18n.D{"Username": u.Username})
}

// roleWord is a role's name in the request's language.
func roleWord(r *http.Request, role domain.Role) string {
	return layout.RoleLabel(r.Context(), string(role))
}

// reportUserUpdate flashes what happened. An admin who changed their own
// account has just lost their session too, so they go to the sign-in page.
func (s *Server) reportUserUpdate(w http.ResponseWriter, r *http.Request, up domain.UserUpdate) error {
	ctx := r.Context()
	msg := i18n.Tf(ctx, "users.flash.updated", i18n.D{"Username": up.After.Username, "What": describeUpdate(r, up)})
	if up.Revoked > 0 {
		msg += " " + i18n.Tf(ctx, "users.flash.signed_out", i18n.D{"Count": up.Revoked, "N": i18n.Number(ctx, int64(up.Revoked))})
	}
	if me, _ := currentUser(r); me.ID == up.After.ID {
		return s.flash(w, r, "ok", msg+" "+i18n.T(ctx, "users.flash.sign_in_again"), "/login")
	}
	return s.flash(w, r, "ok", msg, "/users/"+idString(up.After.ID))
}

func describeUpdate(r *http.Request, up domain.UserUpdate) string {
	ctx := r.Context()
	switch {
	case up.Before.Role != up.After.Role:
		return i18n.Tf(ctx, "users.update.role", i18n.D{"From": roleWord(r, up.Before.Role), "To": roleWord(r, up.After.Role)})
	case up.Before.Disabled != up.After.Disabled && up.After.Disabled:
		return i18n.T(ctx, "users.update.disabled")
	case up.Before.Disabled != up.After.Disabled:
		return i18n.T(ctx, "users.update.enabled")
	}
	return i18n.T(ctx, "users.update.password")
}
