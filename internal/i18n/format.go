package i18n

import (
	"context"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

var printers = map[string]*message.Printer{
	English: message.NewPrinter(language.English),
	Chinese: message.NewPrinter(language.SimplifiedChinese),
}

// Number writes n with the grouping of the language of ctx (CLDR):
// 1,234,567 in both English and Chinese.
func Number(ctx context.Context, n int64) string {
	return printers[Lang(ctx)].Sprint(number.Decimal(n))
}

// Layouts of dates and times per language. English keeps the ISO-like form
// ccsub always showed; Chinese writes 年月日. Times are shown in the
// viewer's zone (ZoneOf) and carry its offset from UTC ("UTC+08:00"), not
// an abbreviation: "CST" is China's and America's.
var (
	dateTimeLayouts = map[string]string{
		English: "2006-01-02 15:04:05",
		Chinese: "2006年1月2日 15:04:05",
	}
	minuteLayouts = map[string]string{
		English: "2006-01-02 15:04",
		Chinese: "2006年1月2日 15:04",
	}
	dateLayouts = map[string]string{
		English: "2006-01-02",
		Chinese: "2006年1月2日",
	}
)

// DateTime writes t with seconds and its offset, in the viewer's zone and
// the language of ctx: "2026-03-04 05:06:07 UTC+08:00".
func DateTime(ctx context.Context, t time.Time) string {
	return withOffset(In(ctx, t), dateTimeLayouts[Lang(ctx)])
}

// Minute writes t to the minute with its offset, like DateTime.
func Minute(ctx context.Context, t time.Time) string {
	return withOffset(In(ctx, t), minuteLayouts[Lang(ctx)])
}

// withOffset is t in layout, a space and its offset, in one allocation:
// every row of a list has a time (its title), a heartbeat strip 288.
func withOffset(t time.Time, layout string) string {
	var buf [64]byte
	b := t.AppendFormat(buf[:0], layout)
	b = append(b, ' ')
	return string(appendOffset(b, t))
}

// Date writes the day of t, in the viewer's zone, in the language of ctx.
func Date(ctx context.Context, t time.Time) string {
	return In(ctx, t).Format(dateLayouts[Lang(ctx)])
}

// In is t in the viewer's zone.
func In(ctx context.Context, t time.Time) time.Time { return t.In(ZoneOf(ctx).Loc) }
