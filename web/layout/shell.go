// Package layout is the page shell every console page renders into.
package layout

import (
	"context"

	"ccsub/internal/i18n"
)

// Shell is what the frame of every page needs to know.
type Shell struct {
	Title    string
	Nav      string // which nav entry is current: subscriptions, new, history, gateways
	Username string // empty on the login page
	Role     string
	Flash    Flash
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // "ok" or "error"
	Text string
}

func current(s Shell, nav string) string {
	if s.Nav == nav {
		return "page"
	}
	return "false"
}

// RoleLabel is a role's name in the viewer's language.
func RoleLabel(ctx context.Context, role string) string {
	switch role {
	case "admin":
		return i18n.T(ctx, "layout.role.admin")
	case "operator":
		return i18n.T(ctx, "layout.role.operator")
	case "auditor":
		return i18n.T(ctx, "layout.role.auditor")
	}
	return role
}

// zoneLine says which zone the page's times are in and where it came from.
func zoneLine(ctx context.Context) string {
	z := i18n.ZoneOf(ctx)
	label := i18n.ZoneLabel(ctx)
	switch z.Source {
	case i18n.ZoneChosen:
		return i18n.Tf(ctx, "layout.zone.chosen", i18n.D{"Zone": label})
	case i18n.ZoneBrowser:
		return i18n.Tf(ctx, "layout.zone.browser", i18n.D{"Zone": label})
	}
	return i18n.T(ctx, "layout.zone.default")
}
