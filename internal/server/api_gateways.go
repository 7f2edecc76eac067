package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
)

func (s *Server) apiListGateways(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	gws, err := s.store.ListGateways(r.Context())
	if err != nil {
		return err
	}
	out := make([]gatewayJSON, len(gws))
	for i, g := range gws {
		out[i] = gatewayView(g)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"gateways": out})
	return nil
}

func (s *Server) apiGateway(w http.ResponseWriter, r *http.Request) error {
	g, err := s.pathGateway(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, gatewayView(g))
	return nil
}

// gatewayInput is the body of create and update. The password is
// write-only: it is never returned. On update, a field left out keeps its
// stored value.
type gatewayInput struct {
	Name     *string `json:"name"`
	BaseURL  *string `json:"baseUrl"`
	AgentID  *int64  `json:"agentId"`
	Password *string `json:"password"`
	CAPEM    *string `json:"caPem"`
}

// values maps the body onto the gateway form's fields, so the API applies
// exactly the form's rules; fields left out take the stored values.
func (in gatewayInput) values(old domain.Gateway) url.Values {
	v := url.Values{"name": {old.Name}, "baseUrl": {old.BaseURL}, "caPem": {old.CAPEM}}
	if old.AgentID != 0 {
		v.Set("agentId", strconv.FormatInt(old.AgentID, 10))
	}
	set := func(k string, p *string) {
		if p != nil {
			v.Set(k, *p)
		}
	}
	set("name", in.Name)
	set("baseUrl", in.BaseURL)
	set("password", in.Password)
	set("caPem", in.CAPEM)
	if in.AgentID != nil {
		v.Set("agentId", strconv.FormatInt(*in.AgentID, 10))
	}
	return v
}

func (s *Server) apiCreateGateway(w http.ResponseWriter, r *http.Request) error {
	var in gatewayInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.saveGatewayJSON(r, domain.Gateway{}, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/gateways/"+idString(g.ID))
	s.writeJSON(w, http.StatusCreated, gatewayView(g))
	return nil
}

func (s *Server) apiUpdateGateway(w http.ResponseWriter, r *http.Request) error {
	old, err := s.pathGateway(r)
	if err != nil {
		return err
	}
	var in gatewayInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.saveGatewayJSON(r, old, in)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, gatewayView(g))
	return nil
}

// saveGatewayJSON validates with the form's rules, seals the password,
// saves and audits; old.ID == 0 creates.
func (s *Server) saveGatewayJSON(r *http.Request, old domain.Gateway, in gatewayInput) (domain.Gateway, error) {
	f := form.ParseGateway(in.values(old), old.ID != 0)
	if !f.Validate() {
		return domain.Gateway{}, invalid(f.Errors)
	}
	gi := domain.GatewayInput{Name: f.Name, BaseURL: f.BaseURL, AgentID: f.Agent, CAPEM: f.CAPEM}
	if f.Password != "" {
		sealed, err := s.keys.Seal([]byte(f.Password), subscribe.PurposeGatewayPassword)
		if err != nil {
			return domain.Gateway{}, err
		}
		gi.PasswordSealed = sealed
	}
	var before *domain.Gateway
	if old.ID != 0 {
		before = &old
	}
	var g domain.Gateway
	err := s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if old.ID == 0 {
			g, err = tx.CreateGateway(r.Context(), gi)
		} else {
			g, err = tx.UpdateGateway(r.Context(), old.ID, gi)
		}
		return GatewaySaved(before, g, f.Password != ""), err
	})
	if errors.Is(err, domain.ErrConflict) {
		return domain.Gateway{}, invalid(form.Errors{"name": "Another gateway already has this name. Choose a different one."})
	}
	if err != nil {
		return domain.Gateway{}, err
	}
	s.svc.Forget(g.ID)
	return g, nil
}

// invalid is the 422 answer for input that breaks a form rule.
func invalid(errs form.Errors) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msg: "Nothing was done: correct the fields named in errors.", fields: errs}
}

// onlyParams refuses query parameters other than the allowed ones, and
// any sent twice, so a misspelt or repeated filter is an error instead of
// being silently ignored.
func onlyParams(r *http.Request, allowed ...string) error {
	for k, vs := range r.URL.Query() {
		shown := clip(k, 64)
		switch {
		case !slices.Contains(allowed, k):
			return &apiError{status: http.StatusBadRequest, msg: "Unknown query parameter \"" + shown + "\".",
				fields: map[string]string{shown: "Unknown parameter; names are case-sensitive."}}
		case len(vs) > 1:
			return &apiError{status: http.StatusBadRequest, msg: "Query parameter \"" + shown + "\" was sent more than once.",
				fields: map[string]string{shown: "Sent more than once; send it once."}}
		}
	}
	return nil
}
