package server

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/web/history"
)

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fv, filter, errs := parseCallFilter(q)
	page, perr := parsePage(q, "calls")
	if perr != "" {
		errs["page"] = perr
	}
	props := history.ListProps{
		Shell: s.page(w, r, "History", "history"), Filters: fv, Errors: errs,
		Outcomes: domain.Outcomes, Ops: domain.Operations,
	}
	if len(errs) > 0 {
		if msg, ok := errs["page"]; ok {
			props.Shell.Flash = flashError(msg)
		}
		return s.render(w, r, http.StatusBadRequest, history.List(props))
	}
	res, err := s.store.ListCalls(r.Context(), filter, page)
	if err != nil {
		return err
	}
	props.Calls = s.displayCalls(res.Calls)
	base := filterQuery(fv)
	props.ExportQuery = encodeQuery(base)
	if res.Older != nil {
		props.OlderURL = pageURL("/history", base, "before", *res.Older)
	}
	if res.Newer != nil {
		props.NewerURL = pageURL("/history", base, "after", *res.Newer)
	}
	if page.Before != nil || page.After != nil {
		props.NewestURL = "/history" + encodeQuery(base)
	}
	return s.render(w, r, http.StatusOK, history.List(props))
}

// displayCalls shows calls left pending longer than any call can take as
// unknown: no process is waiting for their answer any more.
func (s *Server) displayCalls(calls []domain.Call) []domain.Call {
	cut := time.Now().Add(-s.svc.InterruptedAfter())
	for i := range calls {
		if calls[i].Outcome == domain.OutcomePending && calls[i].StartedAt.Before(cut) {
			calls[i].Outcome = domain.OutcomeUnknown
		}
	}
	return calls
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return domain.ErrNotFound
	}
	c, err := s.store.Call(r.Context(), id)
	if err != nil {
		return err
	}
	wasPending := c.Outcome == domain.OutcomePending
	c = s.displayCalls([]domain.Call{c})[0]
	props := history.CallProps{
		Shell: s.page(w, r, "Call "+r.PathValue("id"), "history"), Call: c,
		TokenMasked: tokenMask(c), Hint: domain.RetcodeHint(c.Retcode),
		Interrupted: wasPending && c.Outcome == domain.OutcomeUnknown || strings.HasPrefix(c.Error, "interrupted"),
	}
	if c.SubscriptionID != nil {
		sub, err := s.store.Subscription(r.Context(), *c.SubscriptionID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err == nil {
			props.Subscription = &sub
		}
	}
	return s.render(w, r, http.StatusOK, history.Call(props))
}

// tokenMask says whether a token was sent, never what it is.
func tokenMask(c domain.Call) string {
	if !c.TokenPresent {
		return "none"
	}
	return "•••••••• (set; stored encrypted, never shown)"
}

const maxFilterLen = 200

func parseCallFilter(q url.Values) (history.FilterValues, domain.CallFilter, map[string]string) {
	fv := history.FilterValues{
		Retcode: strings.TrimSpace(q.Get("retcode")), Outcome: q.Get("outcome"), Operation: q.Get("operation"),
		ServerID: strings.TrimSpace(q.Get("serverId")), Callback: strings.TrimSpace(q.Get("callback")),
		From: q.Get("from"), To: q.Get("to"),
	}
	errs := map[string]string{}
	f := domain.CallFilter{Retcode: fv.Retcode, ServerID: fv.ServerID, CallbackContains: fv.Callback}
	for name, v := range map[string]string{"retcode": fv.Retcode, "serverId": fv.ServerID, "callback": fv.Callback} {
		if utf8.RuneCountInString(v) > maxFilterLen || !utf8.ValidString(v) || strings.ContainsFunc(v, isControl) {
			errs[name] = "At most 200 characters, without control characters."
		}
	}
	if fv.Outcome != "" {
		if f.Outcome = domain.Outcome(fv.Outcome); !f.Outcome.Valid() {
			errs["outcome"] = "Choose an outcome from the list."
		}
	}
	if fv.Operation != "" {
		if f.Operation = domain.Operation(fv.Operation); !f.Operation.Valid() {
			errs["operation"] = "Choose an operation from the list."
		}
	}
	f.From = parseDay(fv.From, "from", errs)
	if to := parseDay(fv.To, "to", errs); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the "to" day is inclusive
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs["to"] = "Must be the same day as \"From\" or later."
	}
	return fv, f, errs
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func parseDay(v, field string, errs map[string]string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		errs[field] = "Use a date like 2026-11-26."
		return time.Time{}
	}
	return t
}

// parsePage reads the keyset cursors of a newest-first list of things
// ("calls", "entries"), or says what is wrong with them.
func parsePage(q url.Values, things string) (domain.PageRequest, string) {
	p := domain.PageRequest{Limit: 50}
	damaged := "That page link is damaged; showing it is not possible. Start again from the newest " + things + "."
	var err error
	if v := q.Get("before"); v != "" {
		if p.Before, err = parseCursor(v); err != nil {
			return p, damaged
		}
	}
	if v := q.Get("after"); v != "" {
		if p.After, err = parseCursor(v); err != nil {
			return p, damaged
		}
	}
	if p.Before != nil && p.After != nil {
		return p, "A page link cannot go both ways; start again from the newest " + things + "."
	}
	return p, ""
}

// Cursors are "<unix microseconds>.<id>": exact for Postgres timestamps.
func parseCursor(v string) (*domain.Cursor, error) {
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

func formatCursor(c domain.Cursor) string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

func filterQuery(fv history.FilterValues) url.Values {
	return nonEmpty(map[string]string{"retcode": fv.Retcode, "outcome": fv.Outcome, "operation": fv.Operation,
		"serverId": fv.ServerID, "callback": fv.Callback, "from": fv.From, "to": fv.To})
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

// pageURL is path with the filters of base and a cursor ("before" for the
// older page, "after" for the newer one).
func pageURL(path string, base url.Values, dir string, c domain.Cursor) string {
	q := maps.Clone(base)
	if q == nil {
		q = url.Values{}
	}
	q.Set(dir, formatCursor(c))
	return path + encodeQuery(q)
}

func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
