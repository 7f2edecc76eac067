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
// ccsub always showed; Chinese writes 年月日. Times are shown in UTC and
// say so; the per-viewer time zone, when it comes, goes into the context
// next to the language and these two functions will read it there.
var (
	dateTimeLayouts = map[string]string{
		English: "2006-01-02 15:04:05 MST",
		Chinese: "2006年1月2日 15:04:05 MST",
	}
	dateLayouts = map[string]string{
		English: "2006-01-02",
		Chinese: "2006年1月2日",
	}
)

// DateTime writes t with seconds and its zone in the language of ctx.
func DateTime(ctx context.Context, t time.Time) string {
	return t.In(zone(ctx)).Format(dateTimeLayouts[Lang(ctx)])
}

// Date writes the day of t in the language of ctx.
func Date(ctx context.Context, t time.Time) string {
	return t.In(zone(ctx)).Format(dateLayouts[Lang(ctx)])
}

// zone is the viewer's time zone: UTC until viewers can choose one.
func zone(context.Context) *time.Location { return time.UTC }
