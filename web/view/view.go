// Package view holds small display helpers and components shared by the
// console's page packages: badges, times, field errors.
package view

import (
	"fmt"
	"strconv"
	"time"

	"ccsub/internal/domain"
)

// TimeAttr is the machine-readable form put in <time datetime>.
func TimeAttr(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// TimeText is the server-rendered fallback text (UTC); app.js rewrites it
// into the viewer's time zone.
func TimeText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// Duration shows a call's duration in milliseconds with one decimal.
func Duration(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// OutcomeLabel is the word shown on an outcome badge.
func OutcomeLabel(o domain.Outcome) string {
	switch o {
	case domain.OutcomeSuccess:
		return "success"
	case domain.OutcomeRejected:
		return "rejected"
	case domain.OutcomeFailed:
		return "failed"
	case domain.OutcomeUnknown:
		return "unknown"
	case domain.OutcomePending:
		return "pending"
	}
	return string(o)
}

// OutcomeHelp explains an outcome in plain words.
func OutcomeHelp(o domain.Outcome) string {
	switch o {
	case domain.OutcomeSuccess:
		return "The gateway accepted the request."
	case domain.OutcomeRejected:
		return "The gateway answered and refused the request; see the retcode."
	case domain.OutcomeFailed:
		return "The request did not take effect: it was not sent, or it was refused before the gateway acted on it (HTTP 3xx or 4xx)."
	case domain.OutcomeUnknown:
		return "The request was sent, but ccsub cannot tell whether the gateway acted on it: no answer came back, the answer could not be read, or it was an HTTP 5xx or the gateway's own timeout (107-029). Check on the gateway before repeating it; an unknown register is listed as a subscription you can settle from its page."
	case domain.OutcomePending:
		return "Sent; waiting for the gateway's answer."
	}
	return ""
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

// YesNo renders a boolean for tables.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
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
