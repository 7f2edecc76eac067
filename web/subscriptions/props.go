// Package subscriptions renders the register form and the subscription list.
package subscriptions

import (
	"context"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// GatewayOption is one choice in the gateway picker.
type GatewayOption struct {
	ID   int64
	Name string
	URL  string
}

// Value is the option's form value.
func (g GatewayOption) Value() string { return strconv.FormatInt(g.ID, 10) }

// NewProps is the register form's model. Form holds the submitted values
// (kept on error) and their errors.
type NewProps struct {
	Shell    layout.Shell
	Gateways []GatewayOption
	Form     form.Subscription
	// SuggestedToken is a fresh random token offered to copy (pages that
	// show it are never cached).
	SuggestedToken string
	// ReceiverURL is the callback URI used when ccsub is the target.
	ReceiverURL string
	// RetryOf is the register call whose values fill the form ("Try
	// again" on its page), or 0.
	RetryOf int64
}

// ListProps is the subscriptions page's model.
type ListProps struct {
	Shell         layout.Shell
	Filters       form.SubscriptionQuery
	Errors        map[string]string
	Gateways      []GatewayOption // the gateway filter's choices
	Subscriptions []domain.Subscription
	Pages         view.Pages // links to the newest, newer and older pages
	// Counts are by state, of the gateway filtered on or of all; they
	// ignore the state and text filters. nil when the filters are refused.
	Counts domain.SubscriptionCounts
	// CountsOf names what Counts count: all gateways or a gateway's name,
	// in the viewer's language.
	CountsOf string
	// TextMatch is how the search text is matched; with domain.MatchStart
	// the page says that only the start is searched.
	TextMatch domain.TextMatch
}

// ShortText reports whether the search text is matched at the start only
// because it is too short to search anywhere.
func (p ListProps) ShortText() bool {
	return p.Filters.Text != "" && p.TextMatch == domain.MatchAnywhere && !domain.MatchesAnywhere(p.Filters.Text)
}

// AriaCurrent marks the count link whose list is shown.
func (p ListProps) AriaCurrent(st domain.SubState) string {
	if p.StateCurrent(st) {
		return "page"
	}
	return "false"
}

// Filtered reports whether any filter is given.
func (p ListProps) Filtered() bool { return len(p.Filters.Values()) > 0 }

// StateLink is the list of the subscriptions in state st (every state
// when st is ""), keeping the gateway and text filters.
func (p ListProps) StateLink(st domain.SubState) string {
	q := p.Filters.WithStates()
	if st != "" {
		q = p.Filters.WithStates(st)
	}
	return "/subscriptions" + form.EncodeQuery(q.Values())
}

// StateCurrent says whether the state filter is exactly st ("": none).
func (p ListProps) StateCurrent(st domain.SubState) bool {
	if st == "" {
		return len(p.Filters.States) == 0
	}
	return len(p.Filters.States) == 1 && p.Filters.States[0] == st
}

// Count is Counts' figure for st ("": every state), with thousands
// separated.
func (p ListProps) Count(ctx context.Context, st domain.SubState) string {
	n := p.Counts[st]
	if st == "" {
		n = p.Counts.Total()
	}
	return i18n.Number(ctx, n)
}

// Limits shown beside the fields before they are hit.
var (
	maxCallback = strconv.Itoa(domain.MaxCallbackURI)
	maxToken    = strconv.Itoa(domain.MaxServiceToken)
	maxFlow     = strconv.Itoa(form.MaxFlowAccessCode)
)

func callPath(id int64) string { return "/calls/" + strconv.FormatInt(id, 10) }

func tokenLabel(ctx context.Context, present bool) string {
	if present {
		return i18n.T(ctx, "subscriptions.token.set")
	}
	return i18n.T(ctx, "subscriptions.token.none")
}

func yesNo(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "subscriptions.yes")
	}
	return i18n.T(ctx, "subscriptions.no")
}

// callbackValue shows what the user typed, not the receiver URL the server
// filled in when "push to ccsub" was ticked.
func callbackValue(f form.Subscription) string {
	if f.UseReceiver {
		return ""
	}
	return f.ServiceCallBackURI
}
