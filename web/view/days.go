package view

import (
	"context"
	"maps"
	"net/url"
	"time"

	"ccsub/internal/form"
	"ccsub/internal/i18n"
)

// DayFilter is what a list's date filter shows beside its "from" and "to"
// fields: the zone its days are in, quick-date links and the "since" of
// the "Last 24 hours" link while one is set.
type DayFilter struct {
	Path    string     // the list's address
	Filters url.Values // the list's filters as given (Values() of its query)
	Since   string     // the "since" filter as given
	Errors  map[string]string
}

// Preset is one quick-date link.
type Preset struct {
	Label string
	URL   string
}

// Presets are the quick-date links, in the viewer's zone at now: today;
// the last 24 hours (a "since" instant, since days cannot say it); the last
// 7 days, today and the six before it. Each keeps the list's other filters
// and starts at its newest page.
func (d DayFilter) Presets(ctx context.Context, now time.Time) []Preset {
	local := i18n.In(ctx, now)
	today := local.Format(form.DayLayout)
	return []Preset{
		{i18n.T(ctx, "view.days.today"), d.with(url.Values{"from": {today}, "to": {today}})},
		{i18n.T(ctx, "view.days.last_24h"), d.with(url.Values{"since": {local.Add(-24 * time.Hour).Format(form.MinuteLayout)}})},
		{i18n.T(ctx, "view.days.last_7d"), d.with(url.Values{"from": {local.AddDate(0, 0, -6).Format(form.DayLayout)}, "to": {today}})},
	}
}

// WithoutSince is the list without its "since" filter.
func (d DayFilter) WithoutSince() string { return d.with(nil) }

// with is the list's address with its filters but the dates replaced by set.
func (d DayFilter) with(set url.Values) string {
	q := maps.Clone(d.Filters)
	if q == nil {
		q = url.Values{}
	}
	for _, k := range []string{"from", "to", "since", "before", "after"} {
		q.Del(k)
	}
	maps.Copy(q, set)
	return d.Path + form.EncodeQuery(q)
}

// SinceText shows the "since" filter as a time in the viewer's zone; what
// cannot be read is shown as given (its field error says why).
func (d DayFilter) SinceText(ctx context.Context) string {
	if t, err := time.Parse(time.RFC3339, d.Since); err == nil {
		return i18n.Minute(ctx, t)
	}
	if t, err := time.ParseInLocation(form.MinuteLayout, d.Since, i18n.ZoneOf(ctx).Loc); err == nil {
		return i18n.Minute(ctx, t)
	}
	return d.Since
}
