// Package tokens renders the API token page: the list, the form that
// issues a token, and the one-time display of a new token.
package tokens

import (
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/web/layout"
)

// PageProps is the token page's model.
type PageProps struct {
	Shell  layout.Shell
	Tokens []domain.APIToken
	Form   form.Token
	Now    time.Time
	// Issued is set only on the answer to the creation form: the token is
	// shown in that response and never again.
	Issued *Issued
}

// Issued is a token just created.
type Issued struct {
	Plain     string
	Name      string
	Role      domain.Role
	ExpiresAt time.Time
}

// Roles offered in the form, least powerful first.
var Roles = []domain.Role{domain.RoleAuditor, domain.RoleOperator, domain.RoleAdmin}

// RoleHelp says what a token with the role can do.
func RoleHelp(r domain.Role) string {
	switch r {
	case domain.RoleAuditor:
		return "read-only: gateways, subscriptions, history, audit"
	case domain.RoleOperator:
		return "also register, modify and cancel subscriptions"
	case domain.RoleAdmin:
		return "everything, including creating and changing gateways"
	}
	return ""
}

// Status is a token's state at now, for the list.
func Status(t domain.APIToken, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func revokePath(id int64) string { return "/tokens/" + strconv.FormatInt(id, 10) + "/revoke" }

var (
	minDays = strconv.Itoa(form.MinTokenDays)
	maxDays = strconv.Itoa(form.MaxTokenDays)
)

func daysValue(f form.Token) string {
	if f.Days == "" {
		return "90"
	}
	return f.Days
}

func roleSelected(f form.Token, r domain.Role) bool {
	if f.Role == "" {
		return r == domain.RoleAuditor
	}
	return f.Role == string(r)
}
