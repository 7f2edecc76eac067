// Package view holds small display helpers and components shared by the
// console's page packages: badges, times, field errors.
package view

import (
	"context"
	"fmt"
	"strconv"
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

// Retcode shows a retcode with its meaning.
func Retcode(code string) string {
	if code == "" {
		return "—"
	}
	return code
}

// Meaning returns the contract's meaning of a retcode, from the one
// retcode table (domain.Retcodes).
func Meaning(code string) string {
	if code == "" {
		return ""
	}
	if m := domain.RetcodeMeaning(code); m != "" {
		return m
	}
	return "not in the contract's list"
}

// RetcodeAction returns what ccsub does with a retcode, from the retcode
// table; a code outside the contract is recorded as rejected.
func RetcodeAction(code string) string {
	if code == "" {
		return ""
	}
	if a := domain.RetcodeAction(code); a != "" {
		return a
	}
	return "Recorded as rejected: the platform did not act. The code is not in the contract; the gateway's message says why."
}

// RetcodeCheck returns what an administrator should check for a retcode,
// from the retcode table, or "" when there is nothing to check.
func RetcodeCheck(code string) string { return domain.RetcodeHint(code) }

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
