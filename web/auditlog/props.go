// Package auditlog renders the audit trail: the filtered list, the chain
// verification page and the "History" section of gateway and subscription
// pages.
package auditlog

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
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
	markerRevealed  = "[secret revealed]"
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

// targetText names the target: its type in words and its name, or type
// and id.
func targetText(ctx context.Context, e domain.AuditEntry) string {
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
	return strings.TrimSpace(targetTypeLabel(ctx, e.TargetType) + " " + name)
}

// targetTypeLabel names a target type in the language of ctx.
func targetTypeLabel(ctx context.Context, t string) string {
	switch t {
	case domain.TargetUser:
		return i18n.T(ctx, "audit.target.user")
	case domain.TargetGateway:
		return i18n.T(ctx, "audit.target.gateway")
	case domain.TargetSubscription:
		return i18n.T(ctx, "audit.target.subscription")
	case domain.TargetAPIToken:
		return i18n.T(ctx, "audit.target.api_token")
	case domain.TargetHistory:
		return i18n.T(ctx, "audit.target.history")
	case domain.TargetAudit:
		return i18n.T(ctx, "audit.target.audit")
	case domain.TargetSecretKey:
		return i18n.T(ctx, "audit.target.secret_key")
	case domain.TargetRetention:
		return i18n.T(ctx, "audit.target.retention")
	}
	return t
}

// agentShort clips a user agent for the table; the full text is the title.
func agentShort(ua string) string {
	const n = 40
	if utf8.RuneCountInString(ua) <= n {
		return ua
	}
	return string([]rune(ua)[:n]) + "…"
}

// actionLabel names an action in the language of ctx.
func actionLabel(ctx context.Context, a domain.AuditAction) string {
	switch a {
	case domain.AuditLogin:
		return i18n.T(ctx, "audit.action.login")
	case domain.AuditLoginFailed:
		return i18n.T(ctx, "audit.action.login_failed")
	case domain.AuditLogout:
		return i18n.T(ctx, "audit.action.logout")
	case domain.AuditUserCreate:
		return i18n.T(ctx, "audit.action.user_create")
	case domain.AuditUserUpdate:
		return i18n.T(ctx, "audit.action.user_update")
	case domain.AuditGatewayCreate:
		return i18n.T(ctx, "audit.action.gateway_create")
	case domain.AuditGatewayUpdate:
		return i18n.T(ctx, "audit.action.gateway_update")
	case domain.AuditGatewayTest:
		return i18n.T(ctx, "audit.action.gateway_test")
	case domain.AuditGatewayRetry:
		return i18n.T(ctx, "audit.action.gateway_login_retry")
	case domain.AuditGatewayRemove:
		return i18n.T(ctx, "audit.action.gateway_remove")
	case domain.AuditSubRegister:
		return i18n.T(ctx, "audit.action.subscription_register")
	case domain.AuditSubModify:
		return i18n.T(ctx, "audit.action.subscription_modify")
	case domain.AuditSubCancel:
		return i18n.T(ctx, "audit.action.subscription_cancel")
	case domain.AuditSubReplace:
		return i18n.T(ctx, "audit.action.subscription_replace")
	case domain.AuditSubPolicy:
		return i18n.T(ctx, "audit.action.subscription_policy")
	case domain.AuditSubResolve:
		return i18n.T(ctx, "audit.action.subscription_resolve")
	case domain.AuditSubClose:
		return i18n.T(ctx, "audit.action.subscription_close")
	case domain.AuditSecretReveal:
		return i18n.T(ctx, "audit.action.secret_reveal")
	case domain.AuditSecretsRotate:
		return i18n.T(ctx, "audit.action.secrets_rotate")
	case domain.AuditExport:
		return i18n.T(ctx, "audit.action.export")
	case domain.AuditTokenCreate:
		return i18n.T(ctx, "audit.action.api_token_create")
	case domain.AuditTokenRevoke:
		return i18n.T(ctx, "audit.action.api_token_revoke")
	case domain.AuditRetentionRun:
		return i18n.T(ctx, "audit.action.retention_run")
	}
	return strings.ReplaceAll(string(a), "_", " ")
}

// outcomeLabel is an entry's outcome in words: a call's outcome, or
// success or failure.
func outcomeLabel(ctx context.Context, o string) string {
	if domain.Outcome(o).Valid() {
		return view.OutcomeLabelIn(ctx, domain.Outcome(o))
	}
	if o == "failure" {
		return i18n.T(ctx, "audit.outcome.failure")
	}
	return o
}

// secretMarker puts the markers that stand for a secret into words; any
// other value is shown as it is.
func secretMarker(ctx context.Context, v string) string {
	switch v {
	case markerChanged:
		return i18n.T(ctx, "audit.secret.changed")
	case markerUnchanged:
		return i18n.T(ctx, "audit.secret.unchanged")
	case markerHidden:
		return i18n.T(ctx, "audit.secret.hidden")
	case markerRevealed:
		return i18n.T(ctx, "audit.secret.revealed")
	}
	return v
}

// breakReason puts the store's reason for a broken chain into words.
func breakReason(ctx context.Context, reason string) string {
	switch {
	case strings.HasPrefix(reason, "its link to the previous entry"):
		return i18n.T(ctx, "audit.verify.reason_link")
	case strings.HasPrefix(reason, "its content does not match"):
		return i18n.T(ctx, "audit.verify.reason_content")
	}
	return reason
}

func hexHash(b []byte) string { return hex.EncodeToString(b) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// columns are the audit table's headings, said once per table: every
// row's cells repeat them as data-label (the phone layout).
type columns struct{ Time, Actor, Source, Action, Target, Outcome, Changes string }

func columnsIn(ctx context.Context) columns {
	return columns{
		Time:    i18n.T(ctx, "audit.col.time"),
		Actor:   i18n.T(ctx, "audit.col.actor"),
		Source:  i18n.T(ctx, "audit.col.source"),
		Action:  i18n.T(ctx, "audit.col.action"),
		Target:  i18n.T(ctx, "audit.col.target"),
		Outcome: i18n.T(ctx, "audit.col.outcome"),
		Changes: i18n.T(ctx, "audit.col.changes"),
	}
}
