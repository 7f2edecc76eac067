package server

import (
	"errors"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
)

// ResolveSubscription is POST /subscriptions/{id}/resolve: it settles a
// register whose outcome was unknown, after an operator looked on the
// gateway: "registered" with the serverId found there (the subscription is
// kept alive from now on), or "not-registered".
func (s *Server) ResolveSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	if sub.State != domain.SubUnknown {
		return httpkit.BadRequest("Only a subscription whose register got no answer (state unknown) can be settled; this one is " + string(sub.State) + ".")
	}
	serverID := ""
	switch r.PostForm.Get("outcome") {
	case "registered":
		serverID = r.PostForm.Get("serverId")
		msg := form.CheckServerID(serverID)
		if msg == "" && len(r.PostForm["serverId"]) > 1 {
			msg = "This field was sent more than once; send it once."
		}
		if msg != "" {
			return s.renderResolveError(w, r, sub, msg)
		}
	case "not-registered":
	default:
		return httpkit.BadRequest("Say whether the gateway has the subscription (outcome registered or not-registered).")
	}
	reason, err := s.subs.Settle(r.Context(), httpkit.Actor(r), sub, serverID)
	if errors.Is(err, domain.ErrConflict) {
		return s.renderResolveError(w, r, sub, "Another subscription of this gateway already has this serverId, or this one was settled meanwhile.")
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", "Settled: "+reason+".", subPath(sub.ID))
}

func (s *Server) renderResolveError(w http.ResponseWriter, r *http.Request, sub domain.Subscription, msg string) error {
	m := form.Modify{Errors: form.Errors{}, ReceiverKey: domain.NewReceiverKey()}
	return s.renderSubscriptionWith(w, r, http.StatusUnprocessableEntity, sub, m, "", msg)
}
