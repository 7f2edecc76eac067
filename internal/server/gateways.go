package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/gateways"
	"ccsub/internal/httpkit"
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
		Shell: s.page(w, r, "Gateways", "gateways"), Gateways: gws, CanEdit: u.Role == domain.RoleAdmin,
	}))
}

// NewGateway is GET /gateways/new.
func (s *Server) NewGateway(w http.ResponseWriter, r *http.Request) error {
	return s.renderGatewayForm(w, r, http.StatusOK, 0, form.Gateway{Errors: form.Errors{}})
}

// EditGateway is GET /gateways/{id}.
func (s *Server) EditGateway(w http.ResponseWriter, r *http.Request) error {
	g, err := httpkit.Load(r, s.store.Gateway)
	if err != nil {
		return err
	}
	f := form.Gateway{Name: g.Name, BaseURL: g.BaseURL, AgentID: strconv.FormatInt(g.AgentID, 10), CAPEM: g.CAPEM, Editing: true, Errors: form.Errors{}}
	return s.renderGatewayForm(w, r, http.StatusOK, g.ID, f)
}

func (s *Server) renderGatewayForm(w http.ResponseWriter, r *http.Request, status int, id int64, f form.Gateway) error {
	f.Password = "" // never echoed
	action := "/gateways"
	title := "Add a gateway"
	if id != 0 {
		action, title = fmt.Sprintf("/gateways/%d", id), "Edit gateway"
	}
	p := gatewayviews.FormProps{Shell: s.page(w, r, title, "gateways"), ID: id, Form: f, Action: action}
	if id != 0 {
		var err error
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
	g, err := httpkit.Load(r, s.store.Gateway)
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
	f := form.ParseGateway(r.PostForm, id != 0)
	if !f.Validate() {
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
		f.Errors.Add("name", form.NameTaken)
		return s.renderGatewayForm(w, r, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", fmt.Sprintf("Gateway %q saved. Use \"Test connection\" to check it.", g.Name), "/gateways")
}

// TestGateway is POST /gateways/{id}/test.
func (s *Server) TestGateway(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.PathID(r)
	if err != nil {
		return err
	}
	call, err := s.subs.TestGateway(r.Context(), httpkit.Actor(r), id)
	if err != nil && call.ID == 0 {
		return err
	}
	msg := fmt.Sprintf("Connection test of %s: %s.", call.GatewayName, view.OutcomeLabel(call.Outcome))
	switch {
	case call.Outcome == domain.OutcomeSuccess:
		msg += " The gateway accepted the login."
	case call.Retcode != "":
		msg += fmt.Sprintf(" The gateway answered %s (%s).", call.Retcode, view.Meaning(call.Retcode))
	case call.Error != "":
		msg += " " + call.Error
	}
	return s.flash(w, r, flashKind(call.Outcome), msg, "/gateways")
}
