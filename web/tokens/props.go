// Package tokens renders the API token page: the list, the form that
// issues a token, and the one-time display of a new token.
package tokens

import (
	"context"
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
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

// RoleHelp says what a token with the role can do, in the language of ctx.
func RoleHelp(ctx context.Context, r domain.Role) string {
	switch r {
	case domain.RoleAuditor:
		return i18n.T(ctx, "tokens.form.role.auditor")
	case domain.RoleOperator:
		return i18n.T(ctx, "tokens.form.role.operator")
	case domain.RoleAdmin:
		return i18n.T(ctx, "tokens.form.role.admin")
	}
	return ""
}

// Status is a token's state at now.
func Status(t domain.APIToken, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// StatusLabel is a token's state at now in the language of ctx, for the
// list.
func StatusLabel(ctx context.Context, t domain.APIToken, now time.Time) string {
	switch Status(t, now) {
	case "revoked":
		return i18n.T(ctx, "tokens.status.revoked")
	case "expired":
		return i18n.T(ctx, "tokens.status.expired")
	}
	return i18n.T(ctx, "tokens.status.active")
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
