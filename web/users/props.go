// Package users renders the administrators' users pages: the list, the
// add-user form and one user's page (role, status, password reset).
package users

import (
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
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

// Roles lists the roles with what each may do, for the role pickers.
var roles = []struct{ Value, Label string }{
	{string(domain.RoleAdmin), "admin: everything, including users and gateways"},
	{string(domain.RoleOperator), "operator: register, modify and cancel subscriptions; view"},
	{string(domain.RoleAuditor), "auditor: read-only: history, audit trail, inbox, exports"},
}

func userPath(id int64) string             { return "/users/" + strconv.FormatInt(id, 10) }
func userAction(id int64, a string) string { return userPath(id) + "/" + a }
func sessionsText(n int) string            { return strconv.Itoa(n) }

func statusText(u domain.User) string {
	if u.Disabled {
		return "disabled"
	}
	return "enabled"
}

var (
	usernameHint = "What the person types to sign in: at most 64 letters, digits and . _ - @ characters. " +
		"Shown as the actor in the history and the audit trail. Letter case does not matter."
	newPasswordHint = "The first password; give it to the person over a trusted channel. At least " +
		strconv.Itoa(form.MinPasswordChars) + " characters. It is stored only as a hash and never shown again."
	resetPasswordHint = "A new password of at least " + strconv.Itoa(form.MinPasswordChars) +
		" characters. The user is signed out everywhere and signs in again with it."
)
