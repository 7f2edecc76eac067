package server

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/web/auditlog"
)

// recentAudit is how many entries the History section of a gateway or
// subscription page shows; the full trail is one link away.
const recentAuditLimit = 20

func (s *Server) auditList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	fv, filter, errs := parseAuditFilter(q)
	page, perr := parsePage(q, "entries")
	if perr != "" {
		errs["page"] = perr
	}
	u, _ := currentUser(r)
	props := auditlog.ListProps{
		Shell: s.page(w, r, "Audit trail", "audit"), Filters: fv, Errors: errs,
		Actions: domain.AuditActions, TargetTypes: domain.AuditTargetTypes,
		Links: auditLinks(u), CanVerify: u.Role == domain.RoleAdmin,
	}
	if len(errs) > 0 {
		props.Shell.Flash = flashError(auditErrorSummary(errs))
		return s.render(w, r, http.StatusBadRequest, auditlog.List(props))
	}
	res, err := s.store.ListAudit(r.Context(), filter, page)
	if err != nil {
		return err
	}
	props.Entries = res.Entries
	base := auditFilterQuery(fv)
	props.ExportQuery = encodeQuery(base)
	if res.Older != nil {
		props.OlderURL = pageURL("/audit", base, "before", *res.Older)
	}
	if res.Newer != nil {
		props.NewerURL = pageURL("/audit", base, "after", *res.Newer)
	}
	if page.Before != nil || page.After != nil {
		props.NewestURL = "/audit" + encodeQuery(base)
	}
	return s.render(w, r, http.StatusOK, auditlog.List(props))
}

func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := s.store.VerifyAuditChain(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, auditlog.Verify(auditlog.VerifyProps{
		Shell: s.page(w, r, "Verify the audit trail", "audit"), Result: v}))
}

// recentAudit is the History section for one target; it is empty (and
// not rendered) for a viewer whose role may not read the audit trail.
func (s *Server) recentAudit(r *http.Request, targetType string, id int64) (auditlog.Recent, error) {
	u, _ := currentUser(r)
	if u.Role != domain.RoleAdmin && u.Role != domain.RoleAuditor {
		return auditlog.Recent{}, nil
	}
	f := domain.AuditFilter{TargetType: targetType, TargetID: idString(id)}
	res, err := s.store.ListAudit(r.Context(), f, domain.PageRequest{Limit: recentAuditLimit})
	if err != nil {
		return auditlog.Recent{}, err
	}
	more := "/audit" + encodeQuery(url.Values{"target_type": {targetType}, "target_id": {idString(id)}})
	return auditlog.Recent{Entries: res.Entries, MoreURL: more, Links: auditLinks(u)}, nil
}

// auditLinks: gateway and user pages are for admins only, so only they
// get links to them; subscription pages are open to every role.
func auditLinks(u domain.User) auditlog.Links {
	admin := u.Role == domain.RoleAdmin
	return auditlog.Links{Gateways: admin, Users: admin}
}

// parseAuditFilter reads the filters from the URL. Every problem is a
// field error with a specific message; nothing reaches the database then.
func parseAuditFilter(q url.Values) (auditlog.FilterValues, domain.AuditFilter, map[string]string) {
	fv := auditlog.FilterValues{
		Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"), TargetType: q.Get("target_type"),
		TargetID: strings.TrimSpace(q.Get("target_id")), From: q.Get("from"), To: q.Get("to"),
	}
	errs := map[string]string{}
	for _, name := range []string{"actor", "action", "target_type", "target_id", "from", "to", "before", "after"} {
		if len(q[name]) > 1 {
			errs[name] = "This filter was given more than once; give it once."
		}
	}
	f := domain.AuditFilter{Actor: fv.Actor, TargetID: fv.TargetID}
	for name, v := range map[string]string{"actor": fv.Actor, "target_id": fv.TargetID} {
		if _, dup := errs[name]; !dup && !plainFilterText(v) {
			errs[name] = "At most 200 characters, without control or invisible characters."
		}
	}
	if fv.Action != "" {
		if f.Action = domain.AuditAction(fv.Action); !f.Action.Valid() {
			errs["action"] = "Choose an action from the list."
		}
	}
	if fv.TargetType != "" {
		f.TargetType = fv.TargetType
		if !validTargetType(fv.TargetType) {
			errs["target_type"] = "Choose a target type from the list."
		}
	}
	if fv.TargetID != "" && fv.TargetType == "" {
		errs["target_id"] = "Choose a target type too: an id alone does not say what it identifies."
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

// plainFilterText refuses what cannot be a user name or an id typed by a
// person: overlong text, invalid UTF-8, control and invisible characters.
func plainFilterText(v string) bool {
	if utf8.RuneCountInString(v) > maxFilterLen || !utf8.ValidString(v) {
		return false
	}
	return !strings.ContainsFunc(v, func(c rune) bool {
		return isControl(c) || c >= 0x80 && c <= 0x9f || invisible(c)
	})
}

// invisible are format characters that make two different strings look
// the same (zero-width, direction overrides, BOM).
func invisible(c rune) bool {
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

// auditErrorSummary is the flash shown above a refused filter form: the
// page link's problem, or a pointer to the fields marked.
func auditErrorSummary(errs map[string]string) string {
	if msg, ok := errs["page"]; ok {
		return msg
	}
	for _, k := range []string{"before", "after"} {
		if msg, ok := errs[k]; ok {
			return "Page link: " + msg
		}
	}
	return "These filters cannot be used; correct the fields marked below."
}

func auditFilterQuery(fv auditlog.FilterValues) url.Values {
	return nonEmpty(map[string]string{"actor": fv.Actor, "action": fv.Action, "target_type": fv.TargetType,
		"target_id": fv.TargetID, "from": fv.From, "to": fv.To})
}
