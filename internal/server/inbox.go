package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/inbox"
)

// inboxPollLimit bounds one answer to app.js's poll; when more arrived,
// the answer says so and the script asks again at once.
const inboxPollLimit = 50

// Inbox is GET /inbox: every subscription's notifications.
func (s *Server) Inbox(w http.ResponseWriter, r *http.Request) error {
	return s.inboxPage(w, r, nil)
}

// SubscriptionInbox is GET /subscriptions/{id}/inbox.
func (s *Server) SubscriptionInbox(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	return s.inboxPage(w, r, &sub)
}

func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request, sub *domain.Subscription) error {
	page, err := parseInboxPage(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	var f domain.NotificationFilter
	base := "/inbox"
	if sub != nil {
		f.SubscriptionID, base = sub.ID, "/subscriptions/"+strconv.FormatInt(sub.ID, 10)+"/inbox"
	}
	zone := i18n.ZoneOf(r.Context()) // the days are read in it
	fv, from, to, errs := form.ParseInboxQuery(r.Context(), r.URL.Query())
	p := inbox.ListProps{Subscription: sub, Path: base, Filters: fv, Errors: errs}
	if len(errs) > 0 {
		p.Shell = s.page(w, r, p.Title(r.Context()), "inbox")
		return s.render(w, r, http.StatusBadRequest, inbox.List(p))
	}
	f.From, f.To = from, to
	res, err := s.store.ListNotifications(r.Context(), f, page)
	if err == nil && fv.Timed() && zoneMoved(r, zone) {
		_, f.From, f.To, _ = form.ParseInboxQuery(r.Context(), r.URL.Query()) // the user's own zone came with the list
		res, err = s.store.ListNotifications(r.Context(), f, page)
	}
	if err != nil {
		return err
	}
	p.Shell = s.page(w, r, p.Title(r.Context()), "inbox")
	p.Rows, p.RefreshURL = inboxRows(res.Notifications), base+form.EncodeQuery(fv.Values())
	p.Pages = pages(base, fv.Values(), page, res.Older, res.Newer)
	if p.Pages.Newest == "" && !fv.Timed() {
		p.PollURL = pollURL(f) // only the newest page of the whole inbox takes new rows
	}
	return s.render(w, r, http.StatusOK, inbox.List(p))
}

// InboxRows is GET /inbox/rows?after=<cursor>[&subscription=<id>]:
// only the <tr> rows newer than the cursor, newest first, for app.js to
// put on top of the table. X-Inbox-More: 1 says more are waiting.
func (s *Server) InboxRows(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f domain.NotificationFilter
	if v := q.Get("subscription"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return httpkit.BadRequest(i18n.T(r.Context(), "inbox.error.subscription"))
		}
		f.SubscriptionID = id
	}
	p := domain.PageRequest{Limit: inboxPollLimit}
	if v := q.Get("after"); v != "" {
		c, err := form.ParseCursor(v)
		if err != nil {
			return httpkit.BadRequest(i18n.T(r.Context(), "inbox.error.position"))
		}
		p.After = c
	}
	res, err := s.store.ListNotifications(r.Context(), f, p)
	if err != nil {
		return err
	}
	if p.After != nil && res.Newer != nil {
		w.Header().Set("X-Inbox-More", "1")
	}
	currentUser(r) // the rows' times are in the user's zone: the lookup came with the list, this costs no query
	return s.render(w, r, http.StatusOK, inbox.Rows(inboxRows(res.Notifications)))
}

func parseInboxPage(ctx context.Context, q url.Values) (domain.PageRequest, error) {
	p := domain.PageRequest{Limit: 50}
	for name, dst := range map[string]**domain.Cursor{"before": &p.Before, "after": &p.After} {
		if v := q.Get(name); v != "" {
			c, err := form.ParseCursor(v)
			if err != nil {
				return p, httpkit.BadRequest(i18n.T(ctx, "inbox.error.page_link"))
			}
			*dst = c
		}
	}
	if p.Before != nil && p.After != nil {
		return p, httpkit.BadRequest(i18n.T(ctx, "inbox.error.both_ways"))
	}
	return p, nil
}

func pollURL(f domain.NotificationFilter) string {
	if f.SubscriptionID == 0 {
		return "/inbox/rows"
	}
	return "/inbox/rows?subscription=" + strconv.FormatInt(f.SubscriptionID, 10)
}

func inboxRows(ns []domain.Notification) []inbox.Row {
	rows := make([]inbox.Row, len(ns))
	for i, n := range ns {
		rows[i] = inbox.Row{N: n, Cursor: form.FormatCursor(domain.Cursor{At: n.ReceivedAt, ID: n.ID})}
	}
	return rows
}
