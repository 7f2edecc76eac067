// Package auditlog renders the audit trail: the filtered list, the chain
// verification page and the "History" section of gateway and subscription
// pages.
package auditlog

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// Links says which target pages the viewer may open; a target whose page
// the viewer's role cannot open is shown as text.
type Links struct {
	Gateways bool
	Users    bool
}

// ListProps is the audit page's model.
type ListProps struct {
	Shell       layout.Shell
	Filters     form.AuditQuery
	Errors      map[string]string
	Entries     []domain.AuditEntry
	Pages       view.Pages // links to the newest, newer and older pages
	Actions     []domain.AuditAction
	TargetTypes []string
	Links       Links
	CanVerify   bool
	// ExportQuery is the current filters as a query string ("" or "?…"),
	// for the export links.
	ExportQuery string
}

// VerifyProps is the chain verification page's model.
type VerifyProps struct {
	Shell  layout.Shell
	Result domain.AuditVerification
}

// Recent is the "History" section of a gateway or subscription page: the
// latest entries about it and a link to the full filtered trail. A zero
// Recent (no MoreURL: the viewer may not read the trail) renders nothing.
type Recent struct {
	Entries []domain.AuditEntry
	MoreURL string
	Links   Links
}

// DiffRow is one field of an entry's diff, ready to show.
type DiffRow struct {
	Field  string
	Before string
	After  string
}

// secretFields never show a value other than a marker, whatever a caller
// put in the diff: defence in depth for the one place diffs are rendered.
var secretFields = []string{"password", "servicetoken", "token", "secret", "guid"}

const (
	markerChanged   = "[secret changed]"
	markerUnchanged = "[secret unchanged]"
	markerHidden    = "[secret]"
)

// diffRows lists the diff's fields in name order.
func diffRows(d map[string]domain.FieldChange) []DiffRow {
	rows := make([]DiffRow, 0, len(d))
	for k, c := range d {
		rows = append(rows, DiffRow{Field: k, Before: showValue(k, c.Before), After: showValue(k, c.After)})
	}
	slices.SortFunc(rows, func(a, b DiffRow) int { return strings.Compare(a.Field, b.Field) })
	return rows
}

func showValue(field string, v any) string {
	s := formatValue(v)
	if s == "" || s == markerChanged || s == markerUnchanged {
		return s
	}
	if isSecretField(field) {
		return markerHidden
	}
	return s
}

func isSecretField(field string) bool {
	f := strings.ToLower(field)
	for _, s := range secretFields {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

// formatValue shows a decoded JSON value: strings as they are, numbers as
// written (agent ids are integers), anything else as compact JSON.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// targetHref is the page of an entry's target, or "" when there is none the
// viewer can open. Only numeric ids become links.
func targetHref(e domain.AuditEntry, l Links) string {
	if _, err := strconv.ParseInt(e.TargetID, 10, 64); err != nil {
		return ""
	}
	switch {
	case e.TargetType == domain.TargetSubscription:
		return "/subscriptions/" + e.TargetID
	case e.TargetType == domain.TargetGateway && l.Gateways:
		return "/gateways/" + e.TargetID
	case e.TargetType == domain.TargetUser && l.Users:
		return "/users/" + e.TargetID
	}
	return ""
}

// targetText names the target: its name, or type and id.
func targetText(e domain.AuditEntry) string {
	if e.TargetType == "" {
		return "—"
	}
	name := e.TargetName
	if name == "" {
		name = "#" + e.TargetID
	}
	if e.TargetID == "" && e.TargetName == "" {
		name = ""
	}
	return strings.TrimSpace(e.TargetType + " " + name)
}

// agentShort clips a user agent for the table; the full text is the title.
func agentShort(ua string) string {
	const n = 40
	if utf8.RuneCountInString(ua) <= n {
		return ua
	}
	return string([]rune(ua)[:n]) + "…"
}

func actionLabel(a domain.AuditAction) string { return strings.ReplaceAll(string(a), "_", " ") }

// outcomeClass styles an outcome: gateway actions carry the call's outcome
// word (success, rejected, failed, unknown), others success or failure.
func outcomeClass(o string) string {
	if domain.Outcome(o).Valid() {
		return "badge " + o
	}
	return "badge rejected"
}

func hexHash(b []byte) string { return hex.EncodeToString(b) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
