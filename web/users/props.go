// Package users renders the administrators' users pages: the list, the
// add-user form and one user's page (role, status, password reset).
package users

import (
	"context"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
)

// ListProps is the users list's model.
type ListProps struct {
	Shell layout.Shell
	Users []domain.UserSummary
}

// NewProps is the add-user page's model. The password is never echoed.
type NewProps struct {
	Shell layout.Shell
	Form  form.User
}

// UserProps is one user's page. Form carries the role and password fields
// of a failed submit (the password itself is never echoed); Problem is a
// refusal that belongs to no field, such as removing the last admin.
type UserProps struct {
	Shell   layout.Shell
	User    domain.UserSummary
	Self    bool // the signed-in admin is looking at their own account
	Form    form.User
	Problem string
}

// roles lists the roles for the role pickers, most powerful first.
var roles = []domain.Role{domain.RoleAdmin, domain.RoleOperator, domain.RoleAuditor}

// roleLabel is a role with what it may do, for the role pickers.
func roleLabel(ctx context.Context, r domain.Role) string {
	switch r {
	case domain.RoleAdmin:
		return i18n.T(ctx, "users.role.admin")
	case domain.RoleOperator:
		return i18n.T(ctx, "users.role.operator")
	case domain.RoleAuditor:
		return i18n.T(ctx, "users.role.auditor")
	}
	return string(r)
}

func userPath(id int64) string             { return "/users/" + strconv.FormatInt(id, 10) }
func userAction(id int64, a string) string { return userPath(id) + "/" + a }

func statusText(ctx context.Context, u domain.User) string {
	if u.Disabled {
		return i18n.T(ctx, "users.status.disabled")
	}
	return i18n.T(ctx, "users.status.enabled")
}
