package server

import (
	"errors"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
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
	ctx := r.Context()
	if sub.State != domain.SubUnknown {
		return httpkit.BadRequest(i18n.Tf(ctx, "subscriptions.resolve.not_unknown", i18n.D{"State": string(sub.State)}))
	}
	serverID := ""
	switch r.PostForm.Get("outcome") {
	case "registered":
		serverID = r.PostForm.Get("serverId")
		msg := form.CheckServerID(ctx, serverID)
		if msg == "" && len(r.PostForm["serverId"]) > 1 {
			msg = i18n.T(ctx, "form.duplicated")
		}
		if msg != "" {
			return s.renderResolveError(w, r, sub, msg)
		}
	case "not-registered":
	default:
		return httpkit.BadRequest(i18n.T(ctx, "subscriptions.resolve.no_outcome"))
	}
	_, err = s.subs.Settle(ctx, httpkit.Actor(r), sub, serverID)
	if errors.Is(err, domain.ErrConflict) {
		return s.renderResolveError(w, r, sub, i18n.T(ctx, "subscriptions.resolve.conflict"))
	}
	if err != nil {
		return err
	}
	msg := i18n.T(ctx, "subscriptions.flash.settled_absent")
	if serverID != "" {
		msg = i18n.Tf(ctx, "subscriptions.flash.settled_found", i18n.D{"ServerID": serverID})
	}
	return s.flash(w, r, "ok", msg, subPath(sub.ID))
}

func (s *Server) renderResolveError(w http.ResponseWriter, r *http.Request, sub domain.Subscription, msg string) error {
	m := form.Modify{Errors: form.Errors{}, ReceiverKey: domain.NewReceiverKey()}
	return s.renderSubscriptionWith(w, r, http.StatusUnprocessableEntity, sub, m, "", msg)
}
