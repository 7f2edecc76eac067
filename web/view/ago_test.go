package view

import (
	"context"
	"testing"
	"time"

	"ccsub/internal/i18n"
)

func TestAgoTextSaysHowLongAgoInTheViewersLanguage(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	zone := func(ctx context.Context) context.Context {
		return i18n.WithZone(ctx, func() i18n.Zone { return i18n.Zone{Loc: sh, Source: i18n.ZoneBrowser} })
	}
	en := zone(i18n.WithLanguage(context.Background(), i18n.English, ""))
	zh := zone(i18n.WithLanguage(context.Background(), i18n.Chinese, ""))
	now := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		ago    time.Duration
		en, zh string
	}{
		{"a few seconds are just now", 10 * time.Second, "just now", "刚刚"},
		{"a minute is singular in English", 61 * time.Second, "1 minute ago", "1 分钟前"},
		{"minutes are plural", 3*time.Minute + 59*time.Second, "3 minutes ago", "3 分钟前"},
		{"hours", 5 * time.Hour, "5 hours ago", "5 小时前"},
		{"one day", 25 * time.Hour, "1 day ago", "1 天前"},
		{"the future says in", -2 * time.Hour, "in 2 hours", "2 小时后"},
		{"beyond 30 days, the viewer's day", 40 * 24 * time.Hour, "2026-10-25", "2026年10月25日"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := now.Add(-tc.ago)
			if got := AgoText(en, at, now); got != tc.en {
				t.Errorf("English: %q, want %q", got, tc.en)
			}
			if got := AgoText(zh, at, now); got != tc.zh {
				t.Errorf("Chinese: %q, want %q", got, tc.zh)
			}
		})
	}
}

func TestTimeAttrCarriesTheViewersOffset(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	ctx := i18n.WithZone(context.Background(), func() i18n.Zone { return i18n.Zone{Loc: sh} })
	at := time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC)
	if got := TimeAttr(ctx, at); got != "2026-12-03T07:30:00+08:00" {
		t.Errorf("TimeAttr = %q", got)
	}
	if got := TimeAttr(context.Background(), at); got != "2026-12-02T23:30:00Z" {
		t.Errorf("TimeAttr without a zone = %q, want UTC", got)
	}
}
