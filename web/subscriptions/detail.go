package subscriptions

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/auditlog"
	"ccsub/web/layout"
)

// StripCell is one 5-minute slot of the 24-hour heartbeat strip.
type StripCell struct {
	Start time.Time
	OK    int
	Fail  int
	Class string // ok, mixed, fail, gap (kept alive but no handshake), none, future
	Tip   string // Title, as StripHours says it
}

// StripHour is one line of the heartbeat strip: an hour's 12 cells.
type StripHour struct {
	Label string // the hour's start in the viewer's zone, "15:00"
	Cells []StripCell
}

// Title describes the cell for a tooltip and screen readers: its start
// with the date and the offset of the viewer's zone, and what happened.
func (c StripCell) Title(ctx context.Context) string { return c.title(ctx, nil) }

// title is Title with the phrases of handshake counts already said on the
// page (nil: none): a strip says 288 of them, a handful different.
func (c StripCell) title(ctx context.Context, said map[[2]int]string) string {
	t := i18n.Minute(ctx, c.Start) + ": "
	switch c.Class {
	case "gap":
		return t + i18n.T(ctx, "subscriptions.strip.cell_gap")
	case "none":
		return t + i18n.T(ctx, "subscriptions.strip.cell_none")
	case "future":
		return t + i18n.T(ctx, "subscriptions.strip.cell_future")
	}
	key := [2]int{c.OK, c.Fail}
	phrase, ok := said[key]
	if !ok {
		phrase = i18n.Tf(ctx, "subscriptions.strip.cell_counts", i18n.D{"OK": strconv.Itoa(c.OK), "Failed": strconv.Itoa(c.Fail)})
		if said != nil {
			said[key] = phrase
		}
	}
	return t + phrase
}

// DetailProps is the page of one subscription.
type DetailProps struct {
	Shell          layout.Shell
	Sub            domain.Subscription
	ReplacesServer string // serverId of the subscription this one replaced
	ReplacedServer string // serverId of the one that replaced it
	Strip          []StripCell
	Gaps           int // 5-minute slots without a handshake while kept alive
	ReceiverURL    string
	Modify         form.Modify
	ModifyReceiver string // receiver URL offered when switching to ccsub
	CanOperate     bool
	SuggestedToken string
	ReplaceKey     string
	ReplaceError   string
	ResolveError   string // the "settle an unknown register" form was refused
	DroppedCallID  int64  // unregister answered 107-031: the platform dropped it, close in ccsub only; or 0
	Interval       time.Duration
	History        auditlog.Recent // audit entries about this subscription
}

// StripHours groups the strip's cells by the hour of the viewer's clock
// they start in, oldest first: one line per hour. The cells are 5 minutes
// long, so they fit the hours of zones half or three quarters of an hour
// off UTC too.
func (p DetailProps) StripHours(ctx context.Context) []StripHour {
	hours := make([]StripHour, 0, len(p.Strip)/12+2)
	cells := make([]StripCell, len(p.Strip)) // the hours' cells, in one allocation
	said := map[[2]int]string{}
	from := 0
	for i, c := range p.Strip {
		c.Tip = c.title(ctx, said)
		cells[i] = c
		hour := i18n.In(ctx, c.Start).Hour()
		if i == 0 || hour != i18n.In(ctx, p.Strip[i-1].Start).Hour() {
			if i > 0 {
				hours[len(hours)-1].Cells = cells[from:i:i]
			}
			hours = append(hours, StripHour{Label: fmt.Sprintf("%02d:00", hour)})
			from = i
		}
	}
	if len(hours) > 0 {
		hours[len(hours)-1].Cells = cells[from:]
	}
	return hours
}

// CancelProps is the confirmation page that names what cancelling does.
type CancelProps struct {
	Shell layout.Shell
	Sub   domain.Subscription
}

func subPath(id int64) string                { return "/subscriptions/" + strconv.FormatInt(id, 10) }
func subAction(id int64, a string) string    { return subPath(id) + "/" + a }
func historyPath(serverID string) string     { return "/history?serverId=" + urlQueryEscape(serverID) }
func count(n int64) string                   { return strconv.FormatInt(n, 10) }
func optTime(t *time.Time) (time.Time, bool) { return deref(t) }

func deref(t *time.Time) (time.Time, bool) {
	if t == nil {
		return time.Time{}, false
	}
	return *t, true
}

func closeConfirm(ctx context.Context, p DetailProps) string {
	return i18n.Tf(ctx, "subscriptions.dropped.confirm", i18n.D{"ServerID": p.Sub.ServerID})
}

func stripLabel(ctx context.Context, p DetailProps) string {
	return i18n.Tf(ctx, "subscriptions.strip.label", i18n.D{"Count": p.Gaps, "N": i18n.Number(ctx, int64(p.Gaps))})
}

func modifyCallback(p DetailProps) string {
	if p.Modify.UseReceiver {
		return ""
	}
	return p.Modify.ServiceCallBackURI
}

func fieldClassMsg(msg string) string {
	if msg != "" {
		return "field invalid"
	}
	return "field"
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// columns are the subscriptions table's headings, said once per page:
// every row's cells repeat them as data-label (the phone layout).
type columns struct{ State, Gateway, Callback, Nlp, LastOk, Token, Registered, By string }

func columnsIn(ctx context.Context) columns {
	return columns{
		State:      i18n.T(ctx, "subscriptions.list.state"),
		Gateway:    i18n.T(ctx, "subscriptions.field.gateway"),
		Callback:   i18n.T(ctx, "subscriptions.field.callback"),
		Nlp:        i18n.T(ctx, "subscriptions.field.nlp"),
		LastOk:     i18n.T(ctx, "subscriptions.list.last_ok"),
		Token:      i18n.T(ctx, "subscriptions.list.token"),
		Registered: i18n.T(ctx, "subscriptions.list.registered"),
		By:         i18n.T(ctx, "subscriptions.list.by"),
	}
}
