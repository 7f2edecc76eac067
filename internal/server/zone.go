package server

import (
	"net/http"
	"time"

	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
)

// zoneChoiceCookie keeps, in this browser, the signed-in user's own time
// zone as last seen. A list page reads its filter days before the user's
// row comes back (it comes with the list, in one round trip), so it reads
// them in this hint; the user's row decides, and in the rare case the two
// differ (the setting was changed in another browser) the page reads its
// list once more and the hint is put right.
const zoneChoiceCookie = "ccsub_tz_choice"

// viewerZone answers the zone of r's viewer (i18n.WithZone): the user's
// own setting, else the browser's zone that app.js reports in a cookie,
// else UTC. Until the user is known without a query, the hint above stands
// for the user's setting.
func viewerZone(r *http.Request) func() i18n.Zone {
	ctx := r.Context()
	browser, hasBrowser := i18n.CookieZone(r, i18n.ZoneCookie)
	hint, hasHint := i18n.CookieZone(r, zoneChoiceCookie)
	return func() i18n.Zone {
		u, signedIn, known := httpkit.SettledUser(ctx)
		switch {
		case known && signedIn && u.TimeZone != "":
			if loc, ok := i18n.LoadZone(u.TimeZone); ok {
				return i18n.Zone{Loc: loc, Source: i18n.ZoneChosen}
			}
		case !known && hasHint:
			return i18n.Zone{Loc: hint, Source: i18n.ZoneChosen}
		}
		if hasBrowser {
			return i18n.Zone{Loc: browser, Source: i18n.ZoneBrowser}
		}
		return i18n.UTC
	}
}

// zoneMoved reports whether the viewer's zone is not the one a list's
// filters were read in (before), now that the list query brought the
// user's row along. Asking for the user costs no query then.
func zoneMoved(r *http.Request, before i18n.Zone) bool {
	currentUser(r)
	return i18n.ZoneOf(r.Context()).Name() != before.Name()
}

// keepZoneHint puts the browser's zoneChoiceCookie right for the signed-in
// user, when the user is known and the hint is not their setting.
func (s *Server) keepZoneHint(w http.ResponseWriter, r *http.Request) {
	u, signedIn, known := httpkit.SettledUser(r.Context())
	if !known || !signedIn {
		return
	}
	have := ""
	if c, err := r.Cookie(zoneChoiceCookie); err == nil {
		have = c.Value
	}
	if have == u.TimeZone {
		return
	}
	c := &http.Cookie{Name: zoneChoiceCookie, Value: u.TimeZone, Path: "/", MaxAge: int(365 * 24 * time.Hour / time.Second),
		HttpOnly: true, Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode}
	if u.TimeZone == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
