package form

import (
	"context"
	"net/url"

	"ccsub/internal/i18n"
)

// Preferences is the preferences form: a signed-in user's own settings.
type Preferences struct {
	TimeZone string // an IANA name; "" for the browser's
	Errors   Errors
}

// ParsePreferences reads and checks the preferences form; its messages are
// in the language of ctx. A zone must be one ccsub knows (time/tzdata is
// built in, so every IANA name is, wherever ccsub runs).
func ParsePreferences(ctx context.Context, v url.Values) Preferences {
	f := Preferences{TimeZone: get(v, "time_zone"), Errors: Errors{}}
	duplicated(ctx, v, f.Errors, "time_zone")
	if _, dup := f.Errors["time_zone"]; !dup && f.TimeZone != "" {
		if _, ok := i18n.LoadZone(f.TimeZone); !ok {
			f.Errors["time_zone"] = i18n.T(ctx, "preferences.zone.invalid")
		}
	}
	return f
}
