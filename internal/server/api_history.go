package server

import (
	"net/http"
	"net/url"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// The history and audit lists of the API take the pages' filters, with the
// pages' names and rules, plus a limit; "next" and "prev" are the URLs of
// the older and newer pages (keyset cursors, filters kept).

var callParams = []string{"retcode", "outcome", "operation", "serverId", "callback", "from", "to", "before", "after", "limit"}

func (s *Server) apiListCalls(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, callParams...); err != nil {
		return err
	}
	q := r.URL.Query()
	fv, filter, errs := parseCallFilter(q)
	page := apiPage(q, errs)
	if len(errs) > 0 {
		return &apiError{status: http.StatusBadRequest, msg: "These filters cannot be used.", fields: errs}
	}
	res, err := s.store.ListCalls(r.Context(), filter, page)
	if err != nil {
		return err
	}
	out := make([]callJSON, 0, len(res.Calls))
	for _, c := range s.displayCalls(res.Calls) {
		out = append(out, callView(c))
	}
	base := withLimit(filterQuery(fv), q)
	s.writeJSON(w, http.StatusOK, map[string]any{"calls": out,
		"next": apiPageURL("/api/v1/calls", base, "before", res.Older),
		"prev": apiPageURL("/api/v1/calls", base, "after", res.Newer)})
	return nil
}

func (s *Server) apiCall(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.store.Call(r.Context(), id)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, callDetailView(s.displayCalls([]domain.Call{c})[0]))
	return nil
}

var auditParams = []string{"actor", "action", "target_type", "target_id", "from", "to", "before", "after", "limit"}

func (s *Server) apiListAudit(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, auditParams...); err != nil {
		return err
	}
	q := r.URL.Query()
	fv, filter, errs := parseAuditFilter(q)
	page := apiPage(q, errs)
	if len(errs) > 0 {
		return &apiError{status: http.StatusBadRequest, msg: "These filters cannot be used.", fields: errs}
	}
	res, err := s.store.ListAudit(r.Context(), filter, page)
	if err != nil {
		return err
	}
	out := make([]auditJSON, 0, len(res.Entries))
	for _, e := range res.Entries {
		out = append(out, auditView(e))
	}
	base := withLimit(auditFilterQuery(fv), q)
	s.writeJSON(w, http.StatusOK, map[string]any{"entries": out,
		"next": apiPageURL("/api/v1/audit", base, "before", res.Older),
		"prev": apiPageURL("/api/v1/audit", base, "after", res.Newer)})
	return nil
}

// apiPage reads the cursors (as the pages do) and the page size, adding
// any problem to errs under the parameter's name.
func apiPage(q url.Values, errs map[string]string) domain.PageRequest {
	page, perr := parsePage(q, "items")
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
	u := pageURL(path, base, dir, *c)
	return &u
}
