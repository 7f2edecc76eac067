package api

import (
	"ccsub/web/jsonview"
	"net/http"
	"net/url"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/store"
)

// The history and audit lists of the API take the pages' filters, with the
// pages' names and rules, plus a limit; "next" and "prev" are the URLs of
// the older and newer pages (keyset cursors, filters kept).

var callParams = []string{"retcode", "outcome", "operation", "gateway", "serverId", "callback", "message", "from", "to", "since", "before", "after",
	"limit"}

// ListCalls is GET /api/v1/calls.
func (a *API) ListCalls(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, callParams...); err != nil {
		return err
	}
	q := r.URL.Query()
	fv, filter, errs := form.ParseCallQuery(r.Context(), q)
	page := apiPage(q, errs)
	if len(errs) > 0 {
		return &httpkit.Error{Status: http.StatusBadRequest, Msg: "These filters cannot be used.", Fields: errs}
	}
	res, err := a.store.ListCalls(r.Context(), filter, page)
	if err != nil {
		return err
	}
	out := make([]jsonview.Call, 0, len(res.Calls))
	for _, c := range a.subs.AsShown(res.Calls) {
		out = append(out, jsonview.CallOf(c))
	}
	base := withLimit(fv.Values(), q)
	a.writeJSON(w, http.StatusOK, map[string]any{"calls": out,
		"next": apiPageURL("/api/v1/calls", base, "before", res.Older),
		"prev": apiPageURL("/api/v1/calls", base, "after", res.Newer)})
	return nil
}

// Call is GET /api/v1/calls/{id}.
func (a *API) Call(w http.ResponseWriter, r *http.Request) error {
	c, err := httpkit.Load(r, a.store.Call)
	if err != nil {
		return err
	}
	a.writeJSON(w, http.StatusOK, jsonview.CallDetailOf(a.subs.AsShown([]domain.Call{c})[0]))
	return nil
}

var auditParams = []string{"actor", "action", "target_type", "target_id", "from", "to", "since", "before", "after", "limit"}

// ListAudit is GET /api/v1/audit.
func (a *API) ListAudit(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, auditParams...); err != nil {
		return err
	}
	q := r.URL.Query()
	fv, filter, errs := form.ParseAuditQuery(r.Context(), q)
	page := apiPage(q, errs)
	if len(errs) > 0 {
		return &httpkit.Error{Status: http.StatusBadRequest, Msg: "These filters cannot be used.", Fields: errs}
	}
	res, err := a.store.ListAudit(r.Context(), filter, page)
	if err != nil {
		return err
	}
	out := make([]jsonview.Audit, 0, len(res.Entries))
	for _, e := range res.Entries {
		out = append(out, jsonview.AuditOf(e))
	}
	base := withLimit(fv.Values(), q)
	a.writeJSON(w, http.StatusOK, map[string]any{"entries": out,
		"next": apiPageURL("/api/v1/audit", base, "before", res.Older),
		"prev": apiPageURL("/api/v1/audit", base, "after", res.Newer)})
	return nil
}

// apiPage reads the cursors (as the pages do) and the page size, adding
// any problem to errs under the parameter's name.
func apiPage(q url.Values, errs form.Errors) domain.PageRequest {
	page, perr := form.ParsePage(q, "items")
	if perr != "" {
		errs["before"] = "The cursor is damaged, or both before and after were given: follow the next and prev URLs as they are."
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxCallLimit {
			errs["limit"] = "A whole number from 1 to " + strconv.Itoa(store.MaxCallLimit) + "."
		}
		page.Limit = n
	}
	return page
}

func withLimit(base, q url.Values) url.Values {
	if v := q.Get("limit"); v != "" {
		base.Set("limit", v)
	}
	return base
}

// apiPageURL is the URL of the page beyond c, or nil when there is none.
func apiPageURL(path string, base url.Values, dir string, c *domain.Cursor) *string {
	if c == nil {
		return nil
	}
	u := form.PageURL(path, base, dir, *c)
	return &u
}
