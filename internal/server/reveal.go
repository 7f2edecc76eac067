package server

import (
	"errors"
	"fmt"
	"net/http"

	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/subscribe"
	"ccsub/web/reveal"
)

// Secrets are shown to an admin once, in answer to a POST (so never in a
// URL, a link or a browser history entry), on a page that is never cached
// and never sent as a Referer. The actions audit every reveal.

// RevealGatewayPassword is POST /gateways/{id}/reveal.
func (s *Server) RevealGatewayPassword(w http.ResponseWriter, r *http.Request) error {
	g, err := httpkit.Load(r, s.store.CurrentGateway)
	if err != nil {
		return err
	}
	plain, err := s.gws.RevealPassword(r.Context(), httpkit.Actor(r), g)
	if err != nil {
		return err
	}
	return s.showSecret(w, r, reveal.Props{What: i18n.T(r.Context(), "reveal.gateway_password"), Of: g.Name, Back: fmt.Sprintf("/gateways/%d", g.ID), Secret: plain})
}

// RevealSubscriptionToken is POST /subscriptions/{id}/reveal-token.
func (s *Server) RevealSubscriptionToken(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	plain, err := s.subs.RevealToken(r.Context(), httpkit.Actor(r), sub)
	if errors.Is(err, subscribe.ErrNoToken) {
		return httpkit.Fail(http.StatusConflict, i18n.T(r.Context(), "reveal.no_token"))
	}
	if err != nil {
		return err
	}
	name := sub.ServerID
	if name == "" {
		name = "#" + idString(sub.ID)
	}
	return s.showSecret(w, r, reveal.Props{What: i18n.T(r.Context(), "reveal.service_token"), Of: name, Back: fmt.Sprintf("/subscriptions/%d", sub.ID), Secret: plain})
}

func (s *Server) showSecret(w http.ResponseWriter, r *http.Request, p reveal.Props) error {
	p.Shell = s.shell(r, p.What, "")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, http.StatusOK, reveal.Page(p))
}
