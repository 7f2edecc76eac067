// Package preferences renders a signed-in user's own settings page.
package preferences

import (
	"context"

	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
)

// Props is the preferences page's model.
type Props struct {
	Shell   layout.Shell
	Form    form.Preferences
	Browser string // the zone the browser reported, "" when none
}

// CommonZones are offered as suggestions in the zone field; any IANA name
// may be typed.
var CommonZones = []string{
	"UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul",
	"Asia/Kolkata", "Asia/Dubai", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Moscow",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
	"Australia/Sydney", "Pacific/Auckland",
}

// browserChoice names the empty choice, with the browser's zone when known.
func browserChoice(ctx context.Context, browser string) string {
	if browser == "" {
		return i18n.T(ctx, "preferences.zone.browser")
	}
	return i18n.Tf(ctx, "preferences.zone.browser_now", i18n.D{"Zone": browser})
}
