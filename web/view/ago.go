package view

import (
	"context"
	"time"

	"ccsub/internal/i18n"
)

// agoDays is how far back (or ahead) a time is said relative to now;
// beyond it a list shows the day, which reads better than "143 days ago".
const agoDays = 30

// AgoText says when t was (or will be) relative to now, in the language of
// ctx: "just now", "3 minutes ago", "in 2 hours", "5 days ago"; further
// than agoDays away, the day in the viewer's zone. Lists show it with the
// exact time on hover (the Ago component); it is rendered by the server,
// so it needs no script, and is as old as the page.
func AgoText(ctx context.Context, t, now time.Time) string {
	d := now.Sub(t)
	past := d >= 0
	if !past {
		d = -d
	}
	switch {
	case d < 45*time.Second:
		return i18n.T(ctx, "view.time.now")
	case d < time.Hour:
		return agoPhrase(ctx, past, "view.time.minutes_ago", "view.time.minutes_in", max(1, int(d/time.Minute)))
	case d < 24*time.Hour:
		return agoPhrase(ctx, past, "view.time.hours_ago", "view.time.hours_in", int(d/time.Hour))
	case d < agoDays*24*time.Hour:
		return agoPhrase(ctx, past, "view.time.days_ago", "view.time.days_in", int(d/(24*time.Hour)))
	}
	return i18n.Date(ctx, t)
}

func agoPhrase(ctx context.Context, past bool, agoID, inID string, n int) string {
	id := inID
	if past {
		id = agoID
	}
	return i18n.Tf(ctx, id, i18n.D{"Count": n})
}
