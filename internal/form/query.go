package form

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

// The list filters of the history and the audit trail, shared by their
// pages, the API and the exports: the same names, rules and messages
// wherever a list is asked for.

const maxFilterLen = 200

// CallQuery is the history's filters as typed, for re-display.
type CallQuery struct {
	Retcode   string
	Outcome   string
	Operation string
	Gateway   string // a gateway's id
	ServerID  string // a whole serverId, or its start followed by "*"
	Callback  string
	Message   string
	From      string // yyyy-mm-dd, a day in the viewer's zone
	To        string // yyyy-mm-dd (inclusive day)
	Since     string // an instant: yyyy-mm-ddThh:mm in the viewer's zone, or RFC 3339 with its offset
}

// ParseCallQuery reads the history's filters; every problem is a field
// error with a specific message, and nothing should reach the database then.
// Its messages are in the language of ctx.
func ParseCallQuery(ctx context.Context, q url.Values) (CallQuery, domain.CallFilter, Errors) {
	fv := CallQuery{
		Retcode: strings.TrimSpace(q.Get("retcode")), Outcome: q.Get("outcome"), Operation: q.Get("operation"),
		Gateway: strings.TrimSpace(q.Get("gateway")), ServerID: strings.TrimSpace(q.Get("serverId")), Callback: strings.TrimSpace(q.Get("callback")),
		Message: strings.TrimSpace(q.Get("message")), From: q.Get("from"), To: q.Get("to"), Since: q.Get("since"),
	}
	errs := Errors{}
	f := domain.CallFilter{Retcode: fv.Retcode, ServerID: fv.ServerID, CallbackContains: fv.Callback,
		MessageContains: fv.Message}
	for name, v := range map[string]string{"retcode": fv.Retcode, "serverId": fv.ServerID, "callback": fv.Callback,
		"message": fv.Message} {
		if utf8.RuneCountInString(v) > maxFilterLen || !utf8.ValidString(v) || strings.ContainsFunc(v, isControl) {
			errs[name] = i18n.T(ctx, "history.filter.too_long")
		}
	}
	// "2025*" asks for the serverIds that start with 2025.
	if prefix, ok := strings.CutSuffix(f.ServerID, "*"); ok {
		f.ServerID, f.ServerIDPrefix = prefix, true
	}
	if _, bad := errs["serverId"]; !bad && strings.Contains(f.ServerID, "*") || f.ServerIDPrefix && f.ServerID == "" {
		errs["serverId"] = i18n.T(ctx, "history.filter.server_id_invalid")
	}
	if fv.Outcome != "" {
		if f.Outcome = domain.Outcome(fv.Outcome); !f.Outcome.Valid() {
			errs["outcome"] = i18n.T(ctx, "history.filter.outcome_invalid")
		}
	}
	if fv.Operation != "" {
		if f.Operation = domain.Operation(fv.Operation); !f.Operation.Valid() {
			errs["operation"] = i18n.T(ctx, "history.filter.operation_invalid")
		}
	}
	if fv.Gateway != "" {
		id, err := strconv.ParseInt(fv.Gateway, 10, 64)
		if err != nil || id <= 0 {
			errs["gateway"] = i18n.T(ctx, "history.filter.gateway_invalid")
		}
		f.GatewayID = id
	}
	f.From, f.To = callDays(ctx, fv.From, fv.To, errs)
	f.From = since(ctx, fv.Since, f.From, errs)
	return fv, f, errs
}

// callDays is days in the history's words, in the language of ctx. (The
// rules are days'; its messages stay English for the audit trail until
// that is converted, then the two can become one helper taking ctx.)
func callDays(ctx context.Context, from, to string, errs Errors) (time.Time, time.Time) {
	f, t := days(ctx, from, to, errs)
	if _, bad := errs["from"]; bad {
		errs["from"] = i18n.T(ctx, "history.filter.date_invalid")
	}
	if _, bad := errs["to"]; bad {
		if t.IsZero() { // not a date
			errs["to"] = i18n.T(ctx, "history.filter.date_invalid")
		} else { // a date before "from"
			errs["to"] = i18n.T(ctx, "history.filter.to_before_from")
		}
	}
	return f, t
}

// Values is the query string of the filters given.
func (fv CallQuery) Values() url.Values {
	return nonEmpty(map[string]string{"retcode": fv.Retcode, "outcome": fv.Outcome, "operation": fv.Operation,
		"gateway":  fv.Gateway,
		"serverId": fv.ServerID, "callback": fv.Callback, "message": fv.Message, "from": fv.From, "to": fv.To,
		"since": fv.Since})
}

// Timed reports whether a filter depends on the viewer's zone: a "from"
// or "to" day, or a "since" written without an offset.
func (fv CallQuery) Timed() bool { return fv.From != "" || fv.To != "" || fv.Since != "" }

// AuditQuery is the audit trail's filters as typed, for re-display.
type AuditQuery struct {
	Actor      string
	Action     string
	TargetType string
	TargetID   string
	From       string
	To         string
	Since      string
}

// ParseAuditQuery reads the audit trail's filters, like ParseCallQuery.
func ParseAuditQuery(ctx context.Context, q url.Values) (AuditQuery, domain.AuditFilter, Errors) {
	fv := AuditQuery{
		Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"), TargetType: q.Get("target_type"),
		TargetID: strings.TrimSpace(q.Get("target_id")), From: q.Get("from"), To: q.Get("to"),
		Since: q.Get("since"),
	}
	errs := Errors{}
	for _, name := range []string{"actor", "action", "target_type", "target_id", "from", "to", "since", "before", "after"} {
		if len(q[name]) > 1 {
			errs[name] = i18n.T(ctx, "audit.error.repeated")
		}
	}
	f := domain.AuditFilter{Actor: fv.Actor, TargetID: fv.TargetID}
	for name, v := range map[string]string{"actor": fv.Actor, "target_id": fv.TargetID} {
		if _, dup := errs[name]; !dup && !plainFilterText(v) {
			errs[name] = i18n.T(ctx, "audit.error.plain_text")
		}
	}
	if fv.Action != "" {
		if f.Action = domain.AuditAction(fv.Action); !f.Action.Valid() {
			errs["action"] = i18n.T(ctx, "audit.error.action")
		}
	}
	if fv.TargetType != "" {
		f.TargetType = fv.TargetType
		if !validTargetType(fv.TargetType) {
			errs["target_type"] = i18n.T(ctx, "audit.error.target_type")
		}
	}
	if fv.TargetID != "" && fv.TargetType == "" {
		errs["target_id"] = i18n.T(ctx, "audit.error.target_id_alone")
	}
	f.From, f.To = days(ctx, fv.From, fv.To, errs)
	f.From = since(ctx, fv.Since, f.From, errs)
	return fv, f, errs
}

// Timed reports whether a filter depends on the viewer's zone (see
// CallQuery.Timed).
func (fv AuditQuery) Timed() bool { return fv.From != "" || fv.To != "" || fv.Since != "" }

// InboxQuery is the inbox's date filters as typed, for re-display.
type InboxQuery struct {
	From  string
	To    string
	Since string
}

// ParseInboxQuery reads the inbox's date filters, with the history's rules
// and words: days in the viewer's zone, since an instant.
func ParseInboxQuery(ctx context.Context, q url.Values) (InboxQuery, time.Time, time.Time, Errors) {
	fv := InboxQuery{From: q.Get("from"), To: q.Get("to"), Since: q.Get("since")}
	errs := Errors{}
	from, to := callDays(ctx, fv.From, fv.To, errs)
	return fv, since(ctx, fv.Since, from, errs), to, errs
}

// Timed reports whether a filter is given (all of them depend on the
// viewer's zone).
func (fv InboxQuery) Timed() bool { return fv.From != "" || fv.To != "" || fv.Since != "" }

// Values is the query string of the filters given.
func (fv InboxQuery) Values() url.Values {
	return nonEmpty(map[string]string{"from": fv.From, "to": fv.To, "since": fv.Since})
}

// Values is the query string of the filters given.
func (fv AuditQuery) Values() url.Values {
	return nonEmpty(map[string]string{"actor": fv.Actor, "action": fv.Action, "target_type": fv.TargetType,
		"target_id": fv.TargetID, "from": fv.From, "to": fv.To, "since": fv.Since})
}

// days reads the "from" and "to" days, days in the viewer's zone
// (i18n.ZoneOf: UTC on the API); "to" is inclusive, so the filter's end is
// the start of the next day there (23 or 25 hours later across a change of
// summer time).
func days(ctx context.Context, from, to string, errs Errors) (time.Time, time.Time) {
	loc := i18n.ZoneOf(ctx).Loc
	f := parseDay(from, "from", loc, errs)
	t := parseDay(to, "to", loc, errs)
	if !t.IsZero() {
		t = t.AddDate(0, 0, 1)
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		errs["to"] = "Must be the same day as \"From\" or later."
	}
	return f, t
}

func parseDay(v, field string, loc *time.Location, errs Errors) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(DayLayout, v, loc)
	if err != nil {
		errs[field] = "Use a date like 2026-11-26."
		return time.Time{}
	}
	return t
}

// DayLayout and MinuteLayout are the forms of the "from"/"to" days and of
// "since" in a query: those of HTML's date and datetime-local inputs.
const (
	DayLayout    = "2006-01-02"
	MinuteLayout = "2006-01-02T15:04"
)

// since reads the "since" filter: an instant, written in the viewer's zone
// to the minute ("2026-11-26T09:30", as the "Last 24 hours" link writes
// it) or with its own offset (RFC 3339, for programs). It narrows from,
// the start of the "from" day, when it is later.
func since(ctx context.Context, v string, from time.Time, errs Errors) time.Time {
	if v == "" {
		return from
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.ParseInLocation(MinuteLayout, v, i18n.ZoneOf(ctx).Loc)
	}
	if err != nil || len(v) > 40 {
		errs["since"] = i18n.T(ctx, "view.days.since_invalid")
		return from
	}
	if t.After(from) {
		return t
	}
	return from
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// plainFilterText refuses what cannot be a user name or an id typed by a
// person: overlong text, invalid UTF-8, control and invisible characters.
func plainFilterText(v string) bool {
	if utf8.RuneCountInString(v) > maxFilterLen || !utf8.ValidString(v) {
		return false
	}
	return !strings.ContainsFunc(v, func(c rune) bool {
		return isControl(c) || c >= 0x80 && c <= 0x9f || invisibleFilterChar(c)
	})
}

// invisibleFilterChar are format characters that make two different
// strings look the same (zero-width, direction overrides, BOM).
func invisibleFilterChar(c rune) bool {
	return c >= 0x200b && c <= 0x200f || c >= 0x202a && c <= 0x202e || c >= 0x2060 && c <= 0x2064 || c == 0xfeff || c == 0xad
}

func validTargetType(t string) bool {
	for _, v := range domain.AuditTargetTypes {
		if v == t {
			return true
		}
	}
	return false
}

// ParsePage reads the keyset cursors of a newest-first list of things
// ("calls", "entries"), or says what is wrong with them.
func ParsePage(q url.Values, things string) (domain.PageRequest, string) {
	p := domain.PageRequest{Limit: 50}
	damaged := "That page link is damaged; showing it is not possible. Start again from the newest " + things + "."
	var err error
	if v := q.Get("before"); v != "" {
		if p.Before, err = ParseCursor(v); err != nil {
			return p, damaged
		}
	}
	if v := q.Get("after"); v != "" {
		if p.After, err = ParseCursor(v); err != nil {
			return p, damaged
		}
	}
	if p.Before != nil && p.After != nil {
		return p, "A page link cannot go both ways; start again from the newest " + things + "."
	}
	return p, ""
}

// ParseCursor reads a cursor. Cursors are "<unix microseconds>.<id>": exact for Postgres timestamps.
func ParseCursor(v string) (*domain.Cursor, error) {
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return nil, errors.New("no dot")
	}
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, errors.New("not numbers")
	}
	return &domain.Cursor{At: time.UnixMicro(us).UTC(), ID: id}, nil
}

// FormatCursor is the cursor as ParseCursor reads it.
func FormatCursor(c domain.Cursor) string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// nonEmpty is the query string of the filters actually given.
func nonEmpty(filters map[string]string) url.Values {
	q := url.Values{}
	for k, v := range filters {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// PageURL is path with the filters of base and a cursor ("before" for the
// older page, "after" for the newer one).
func PageURL(path string, base url.Values, dir string, c domain.Cursor) string {
	q := maps.Clone(base)
	if q == nil {
		q = url.Values{}
	}
	q.Set(dir, FormatCursor(c))
	return path + EncodeQuery(q)
}

// EncodeQuery is "?" and q, or "" for no query.
func EncodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
