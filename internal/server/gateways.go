package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/gateways"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/subscribe"
	gatewayviews "ccsub/web/gateways"
	"ccsub/web/view"
)

// ListGateways is GET /gateways.
func (s *Server) ListGateways(w http.ResponseWriter, r *http.Request) error {
	gws, err := s.store.ListGateways(r.Context())
	if err != nil {
		return err
	}
	u, _ := currentUser(r)
	return s.render(w, r, http.StatusOK, gatewayviews.List(gatewayviews.ListProps{
		Shell: s.page(w, r, i18n.T(r.Context(), "gateways.title"), "gateways"), Gateways: gws, CanEdit: u.Role == domain.RoleAdmin,
		CanTest: u.Role == domain.RoleAdmin || u.Role == domain.RoleOperator,
	}))
}

// NewGateway is GET /gateways/new.
func (s *Server) NewGateway(w http.ResponseWriter, r *http.Request) error {
	return s.renderGatewayForm(w, r, http.StatusOK, 0, form.Gateway{Errors: form.Errors{}})
}

// EditGateway is GET /gateways/{id}.
func (s *Server) EditGateway(w http.ResponseWriter, r *http.Request) error {
	g, err := httpkit.Load(r, s.store.CurrentGateway)
	if err != nil {
		return err
	}
	f := form.Gateway{Name: g.Name, BaseURL: g.BaseURL, AgentID: strconv.FormatInt(g.AgentID, 10), CAPEM: g.CAPEM, Editing: true, Errors: form.Errors{}}
	return s.renderGatewayForm(w, r, http.StatusOK, g.ID, f)
}

// renderGatewayForm shows the add (id 0) or edit page; refusal, when it is
// a *domain.GatewayInUse, is said at the top.
func (s *Server) renderGatewayForm(w http.ResponseWriter, r *http.Request, status int, id int64, f form.Gateway, refusal ...error) error {
	f.Password = "" // never echoed
	action := "/gateways"
	title := i18n.T(r.Context(), "gateways.add")
	if id != 0 {
		action, title = fmt.Sprintf("/gateways/%d", id), i18n.T(r.Context(), "gateways.edit_title")
	}
	p := gatewayviews.FormProps{Shell: s.page(w, r, title, "gateways"), ID: id, Form: f, Action: action}
	if id != 0 {
		g, err := s.store.CurrentGateway(r.Context(), id)
		if err != nil {
			return err
		}
		p.Refused, p.Disabled = g.LoginRefused, g.Disabled
		if p.Dependents, p.MoreDependents, p.PendingRegisters, err = s.store.GatewayDependents(r.Context(), id, 20); err != nil {
			return err
		}
		var inUse *domain.GatewayInUse
		if errors.As(errors.Join(refusal...), &inUse) {
			p.Shell.Flash = flashError(inUseMessage(r, inUse))
		}
		if p.History, err = s.recentAudit(r, domain.TargetGateway, id); err != nil {
			return err
		}
	}
	return s.render(w, r, status, gatewayviews.Form(p))
}

// CreateGateway is POST /gateways.
func (s *Server) CreateGateway(w http.ResponseWriter, r *http.Request) error {
	return s.saveGateway(w, r, 0)
}

// UpdateGateway is POST /gateways/{id}.
func (s *Server) UpdateGateway(w http.ResponseWriter, r *http.Request) error {
	g, err := httpkit.Load(r, s.store.CurrentGateway)
	if err != nil {
		return err
	}
	return s.saveGateway(w, r, g.ID)
}

// saveGateway validates and saves (id 0 adds); a duplicate name is a
// field error.
func (s *Server) saveGateway(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	f := form.ParseGateway(r.Context(), r.PostForm, id != 0)
	if !f.Validate(r.Context()) {
		return s.renderGatewayForm(w, r, http.StatusUnprocessableEntity, id, f)
	}
	in := gateways.Input{Name: f.Name, BaseURL: f.BaseURL, AgentID: f.Agent, Password: f.Password, CAPEM: f.CAPEM}
	var (
		g   domain.Gateway
		err error
	)
	if id == 0 {
		g, err = s.gws.Create(r.Context(), httpkit.Actor(r), in)
	} else {
		g, err = s.gws.Update(r.Context(), httpkit.Actor(r), id, in)
	}
	if errors.Is(err, gateways.ErrNameTaken) {
		f.Errors.Add("name", form.NameTaken(r.Context()))
		return s.renderGatewayForm(w, r, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	s.forgetGatewayNames()
	return s.flash(w, r, "ok", i18n.Tf(r.Context(), "gateways.flash.saved", i18n.D{"Name": g.Name}), "/gateways")
}

// TestGateway is POST /gateways/{id}/test.
func (s *Server) TestGateway(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.PathID(r)
	if err != nil {
		return err
	}
	call, err := s.subs.TestGateway(r.Context(), httpkit.Actor(r), id)
	if domain.CallFailed(call, err) {
		return err
	}
	ctx := r.Context()
	msg := i18n.Tf(ctx, "gateways.flash.test", i18n.D{"Name": call.GatewayName, "Outcome": view.OutcomeLabelIn(ctx, call.Outcome)})
	switch {
	case call.Outcome == domain.OutcomeSuccess:
		msg += " " + i18n.T(ctx, "gateways.flash.accepted_login")
	case call.Attempts == 0 && call.Outcome == domain.OutcomeRejected && call.Message != "":
		// A remembered refusal: nothing was sent, and the message says why.
		msg += " " + strings.ToUpper(call.Message[:1]) + call.Message[1:] + "."
	case call.Retcode != "":
		msg += " " + i18n.Tf(ctx, "gateways.flash.answered", i18n.D{"Retcode": call.Retcode, "Meaning": view.Meaning(ctx, call.Retcode)})
	case call.Error != "":
		msg += " " + call.Error
	}
	return s.flash(w, r, flashKind(call.Outcome), msg, "/gateways")
}

// RetryGatewayLogin is POST /gateways/{id}/retry-login: an administrator's
// one login with the password the gateway refused before.
func (s *Server) RetryGatewayLogin(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.PathID(r)
	if err != nil {
		return err
	}
	call, err := s.subs.RetryLogin(r.Context(), httpkit.Actor(r), id)
	switch {
	case errors.Is(err, subscribe.ErrNotRefused):
		return s.flash(w, r, "ok", i18n.T(r.Context(), "gateways.flash.not_refused"), "/gateways")
	case errors.Is(err, subscribe.ErrRetryInProgress):
		return s.flash(w, r, "error", i18n.T(r.Context(), "gateways.flash.retry_waiting"), "/gateways")
	case domain.CallFailed(call, err):
		return err
	}
	ctx := r.Context()
	msg := i18n.Tf(ctx, "gateways.flash.retry", i18n.D{"Name": call.GatewayName, "Outcome": view.OutcomeLabelIn(ctx, call.Outcome)})
	switch {
	case call.Outcome == domain.OutcomeSuccess:
		msg += " " + i18n.T(ctx, "gateways.flash.retry_accepted")
	case call.Retcode != "":
		msg += " " + i18n.Tf(ctx, "gateways.flash.answered", i18n.D{"Retcode": call.Retcode, "Meaning": view.Meaning(ctx, call.Retcode)})
	case call.Error != "":
		msg += " " + i18n.Tf(ctx, "gateways.flash.retry_not_judged", i18n.D{"Error": call.Error})
	}
	return s.flash(w, r, flashKind(call.Outcome), msg, "/gateways")
}

// DisableGateway is POST /gateways/{id}/disable.
func (s *Server) DisableGateway(w http.ResponseWriter, r *http.Request) error {
	return s.changeGateway(w, r, "gateways.flash.disabled", func(id int64) (domain.Gateway, error) {
		return s.gws.SetDisabled(r.Context(), httpkit.Actor(r), id, true)
	})
}

// EnableGateway is POST /gateways/{id}/enable.
func (s *Server) EnableGateway(w http.ResponseWriter, r *http.Request) error {
	return s.changeGateway(w, r, "gateways.flash.enabled", func(id int64) (domain.Gateway, error) {
		return s.gws.SetDisabled(r.Context(), httpkit.Actor(r), id, false)
	})
}

// RemoveGateway is POST /gateways/{id}/remove.
func (s *Server) RemoveGateway(w http.ResponseWriter, r *http.Request) error {
	return s.changeGateway(w, r, "gateways.flash.removed", func(id int64) (domain.Gateway, error) {
		return s.gws.Remove(r.Context(), httpkit.Actor(r), id)
	})
}

// changeGateway runs one of the changes above and says what became of the
// gateway (the message done, which has the gateway's {{.Name}}); a refusal because subscriptions depend on it comes back on the
// gateway's page, with them listed.
func (s *Server) changeGateway(w http.ResponseWriter, r *http.Request, done string, change func(id int64) (domain.Gateway, error)) error {
	old, err := httpkit.Load(r, s.store.CurrentGateway)
	if err != nil {
		return err
	}
	g, err := change(old.ID)
	if inUse := (*domain.GatewayInUse)(nil); errors.As(err, &inUse) {
		f := form.Gateway{Name: old.Name, BaseURL: old.BaseURL, AgentID: strconv.FormatInt(old.AgentID, 10), CAPEM: old.CAPEM,
			Editing: true, Errors: form.Errors{}}
		return s.renderGatewayForm(w, r, http.StatusConflict, old.ID, f, err)
	}
	if err != nil {
		return err
	}
	s.forgetGatewayNames() // a removed gateway leaves the history's filter now, not in 10 s
	return s.flash(w, r, "ok", i18n.Tf(r.Context(), done, i18n.D{"Name": g.Name}), "/gateways")
}

// inUseMessage says, in the request's language, why the gateway cannot be
// disabled or removed (inUse.Error() is the English of the API and logs).
func inUseMessage(r *http.Request, inUse *domain.GatewayInUse) string {
	ctx := r.Context()
	var why []string
	if n := len(inUse.Dependents) + inUse.More; n > 0 {
		labels := make([]string, len(inUse.Dependents))
		for i, d := range inUse.Dependents {
			labels[i] = d.Label()
		}
		list := strings.Join(labels, i18n.T(ctx, "gateways.in_use.list_separator"))
		if inUse.More > 0 {
			list = i18n.Tf(ctx, "gateways.in_use.and_more", i18n.D{"List": list, "N": i18n.Number(ctx, int64(inUse.More))})
		}
		why = append(why, i18n.Tf(ctx, "gateways.in_use.subscriptions", i18n.D{"Count": n, "N": i18n.Number(ctx, int64(n)), "List": list}))
	}
	if inUse.PendingCalls > 0 {
		why = append(why, i18n.Tf(ctx, "gateways.in_use.pending", i18n.D{"Count": inUse.PendingCalls, "N": i18n.Number(ctx, int64(inUse.PendingCalls))}))
	}
	reasons := strings.Join(why, i18n.T(ctx, "gateways.in_use.reason_separator"))
	if inUse.Action == "removed" {
		return i18n.Tf(ctx, "gateways.in_use.cannot_remove", i18n.D{"Name": inUse.Gateway, "Why": reasons})
	}
	return i18n.Tf(ctx, "gateways.in_use.cannot_disable", i18n.D{"Name": inUse.Gateway, "Why": reasons})
}
