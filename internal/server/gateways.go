package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
	"ccsub/web/gateways"
	"ccsub/web/view"
)

func (s *Server) listGateways(w http.ResponseWriter, r *http.Request) error {
	gws, err := s.store.ListGateways(r.Context())
	if err != nil {
		return err
	}
	u, _ := currentUser(r)
	return s.render(w, r, http.StatusOK, gateways.List(gateways.ListProps{
		Shell: s.page(w, r, "Gateways", "gateways"), Gateways: gws, CanEdit: u.Role == domain.RoleAdmin,
	}))
}

func (s *Server) newGateway(w http.ResponseWriter, r *http.Request) error {
	return s.renderGatewayForm(w, r, http.StatusOK, 0, form.Gateway{Errors: form.Errors{}})
}

// pathGateway is the gateway named by the {id} in the path.
func (s *Server) pathGateway(r *http.Request) (domain.Gateway, error) {
	id, err := pathID(r)
	if err != nil {
		return domain.Gateway{}, err
	}
	return s.store.Gateway(r.Context(), id)
}

func (s *Server) editGateway(w http.ResponseWriter, r *http.Request) error {
	g, err := s.pathGateway(r)
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
	p := gateways.FormProps{Shell: s.page(w, r, title, "gateways"), ID: id, Form: f, Action: action}
	if id != 0 {
		var err error
		if p.History, err = s.recentAudit(r, domain.TargetGateway, id); err != nil {
			return err
		}
	}
	return s.render(w, r, status, gateways.Form(p))
}

func (s *Server) createGateway(w http.ResponseWriter, r *http.Request) error {
	return s.saveGateway(w, r, nil)
}

func (s *Server) updateGateway(w http.ResponseWriter, r *http.Request) error {
	before, err := s.pathGateway(r)
	if err != nil {
		return err
	}
	return s.saveGateway(w, r, &before)
}

// saveGateway validates, seals the password and saves (before is nil when
// adding); a duplicate name comes back from the database's unique index as
// a field error.
func (s *Server) saveGateway(w http.ResponseWriter, r *http.Request, before *domain.Gateway) error {
	var id int64
	if before != nil {
		id = before.ID
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := form.ParseGateway(r.PostForm, id != 0)
	if !f.Validate() {
		return s.renderGatewayForm(w, r, http.StatusUnprocessableEntity, id, f)
	}
	in := domain.GatewayInput{Name: f.Name, BaseURL: f.BaseURL, AgentID: f.Agent, CAPEM: f.CAPEM}
	if f.Password != "" {
		sealed, err := s.keys.Seal([]byte(f.Password), subscribe.PurposeGatewayPassword)
		if err != nil {
			return err
		}
		in.PasswordSealed = sealed
	}
	var g domain.Gateway
	err := s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if id == 0 {
			g, err = tx.CreateGateway(r.Context(), in)
		} else {
			g, err = tx.UpdateGateway(r.Context(), id, in)
		}
		return GatewaySaved(before, g, in.PasswordSealed != nil), err
	})
	if errors.Is(err, domain.ErrConflict) {
		f.Errors.Add("name", "Another gateway already has this name. Choose a different one.")
		return s.renderGatewayForm(w, r, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	s.svc.Forget(g.ID)
	return s.flash(w, r, "ok", fmt.Sprintf("Gateway %q saved. Use \"Test connection\" to check it.", g.Name), "/gateways")
}

func (s *Server) testGateway(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, _ := currentUser(r)
	call, err := s.svc.TestGateway(r.Context(), u.Username, id)
	if err != nil && call.ID == 0 {
		return err
	}
	s.audit(r, gatewayTested(id, call))
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

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}
