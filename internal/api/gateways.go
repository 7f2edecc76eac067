package api

import (
	"ccsub/web/jsonview"
	"errors"
	"net/http"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/gateways"
	"ccsub/internal/httpkit"
)

// ListGateways is GET /api/v1/gateways.
func (a *API) ListGateways(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r); err != nil {
		return err
	}
	gws, err := a.store.ListGateways(r.Context())
	if err != nil {
		return err
	}
	out := make([]jsonview.Gateway, len(gws))
	for i, g := range gws {
		out[i] = jsonview.GatewayOf(g)
	}
	a.writeJSON(w, http.StatusOK, map[string]any{"gateways": out})
	return nil
}

// Gateway is GET /api/v1/gateways/{id}.
func (a *API) Gateway(w http.ResponseWriter, r *http.Request) error {
	g, err := httpkit.Load(r, a.store.CurrentGateway)
	if err != nil {
		return err
	}
	a.writeJSON(w, http.StatusOK, jsonview.GatewayOf(g))
	return nil
}

// gatewayBody is the body of create and update. The password is
// write-only: it is never returned. On update, a field left out keeps its
// stored value; disabled is for update only.
type gatewayBody struct {
	Name     *string `json:"name"`
	BaseURL  *string `json:"baseUrl"`
	AgentID  *int64  `json:"agentId"`
	Password *string `json:"password"`
	CAPEM    *string `json:"caPem"`
	Disabled *bool   `json:"disabled"`
}

// settings reports whether the body changes any setting but disabled.
func (b gatewayBody) settings() bool {
	return b.Name != nil || b.BaseURL != nil || b.AgentID != nil || b.Password != nil || b.CAPEM != nil
}

// form fills the gateway form from the body over the stored values, so
// the API applies exactly the form's rules.
func (b gatewayBody) form(old domain.Gateway) form.Gateway {
	f := form.Gateway{Name: old.Name, BaseURL: old.BaseURL, CAPEM: old.CAPEM, Editing: old.ID != 0, Errors: form.Errors{}}
	if old.AgentID != 0 {
		f.AgentID = strconv.FormatInt(old.AgentID, 10)
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&f.Name, b.Name)
	set(&f.BaseURL, b.BaseURL)
	set(&f.Password, b.Password)
	set(&f.CAPEM, b.CAPEM)
	if b.AgentID != nil {
		f.AgentID = strconv.FormatInt(*b.AgentID, 10)
	}
	f.Normalize()
	return f
}

// CreateGateway is POST /api/v1/gateways.
func (a *API) CreateGateway(w http.ResponseWriter, r *http.Request) error {
	var b gatewayBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Disabled != nil {
		return httpkit.Invalid(form.Errors{"disabled": "A new gateway starts enabled: disable it with PATCH once it exists."})
	}
	g, err := a.saveGateway(r, domain.Gateway{}, b)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/gateways/"+strconv.FormatInt(g.ID, 10))
	a.writeJSON(w, http.StatusCreated, jsonview.GatewayOf(g))
	return nil
}

// UpdateGateway is PATCH /api/v1/gateways/{id}.
func (a *API) UpdateGateway(w http.ResponseWriter, r *http.Request) error {
	old, err := httpkit.Load(r, a.store.CurrentGateway)
	if err != nil {
		return err
	}
	var b gatewayBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	// The settings are checked before disabled is applied, so a body
	// refused for its fields changes nothing; a refused disable (409)
	// comes before the settings are saved.
	if f := b.form(old); b.settings() && !f.Validate(r.Context()) {
		return httpkit.Invalid(f.Errors)
	}
	g := old
	if b.Disabled != nil {
		if g, err = a.gws.SetDisabled(r.Context(), httpkit.Actor(r), old.ID, *b.Disabled); err != nil {
			return err
		}
	}
	if b.settings() {
		if g, err = a.saveGateway(r, g, b); err != nil {
			return err
		}
	}
	a.writeJSON(w, http.StatusOK, jsonview.GatewayOf(g))
	return nil
}

// RemoveGateway is DELETE /api/v1/gateways/{id}: 204, or 409 naming the
// live subscriptions that depend on it.
func (a *API) RemoveGateway(w http.ResponseWriter, r *http.Request) error {
	g, err := httpkit.Load(r, a.store.CurrentGateway)
	if err != nil {
		return err
	}
	if _, err := a.gws.Remove(r.Context(), httpkit.Actor(r), g.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// saveGateway validates with the form's rules and saves; old.ID == 0
// creates.
func (a *API) saveGateway(r *http.Request, old domain.Gateway, b gatewayBody) (domain.Gateway, error) {
	f := b.form(old)
	if !f.Validate(r.Context()) {
		return domain.Gateway{}, httpkit.Invalid(f.Errors)
	}
	var (
		g   domain.Gateway
		err error
	)
	if old.ID == 0 {
		g, err = a.gws.Create(r.Context(), httpkit.Actor(r), gatewayInput(f))
	} else {
		g, err = a.gws.Update(r.Context(), httpkit.Actor(r), old.ID, gatewayInput(f))
	}
	if errors.Is(err, gateways.ErrNameTaken) {
		return domain.Gateway{}, httpkit.Invalid(form.Errors{"name": form.NameTaken(r.Context())})
	}
	return g, err
}

func gatewayInput(f form.Gateway) gateways.Input {
	return gateways.Input{Name: f.Name, BaseURL: f.BaseURL, AgentID: f.Agent, Password: f.Password, CAPEM: f.CAPEM}
}
