// Package history renders the call history and the page of one call.
package history

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// ListProps is the history page's model.
type ListProps struct {
	Shell   layout.Shell
	Filters form.CallQuery
	Errors  map[string]string
	Calls   []domain.Call
	Pages   view.Pages // links to the newest, newer and older pages
	// ExportQuery is the current filters as a query string ("" or "?…"),
	// for the export links.
	ExportQuery string
	Outcomes    []domain.Outcome
	Ops         []domain.Operation
	Gateways    []domain.Gateway // the gateway filter's choices
	// TextMatch is how the callback and message terms are matched; with
	// domain.MatchStart the page says that only the start is searched.
	TextMatch domain.TextMatch
}

// Filtered reports whether any filter is given: the empty list then says
// to widen or clear them, not that nothing was ever called.
func (p ListProps) Filtered() bool { return len(p.Filters.Values()) > 0 }

// ShortTerms are the text search terms given that are matched at the
// start only, because they are too short to search anywhere.
func (p ListProps) ShortTerms() []string {
	var out []string
	for _, t := range []string{p.Filters.Callback, p.Filters.Message} {
		if t != "" && p.TextMatch == domain.MatchAnywhere && !domain.MatchesAnywhere(t) {
			out = append(out, t)
		}
	}
	return out
}

// CallProps is the page of one call.
type CallProps struct {
	Shell        layout.Shell
	Call         domain.Call
	Subscription *domain.Subscription
	TokenMasked  string
	Hint         string // what an administrator should check for the retcode (domain.RetcodeHint), if anything
	Interrupted  bool   // pending for longer than any call can take
	CanOperate   bool   // the viewer may register (offered "Try again")
}

// TryAgain reports whether the page offers to send a register again: it
// failed, so the gateway holds no subscription from it. An unknown
// outcome is not offered (the gateway may have acted on it: its
// subscription is settled from its own page).
func (p CallProps) TryAgain() bool {
	c := p.Call
	return p.CanOperate && c.Operation == domain.OpRegister && c.SubscriptionID == nil &&
		(c.Outcome == domain.OutcomeRejected || c.Outcome == domain.OutcomeFailed)
}

func subPath(id int64) string { return "/subscriptions/" + strconv.FormatInt(id, 10) }

func retryPath(callID int64) string {
	return "/subscriptions/new?retry=" + strconv.FormatInt(callID, 10)
}

// subLabel names a subscription by its serverId, or by its number while
// it has none (an unknown register).
func subLabel(s domain.Subscription) string {
	if s.ServerID != "" {
		return s.ServerID
	}
	return "#" + strconv.FormatInt(s.ID, 10)
}

func callPath(id int64) string { return "/calls/" + strconv.FormatInt(id, 10) }

// opLabel names an operation in the language of ctx.
func opLabel(ctx context.Context, op domain.Operation) string {
	switch op {
	case domain.OpRegister:
		return i18n.T(ctx, "history.op.register")
	case domain.OpModify:
		return i18n.T(ctx, "history.op.modify")
	case domain.OpUnregister:
		return i18n.T(ctx, "history.op.unregister")
	case domain.OpHandshake:
		return i18n.T(ctx, "history.op.handshake")
	case domain.OpLogin:
		return i18n.T(ctx, "history.op.login")
	case domain.OpStateChange:
		return i18n.T(ctx, "history.op.state_change")
	}
	return string(op)
}

func httpStatus(ctx context.Context, s int) string {
	if s == 0 {
		return i18n.T(ctx, "history.call.no_http_answer")
	}
	return strconv.Itoa(s)
}

func yesNo(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "history.call.yes")
	}
	return i18n.T(ctx, "history.call.no")
}

// callHeading is the call page's heading: its operation and number.
func callHeading(ctx context.Context, c domain.Call) string {
	return i18n.Tf(ctx, "history.call.heading", i18n.D{"Operation": opLabel(ctx, c.Operation), "ID": strconv.FormatInt(c.ID, 10)})
}

// formatted is a request or response body as shown: JSON indented (its
// keys in the order sent), anything else as it is, "—" for nothing.
func formatted(body string) string {
	var b bytes.Buffer
	if json.Valid([]byte(body)) && json.Indent(&b, []byte(body), "", "  ") == nil {
		return b.String()
	}
	return view.OrDash(body)
}

// RetcodeAction is what ccsub does with the call's retcode, from the
// retcode table; "" for a call that simply succeeded or has no retcode.
func (p CallProps) RetcodeAction(ctx context.Context) string {
	if p.Call.Outcome == domain.OutcomeSuccess {
		return ""
	}
	return view.RetcodeAction(ctx, p.Call.Retcode)
}

func gatewayValue(g domain.Gateway) string { return strconv.FormatInt(g.ID, 10) }

// OpLabel names an operation in the language of ctx, for other pages that
// describe a call (the retcode page's message).
func OpLabel(ctx context.Context, op domain.Operation) string { return opLabel(ctx, op) }

// columns are the history table's headings, said once per page: every
// row's cells repeat them as data-label (the phone layout shows them
// beside the values), fifty rows of eight.
type columns struct{ Time, Actor, Gateway, Operation, Retcode, Message, Callback, Outcome string }

func columnsIn(ctx context.Context) columns {
	return columns{
		Time: i18n.T(ctx, "history.col.time"), Actor: i18n.T(ctx, "history.col.actor"),
		Gateway: i18n.T(ctx, "history.col.gateway"), Operation: i18n.T(ctx, "history.col.operation"),
		Retcode: i18n.T(ctx, "history.col.retcode"), Message: i18n.T(ctx, "history.col.message"),
		Callback: i18n.T(ctx, "history.col.callback"), Outcome: i18n.T(ctx, "history.col.outcome"),
	}
}
