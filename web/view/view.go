// Package view holds small display helpers and components shared by the
// console's page packages: badges, times, field errors.
package view

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

// TimeAttr is the machine-readable form put in <time datetime>: the
// instant with the viewer's offset ("2026-03-04T05:06:07+08:00").
func TimeAttr(ctx context.Context, t time.Time) string { return i18n.In(ctx, t).Format(time.RFC3339) }

// Duration shows a call's duration in milliseconds with one decimal.
func Duration(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// OutcomeLabel is the word shown on an outcome badge, in English (for
// flash messages not yet converted and logs).
func OutcomeLabel(o domain.Outcome) string { return OutcomeLabelIn(context.Background(), o) }

// OutcomeLabelIn is the word shown on an outcome badge in the language of ctx.
func OutcomeLabelIn(ctx context.Context, o domain.Outcome) string {
	switch o {
	case domain.OutcomeSuccess:
		return i18n.T(ctx, "view.outcome.success")
	case domain.OutcomeRejected:
		return i18n.T(ctx, "view.outcome.rejected")
	case domain.OutcomeFailed:
		return i18n.T(ctx, "view.outcome.failed")
	case domain.OutcomeUnknown:
		return i18n.T(ctx, "view.outcome.unknown")
	case domain.OutcomePending:
		return i18n.T(ctx, "view.outcome.pending")
	}
	return string(o)
}

// OutcomeHelp explains an outcome in plain words, in English.
func OutcomeHelp(o domain.Outcome) string { return OutcomeHelpIn(context.Background(), o) }

// OutcomeHelpIn explains an outcome in plain words in the language of ctx.
func OutcomeHelpIn(ctx context.Context, o domain.Outcome) string {
	switch o {
	case domain.OutcomeSuccess:
		return i18n.T(ctx, "view.outcome.success_help")
	case domain.OutcomeRejected:
		return i18n.T(ctx, "view.outcome.rejected_help")
	case domain.OutcomeFailed:
		return i18n.T(ctx, "view.outcome.failed_help")
	case domain.OutcomeUnknown:
		return i18n.T(ctx, "view.outcome.unknown_help")
	case domain.OutcomePending:
		return i18n.T(ctx, "view.outcome.pending_help")
	}
	return ""
}

// StateLabel is the word shown on a subscription state's badge in the
// language of ctx.
func StateLabel(ctx context.Context, s domain.SubState) string {
	switch s {
	case domain.SubActive:
		return i18n.T(ctx, "view.state.active")
	case domain.SubDegraded:
		return i18n.T(ctx, "view.state.degraded")
	case domain.SubLapsed:
		return i18n.T(ctx, "view.state.lapsed")
	case domain.SubCancelled:
		return i18n.T(ctx, "view.state.cancelled")
	case domain.SubUnknown:
		return i18n.T(ctx, "view.state.unknown")
	}
	return string(s)
}

// Retcode shows a retcode, or a dash for none.
func Retcode(code string) string {
	if code == "" {
		return "—"
	}
	return code
}

// Meaning returns the contract's meaning of a retcode in the language of
// ctx, from the one retcode table (domain.Retcodes); a code outside the
// contract says so. The JSON API and the CSV export pass a context without
// a language and get English.
func Meaning(ctx context.Context, code string) string {
	if code == "" {
		return ""
	}
	return i18n.T(ctx, domain.ExplainRetcode(code).Meaning)
}

// RetcodeAction returns what ccsub does with a retcode, from the retcode
// table; a code outside the contract is recorded as rejected.
func RetcodeAction(ctx context.Context, code string) string {
	if code == "" {
		return ""
	}
	return i18n.T(ctx, domain.ExplainRetcode(code).Action)
}

// RetcodeCheck returns what an administrator should check for a retcode
// of the table, or "" when there is nothing to check or the code is not in
// the contract (its page gives general advice).
func RetcodeCheck(ctx context.Context, code string) string {
	r, ok := domain.LookupRetcode(code)
	if !ok || r.Check == "" {
		return ""
	}
	return i18n.T(ctx, r.Check)
}

// RetcodePath is the page that explains a retcode, or "" for a code that
// has none (empty or not shaped like a retcode). call, when not 0, is the
// call the page is opened from: its message then names the call.
func RetcodePath(code string, call int64) string {
	if !domain.WellFormedRetcode(code) {
		return ""
	}
	p := "/retcodes/" + code
	if call != 0 {
		p += "?call=" + strconv.FormatInt(call, 10)
	}
	return p
}

// OrDash shows "—" for empty values.
func OrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// YesNo renders a boolean for tables, in English.
func YesNo(b bool) string { return YesNoIn(context.Background(), b) }

// YesNoIn renders a boolean for tables in the language of ctx.
func YesNoIn(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "view.yes")
	}
	return i18n.T(ctx, "view.no")
}

// FieldClass is the class list of a form field's wrapper.
func FieldClass(errs map[string]string, field string) string {
	if _, ok := errs[field]; ok {
		return "field invalid"
	}
	return "field"
}

// Invalid is the aria-invalid value of a field.
func Invalid(errs map[string]string, field string) string {
	if _, ok := errs[field]; ok {
		return "true"
	}
	return "false"
}

// Pages are the links of a list's pager; empty where there is no such page.
type Pages struct {
	Newest string // set when not on the newest page
	Newer  string
	Older  string
}

// Thousands writes n with a comma between groups of three digits:
// 1,234,567.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Span writes a length of time for people in the language of ctx: "5
// minutes", "1 hour 30 minutes", "1.5 seconds", "250 ms" ("5 分钟"…),
// never Go's "5m0s".
func Span(ctx context.Context, d time.Duration) string {
	switch {
	case d < 0:
		d = -d
	case d == 0:
		return i18n.Tf(ctx, "view.span.seconds", i18n.D{"Count": 0})
	}
	if d < time.Second {
		return i18n.Tf(ctx, "view.span.milliseconds", i18n.D{"Count": d.Milliseconds()})
	}
	if d < time.Minute && d%time.Second != 0 {
		s := strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64)
		return i18n.Tf(ctx, "view.span.seconds", i18n.D{"Count": s})
	}
	d = d.Round(time.Second)
	var parts []string
	h, m, s := int64(d/time.Hour), int64(d%time.Hour/time.Minute), int64(d%time.Minute/time.Second)
	if h > 0 {
		parts = append(parts, i18n.Tf(ctx, "view.span.hours", i18n.D{"Count": h}))
	}
	if m > 0 {
		parts = append(parts, i18n.Tf(ctx, "view.span.minutes", i18n.D{"Count": m}))
	}
	if s > 0 {
		parts = append(parts, i18n.Tf(ctx, "view.span.seconds", i18n.D{"Count": s}))
	}
	return strings.Join(parts, " ")
}

// StateReason says why a subscription is in its state, in the language of
// ctx; a reason no known form wrote is shown as stored.
func StateReason(ctx context.Context, s string) string { return phrase(ctx, s, domain.StateReasons) }

// CallMessage is a call's message as the console shows it: the gateway's
// own words as sent, but a state change's message, which ccsub writes as
// "<from> → <to>: <reason>", in the language of ctx (its states and its
// reason, as on the subscription's page).
func CallMessage(ctx context.Context, c domain.Call) string {
	if c.Operation != domain.OpStateChange {
		return c.Message
	}
	states, reason, ok := strings.Cut(c.Message, ": ")
	from, to, ok2 := strings.Cut(states, " → ")
	if !ok || !ok2 || !domain.SubState(from).Valid() || !domain.SubState(to).Valid() {
		return c.Message
	}
	return StateLabel(ctx, domain.SubState(from)) + " → " + StateLabel(ctx, domain.SubState(to)) + ": " + StateReason(ctx, reason)
}

// PushRefusal says why the receiver refused a push, in the language of ctx.
func PushRefusal(ctx context.Context, s string) string { return phrase(ctx, s, domain.PushRefusals) }

// NotSentReason says why ccsub did not send a call, in the language of ctx.
func NotSentReason(ctx context.Context, c domain.Call) string {
	return phrase(ctx, c.NotSentReason(), domain.NotSentReasons)
}

// phrase reads s back into the phrase that wrote it (domain.ReadPhrase)
// and says it in the language of ctx; its arguments are said too where
// they are words of ccsub's own (an outcome, a retcode's meaning, a length
// of time, a reason inside a reason).
func phrase(ctx context.Context, s string, phrases []domain.Phrase) string {
	p, args, ok := domain.ReadPhrase(s, phrases)
	switch {
	case !ok || i18n.Lang(ctx) == i18n.English && len(args) == 0:
		return s
	case len(args) == 0:
		return i18n.T(ctx, p.Key) // no template to run
	}
	data := i18n.D{}
	for name, v := range args {
		data[name] = phraseArg(ctx, name, v, args, phrases)
	}
	return i18n.Tf(ctx, p.Key, data)
}

func phraseArg(ctx context.Context, name, v string, args map[string]string, phrases []domain.Phrase) string {
	switch name {
	case "Outcome":
		return OutcomeLabelIn(ctx, domain.Outcome(v))
	case "Meaning":
		if _, known := domain.LookupRetcode(args["Retcode"]); known {
			return Meaning(ctx, args["Retcode"])
		}
	case "Limit":
		if d, err := time.ParseDuration(v); err == nil {
			return Span(ctx, d)
		}
	case "Reason", "Cause":
		return phrase(ctx, v, phrases)
	case "Message":
		if v == domain.NoGatewayMessage {
			return i18n.T(ctx, "phrase.no_message")
		}
	}
	return v
}

// ReasonRetcode is the retcode a stored state reason names (a handshake's
// answer, also inside a lapse, or the answer that closed a subscription),
// or "" when it names none: the subscription page links it to its page.
func ReasonRetcode(s string) string {
	_, args, ok := domain.ReadPhrase(s, domain.StateReasons)
	for ok {
		if code := args["Retcode"]; code != "" {
			return code
		}
		if args["Reason"] == "" {
			return ""
		}
		_, args, ok = domain.ReadPhrase(args["Reason"], domain.StateReasons)
	}
	return ""
}
