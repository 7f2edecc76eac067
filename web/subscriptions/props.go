// Package subscriptions renders the register form and the subscription list.
package subscriptions

import (
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/web/layout"
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
}

// ListProps is the subscriptions page's model.
type ListProps struct {
	Shell         layout.Shell
	Subscriptions []domain.Subscription
}

// Limits shown beside the fields before they are hit.
var (
	maxCallback = strconv.Itoa(domain.MaxCallbackURI)
	maxToken    = strconv.Itoa(domain.MaxServiceToken)
	maxFlow     = strconv.Itoa(form.MaxFlowAccessCode)
)

func callPath(id int64) string { return "/calls/" + strconv.FormatInt(id, 10) }

func tokenLabel(present bool) string {
	if present {
		return "set (encrypted)"
	}
	return "none"
}

func plural(n int) string {
	if n == 1 {
		return "field"
	}
	return strconv.Itoa(n) + " fields"
}

// callbackValue shows what the user typed, not the receiver URL the server
// filled in when "push to ccsub" was ticked.
func callbackValue(f form.Subscription) string {
	if f.UseReceiver {
		return ""
	}
	return f.ServiceCallBackURI
}
