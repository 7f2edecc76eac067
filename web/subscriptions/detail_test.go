package subscriptions

import (
	"context"
	"strings"
	"testing"
	"time"

	"ccsub/internal/i18n"
)

// TestStripHoursAreTheViewersHours: in a zone half an hour off UTC the
// strip's lines still start on the viewer's hour, and each cell's tooltip
// has the date, the time and the zone's offset.
func TestStripHoursAreTheViewersHours(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	ctx := i18n.WithZone(context.Background(), func() i18n.Zone { return i18n.Zone{Loc: kolkata, Source: i18n.ZoneChosen} })
	start := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC) // 23:30 in Kolkata
	var p DetailProps
	for i := range 12 {
		p.Strip = append(p.Strip, StripCell{Start: start.Add(time.Duration(i) * 5 * time.Minute), Class: "ok", OK: 1})
	}
	hours := p.StripHours(ctx)
	if len(hours) != 2 || hours[0].Label != "23:00" || len(hours[0].Cells) != 6 || hours[1].Label != "00:00" {
		t.Fatalf("hours %+v, want 23:00 with 6 cells then 00:00", hours)
	}
	if got := hours[1].Cells[0].Title(ctx); !strings.HasPrefix(got, "2026-12-04 00:00 UTC+05:30: ") {
		t.Errorf("tooltip %q, want the date, time and offset of Kolkata", got)
	}
}
