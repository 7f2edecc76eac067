package form

import (
	"context"
	"net/url"
	"testing"
	"time"

	"ccsub/internal/i18n"
)

func inZone(t *testing.T, name string) context.Context {
	t.Helper()
	loc, ok := i18n.LoadZone(name)
	if !ok {
		t.Fatalf("zone %q", name)
	}
	return i18n.WithZone(context.Background(), func() i18n.Zone { return i18n.Zone{Loc: loc, Source: i18n.ZoneBrowser} })
}

func TestDaysAreTheViewersDays(t *testing.T) {
	for _, tc := range []struct {
		name, zone, from, to string
		wantFrom, wantTo     string // RFC 3339 in UTC
	}{
		{"Shanghai's day starts at 16:00 UTC the day before", "Asia/Shanghai", "2026-12-03", "2026-12-03",
			"2026-12-02T16:00:00Z", "2026-12-03T16:00:00Z"},
		{"the API and unknown viewers use UTC days", "UTC", "2026-12-03", "2026-12-04",
			"2026-12-03T00:00:00Z", "2026-12-05T00:00:00Z"},
		{"a day that changes to summer time has 23 hours", "Europe/Berlin", "2026-03-29", "2026-03-29",
			"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, f, errs := ParseCallQuery(inZone(t, tc.zone), url.Values{"from": {tc.from}, "to": {tc.to}})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got := f.From.UTC().Format(time.RFC3339); got != tc.wantFrom {
				t.Errorf("from %s, want %s", got, tc.wantFrom)
			}
			if got := f.To.UTC().Format(time.RFC3339); got != tc.wantTo {
				t.Errorf("to %s, want %s", got, tc.wantTo)
			}
		})
	}
}

func TestSinceIsAnInstant(t *testing.T) {
	ctx := inZone(t, "Asia/Shanghai")
	for _, tc := range []struct{ name, since, from, want string }{
		{"written to the minute in the viewer's zone", "2026-12-03T09:30", "", "2026-12-03T01:30:00Z"},
		{"with its own offset", "2026-12-03T09:30:00-05:00", "", "2026-12-03T14:30:00Z"},
		{"a later from day wins", "2026-12-01T09:30", "2026-12-03", "2026-12-02T16:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, f, errs := ParseAuditQuery(ctx, url.Values{"since": {tc.since}, "from": {tc.from}})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got := f.From.UTC().Format(time.RFC3339); got != tc.want {
				t.Errorf("start %s, want %s", got, tc.want)
			}
		})
	}
	if _, _, errs := ParseCallQuery(ctx, url.Values{"since": {"yesterday"}}); errs["since"] == "" {
		t.Error("since=yesterday is not refused")
	}
}
