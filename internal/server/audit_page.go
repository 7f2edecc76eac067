package server

import (
	"context"
	"net/http"
	"net/url"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/auditlog"
)

// recentAudit is how many entries the History section of a gateway or
// subscription page shows; the full trail is one link away.
const recentAuditLimit = 20

// AuditList is GET /audit.
func (s *Server) AuditList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	zone := i18n.ZoneOf(r.Context()) // the days are read in it
	fv, filter, errs := form.ParseAuditQuery(r.Context(), q)
	page, perr := form.ParsePage(q, "entries")
	if perr != "" {
		errs["page"] = perr
	}
	props := auditlog.ListProps{Filters: fv, Errors: errs, Actions: domain.AuditActions, TargetTypes: domain.AuditTargetTypes}
	var res domain.AuditPage
	if len(errs) == 0 {
		// The list first: the session's lookup goes with it (Auditing|OneTrip).
		var err error
		res, err = s.store.ListAudit(r.Context(), filter, page)
		if err == nil && fv.Timed() && zoneMoved(r, zone) {
			_, filter, _ = form.ParseAuditQuery(r.Context(), q) // the user's own zone came with the list
			res, err = s.store.ListAudit(r.Context(), filter, page)
		}
		if err != nil {
			return err
		}
	}
	u, _ := currentUser(r)
	props.Shell, props.Links, props.CanVerify = s.page(w, r, i18n.T(r.Context(), "audit.title"), "audit"), auditLinks(u), u.Role == domain.RoleAdmin
	if len(errs) > 0 {
		props.Shell.Flash = flashError(auditErrorSummary(r.Context(), errs))
		return s.render(w, r, http.StatusBadRequest, auditlog.List(props))
	}
	props.Entries = res.Entries
	base := fv.Values()
	props.ExportQuery = form.EncodeQuery(base)
	props.Pages = pages("/audit", base, page, res.Older, res.Newer)
	return s.render(w, r, http.StatusOK, auditlog.List(props))
}

// AuditVerify is GET /audit/verify.
func (s *Server) AuditVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := s.audit.Verify(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, auditlog.Verify(auditlog.VerifyProps{
		Shell: s.page(w, r, i18n.T(r.Context(), "audit.verify.title"), "audit"), Result: v}))
}

// recentAudit is the History section for one target; it is empty (and
// not rendered) for a viewer whose role may not read the audit trail.
func (s *Server) recentAudit(r *http.Request, targetType string, id int64) (auditlog.Recent, error) {
	u, _ := currentUser(r)
	if !mayReadAudit(u) {
		return auditlog.Recent{}, nil
	}
	res, err := s.store.ListAudit(r.Context(), recentAuditFilter(targetType, id), domain.PageRequest{Limit: recentAuditLimit})
	if err != nil {
		return auditlog.Recent{}, err
	}
	return recentAuditFor(u, targetType, id, res), nil
}

// recentAuditFilter selects the audit entries about one record.
func recentAuditFilter(targetType string, id int64) domain.AuditFilter {
	return domain.AuditFilter{TargetType: targetType, TargetID: idString(id)}
}

// recentAuditFor is the box of recent entries read as res, for a viewer u
// who may see it (admins and auditors; empty for the others).
func recentAuditFor(u domain.User, targetType string, id int64, res domain.AuditPage) auditlog.Recent {
	if !mayReadAudit(u) {
		return auditlog.Recent{}
	}
	more := "/audit" + form.EncodeQuery(url.Values{"target_type": {targetType}, "target_id": {idString(id)}})
	return auditlog.Recent{Entries: res.Entries, MoreURL: more, Links: auditLinks(u)}
}

// mayReadAudit: the audit trail is for admins and auditors (the route
// table's Auditing); operators see no audit entries anywhere.
func mayReadAudit(u domain.User) bool {
	return u.Role == domain.RoleAdmin || u.Role == domain.RoleAuditor
}

// auditLinks: gateway and user pages are for admins only, so only they
// get links to them; subscription pages are open to every role.
func auditLinks(u domain.User) auditlog.Links {
	admin := u.Role == domain.RoleAdmin
	return auditlog.Links{Gateways: admin, Users: admin}
}

// auditErrorSummary is the flash shown above a refused filter form: the
// page link's problem, or a pointer to the fields marked.
func auditErrorSummary(ctx context.Context, errs form.Errors) string {
	if msg, ok := errs["page"]; ok {
		return msg
	}
	for _, k := range []string{"before", "after"} {
		if msg, ok := errs[k]; ok {
			return i18n.Tf(ctx, "audit.error.page_link", i18n.D{"Message": msg})
		}
	}
	return i18n.T(ctx, "audit.error.summary")
}
