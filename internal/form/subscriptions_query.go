package form

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

// SubscriptionQuery is the subscriptions list's filters as typed, for
// re-display and for the links of the list's pages. Its names are the
// page's and the API's: state, gateway, q.
type SubscriptionQuery struct {
	States  []domain.SubState // valid states only, in domain.SubStates order
	Gateway string            // a gateway id
	Text    string            // q: in the serverId or the callback address
}

// ParseSubscriptionQuery reads the subscriptions list's filters. The
// states may be given as several "state" values (the page's checkboxes)
// or as one comma-separated value (the API, the page's own links); all
// five states mean no state filter. Every problem is a field error with a
// specific message, and nothing should reach the database then.
func ParseSubscriptionQuery(ctx context.Context, q url.Values) (SubscriptionQuery, domain.SubscriptionFilter, Errors) {
	errs := Errors{}
	fv := SubscriptionQuery{Gateway: strings.TrimSpace(q.Get("gateway")), Text: strings.TrimSpace(q.Get("q"))}
	for _, name := range []string{"gateway", "q", "before", "after"} {
		if len(q[name]) > 1 {
			errs[name] = i18n.T(ctx, "subscriptions.filter.duplicated")
		}
	}
	var f domain.SubscriptionFilter
	for _, v := range q["state"] {
		for part := range strings.SplitSeq(v, ",") {
			st := domain.SubState(strings.TrimSpace(part))
			switch {
			case st == "":
			case !st.Valid():
				errs["state"] = i18n.T(ctx, "subscriptions.filter.bad_state")
			case !slices.Contains(fv.States, st):
				fv.States = append(fv.States, st)
			}
		}
	}
	slices.SortFunc(fv.States, func(a, b domain.SubState) int {
		return slices.Index(domain.SubStates, a) - slices.Index(domain.SubStates, b)
	})
	if len(fv.States) == len(domain.SubStates) {
		fv.States = nil // every state: no filter
	}
	f.States = fv.States
	if fv.Gateway != "" {
		id, err := strconv.ParseInt(fv.Gateway, 10, 64)
		if err != nil || id <= 0 {
			errs.Add("gateway", i18n.T(ctx, "subscriptions.filter.bad_gateway"))
		}
		f.GatewayID = id
	}
	if _, dup := errs["q"]; !dup && !plainFilterText(fv.Text) {
		errs["q"] = i18n.T(ctx, "subscriptions.filter.bad_text")
	}
	f.Text = fv.Text
	return fv, f, errs
}

// Values is the query string of the filters given, with the states as one
// comma-separated value.
func (fv SubscriptionQuery) Values() url.Values {
	states := make([]string, len(fv.States))
	for i, st := range fv.States {
		states[i] = string(st)
	}
	return nonEmpty(map[string]string{"state": strings.Join(states, ","), "gateway": fv.Gateway, "q": fv.Text})
}

// Has reports whether the state filter holds st.
func (fv SubscriptionQuery) Has(st domain.SubState) bool { return slices.Contains(fv.States, st) }

// WithStates is the query with the state filter replaced by states (none:
// every state), for the links of the counts by state.
func (fv SubscriptionQuery) WithStates(states ...domain.SubState) SubscriptionQuery {
	fv.States = states
	return fv
}

// NoSuchGateway is the gateway filter's message for an id that names no
// gateway, in English for the API and the pages not yet converted; the
// subscriptions page says it with "subscriptions.filter.no_such_gateway".
const NoSuchGateway = "No gateway has this id (any more). Choose one from the list."

// GatewayDisabled refuses an API register on a disabled gateway (the
// register form says it with "subscriptions.form.gateway_disabled").
const GatewayDisabled = "This gateway is disabled: nothing can be registered on it. Choose another, or ask an administrator to enable it."
