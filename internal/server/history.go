package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/web/history"
	"ccsub/web/view"
)

// History is GET /history.
func (s *Server) History(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	zone := i18n.ZoneOf(r.Context()) // the days are read in it
	fv, filter, errs := form.ParseCallQuery(r.Context(), q)
	page, perr := form.ParsePage(q, "calls")
	if perr != "" {
		// ParsePage's words are shared with other lists (English until
		// they are converted): the history says it in its own.
		errs["page"] = i18n.T(r.Context(), "history.bad_page")
	}
	match, err := s.store.TextMatch(r.Context())
	if err != nil {
		return err
	}
	gws, err := s.gatewayChoices(r.Context(), filter.GatewayID)
	if err != nil {
		return err
	}
	props := history.ListProps{Filters: fv, Errors: errs, Outcomes: domain.Outcomes, Ops: domain.Operations, TextMatch: match,
		Gateways: gws}
	if _, bad := errs["gateway"]; !bad && filter.GatewayID != 0 && !slices.ContainsFunc(gws, func(g domain.Gateway) bool {
		return g.ID == filter.GatewayID
	}) {
		errs["gateway"] = i18n.T(r.Context(), "history.filter.gateway_gone")
	}
	if len(errs) > 0 {
		props.Shell = s.page(w, r, i18n.T(r.Context(), "history.title"), "history")
		if msg, ok := errs["page"]; ok {
			props.Shell.Flash = flashError(msg)
		}
		return s.render(w, r, http.StatusBadRequest, history.List(props))
	}
	// The list first: the session's lookup goes with it (Reader|OneTrip).
	res, err := s.store.ListCalls(r.Context(), filter, page)
	if err == nil && fv.Timed() && zoneMoved(r, zone) {
		_, filter, _ = form.ParseCallQuery(r.Context(), q) // the user's own zone came with the list
		res, err = s.store.ListCalls(r.Context(), filter, page)
	}
	if err != nil {
		return err
	}
	props.Shell = s.page(w, r, i18n.T(r.Context(), "history.title"), "history")
	props.Calls = s.subs.AsShown(res.Calls)
	base := fv.Values()
	props.ExportQuery = form.EncodeQuery(base)
	props.Pages = pages("/history", base, page, res.Older, res.Newer)
	return s.render(w, r, http.StatusOK, history.List(props))
}

// CallPage is GET /calls/{id}.
func (s *Server) CallPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.PathID(r)
	if err != nil {
		return err
	}
	// The call, its subscription and the session's lookup: one round trip
	// (Reader|OneTrip).
	var c domain.Call
	var sub domain.Subscription
	var found, hasSub bool
	rd := s.store.Reads(r.Context())
	rd.Call(id, &c, &found)
	rd.SubscriptionOfCall(id, &sub, &hasSub)
	if err := rd.Send(r.Context()); err != nil {
		return err
	}
	if !found {
		return domain.ErrNotFound
	}
	wasPending := c.Outcome == domain.OutcomePending
	c = s.subs.AsShown([]domain.Call{c})[0]
	props := history.CallProps{
		Shell: s.page(w, r, i18n.Tf(r.Context(), "history.call.title", i18n.D{"ID": r.PathValue("id")}), "history"), Call: c,
		TokenMasked: tokenMask(r.Context(), c), Hint: view.RetcodeCheck(r.Context(), c.Retcode),
		Interrupted: wasPending && c.Outcome == domain.OutcomeUnknown || strings.HasPrefix(c.Error, "interrupted"),
	}
	if u, ok := httpkit.User(r); ok {
		props.CanOperate = u.Role == domain.RoleAdmin || u.Role == domain.RoleOperator
	}
	if hasSub {
		props.Subscription = &sub
	}
	return s.render(w, r, http.StatusOK, history.Call(props))
}

// tokenMask says whether a token was sent, never what it is.
func tokenMask(ctx context.Context, c domain.Call) string {
	if !c.TokenPresent {
		return i18n.T(ctx, "history.call.token_none")
	}
	return i18n.T(ctx, "history.call.token_set")
}

// pages are the pager's links of a list at path with the filters base,
// shown at the page at, with older and newer pages where the cursors say.
func pages(path string, base url.Values, at domain.PageRequest, older, newer *domain.Cursor) view.Pages {
	var p view.Pages
	if older != nil {
		p.Older = form.PageURL(path, base, "before", *older)
	}
	if newer != nil {
		p.Newer = form.PageURL(path, base, "after", *newer)
	}
	if at.Before != nil || at.After != nil {
		p.Newest = path + form.EncodeQuery(base)
	}
	return p
}
