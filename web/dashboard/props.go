// Package dashboard renders the home page: the console at a glance, each
// part linking to the list behind it.
package dashboard

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// Props is the home page's model.
type Props struct {
	Shell       layout.Shell
	D           domain.Dashboard
	CanRegister bool // operators and admins
	CanAddGW    bool // admins
}

// Total counts every subscription.
func (p Props) Total() int64 {
	var n int64
	for _, c := range p.D.Counts {
		n += c
	}
	return n
}

// NeedAttention counts the subscriptions in a state that needs someone.
func (p Props) NeedAttention() int64 {
	return p.D.Counts[domain.SubUnknown] + p.D.Counts[domain.SubDegraded] + p.D.Counts[domain.SubLapsed]
}

func stateLink(s domain.SubState) string { return "/subscriptions?state=" + url.QueryEscape(string(s)) }
func subLink(id int64) string            { return "/subscriptions/" + itoa(id) }
func callLink(id int64) string           { return "/calls/" + itoa(id) }
func gatewayHistory(id int64) string     { return "/history?gateway=" + itoa(id) }
func itoa(n int64) string                { return strconv.FormatInt(n, 10) }

// retcodeLink lists the calls of the same last 24 hours (the history's
// since, an instant, so the viewer's zone does not matter) that answered
// code; "" is "no answer".
func (p Props) retcodeLink(code string) string {
	q := url.Values{"since": {p.D.At.Add(-24 * time.Hour).UTC().Format(time.RFC3339)}}
	if code == "" {
		q.Set("outcome", string(domain.OutcomeFailed))
	} else {
		q.Set("retcode", code)
	}
	return "/history?" + q.Encode()
}

func statusLabel(ctx context.Context, s domain.GatewayStatus) string {
	switch s {
	case domain.GatewayRefusing:
		return i18n.T(ctx, "dashboard.status.refusing")
	case domain.GatewayUnreachable:
		return i18n.T(ctx, "dashboard.status.unreachable")
	case domain.GatewaySignedIn:
		return i18n.T(ctx, "dashboard.status.signed_in")
	case domain.GatewayFailing:
		return i18n.T(ctx, "dashboard.status.failing")
	}
	return i18n.T(ctx, "dashboard.status.unused")
}

// statusClass maps a status to the badge colours the stylesheet has.
func statusClass(s domain.GatewayStatus) string {
	switch s {
	case domain.GatewaySignedIn:
		return "badge success"
	case domain.GatewayRefusing, domain.GatewayUnreachable:
		return "badge rejected"
	case domain.GatewayFailing:
		return "badge degraded"
	}
	return "badge"
}

func share(n, of int64) string {
	if of == 0 {
		return ""
	}
	return strconv.FormatInt(n*100/of, 10) + " %"
}

// subName names a subscription by its serverId, or by its number while it
// has none (an unknown register).
func subName(ctx context.Context, s domain.Subscription) string {
	if s.ServerID != "" {
		return s.ServerID
	}
	return i18n.Tf(ctx, "dashboard.subs.no_server_id", i18n.D{"ID": itoa(s.ID)})
}

// retcodeText shows a call without a gateway answer as such, not as a dash.
func retcodeText(ctx context.Context, code string) string {
	if code == "" {
		return i18n.T(ctx, "dashboard.retcodes.no_answer")
	}
	return code
}

func meaning(ctx context.Context, code string) string {
	if code == "" {
		return i18n.T(ctx, "dashboard.retcodes.no_answer_meaning")
	}
	return view.Meaning(ctx, code)
}
