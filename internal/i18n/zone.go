package i18n

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zones work in a minimal container without /usr/share/zoneinfo
)

// ZoneCookie is the cookie in which app.js reports the browser's time
// zone (an IANA name such as "Asia/Shanghai"). It is a report, not a
// choice: the user's own setting, when there is one, wins.
const ZoneCookie = "ccsub_tz"

// ZoneSource says where the viewer's zone came from, for the line that
// names it.
type ZoneSource int

// The sources of a viewer's zone, strongest first.
const (
	ZoneDefault ZoneSource = iota // nothing known: UTC
	ZoneChosen                    // the user's own setting
	ZoneBrowser                   // the browser's, reported by app.js
)

// Zone is the time zone a viewer's times are shown and their days read in.
type Zone struct {
	Loc    *time.Location
	Source ZoneSource
}

// UTC is the zone of a viewer about whom nothing is known, and of the API.
var UTC = Zone{Loc: time.UTC, Source: ZoneDefault}

// Name is the zone's IANA name ("UTC" for UTC).
func (z Zone) Name() string { return z.Loc.String() }

type zoneKey struct{}

// WithZone returns ctx whose viewer's zone is what zone answers when
// asked. It is a function because the signed-in user (whose setting wins)
// may be looked up only after the page's list query (one round trip): it
// answers the best zone known at the time it is asked.
func WithZone(ctx context.Context, zone func() Zone) context.Context {
	return context.WithValue(ctx, zoneKey{}, zone)
}

// ZoneOf is the viewer's zone in ctx; UTC when ctx has none (the JSON API,
// background jobs, the CLI).
func ZoneOf(ctx context.Context) Zone {
	if f, ok := ctx.Value(zoneKey{}).(func() Zone); ok && f != nil {
		if z := f(); z.Loc != nil {
			return z
		}
	}
	return UTC
}

// zones keeps the zones loaded: time.LoadLocation reads and parses the
// zone's file every time, and a page asks for every time it shows. Only
// valid names are kept, so it holds at most the few hundred IANA zones.
var zones sync.Map // name → *time.Location

// LoadZone reads an IANA zone name as a user or a browser gives it. It
// refuses what is not a zone ccsub knows, and "Local" (the server's own
// zone, which means nothing to a viewer); "" is no zone.
func LoadZone(name string) (*time.Location, bool) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), true
	}
	if name == "" || name == "Local" || len(name) > 64 || strings.TrimSpace(name) != name {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

// CookieZone is the zone a cookie of r names, if it names a valid one.
// An invalid or missing cookie is no zone, and no error: the viewer then
// sees UTC, said so on every page.
func CookieZone(r *http.Request, name string) (*time.Location, bool) {
	c, err := r.Cookie(name)
	if err != nil {
		return nil, false
	}
	return LoadZone(c.Value)
}

// Offset writes the offset from UTC of t's zone at t: "UTC+08:00",
// "UTC-03:30", "UTC" for none.
func Offset(t time.Time) string { return string(appendOffset(nil, t)) }

// appendOffset appends Offset(t) to b.
func appendOffset(b []byte, t time.Time) []byte {
	_, secs := t.Zone()
	if secs == 0 {
		return append(b, "UTC"...)
	}
	sign := byte('+')
	if secs < 0 {
		sign, secs = '-', -secs
	}
	h, m := secs/3600%100, secs%3600/60 // offsets are within ±14 hours
	return append(b, 'U', 'T', 'C', sign, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// ZoneLabel names the viewer's zone with its offset now:
// "Asia/Shanghai (UTC+08:00)", or "UTC".
func ZoneLabel(ctx context.Context) string {
	z := ZoneOf(ctx)
	if z.Loc == time.UTC {
		return "UTC"
	}
	return z.Name() + " (" + Offset(time.Now().In(z.Loc)) + ")"
}

// ForRender returns ctx with its language and its viewer's zone, as they
// are now, at the top of its chain. A page asks for them hundreds of times
// (every label, every time of a list), and each ask walks the context's
// chain down to the middleware that put them there, past every layer the
// request and templ's components added since: placed on top, they are
// found at once. Call it when the page's data is read, just before it is
// rendered.
func ForRender(ctx context.Context) context.Context {
	z := ZoneOf(ctx)
	ctx = context.WithValue(ctx, ctxKey{}, from(ctx))
	return context.WithValue(ctx, zoneKey{}, func() Zone { return z })
}
