package server

import (
	"errors"
	"fmt"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/store"
)

// resolveSubscription settles a register whose outcome was unknown, after
// an operator looked on the gateway: "registered" with the serverId found
// there (the subscription is kept alive from now on), or "not-registered".
func (s *Server) resolveSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if sub.State != domain.SubUnknown {
		return badRequest("Only a subscription whose register got no answer (state unknown) can be settled; this one is " + string(sub.State) + ".")
	}
	serverID, reason, msg := "", "", ""
	u, _ := currentUser(r)
	switch r.PostForm.Get("outcome") {
	case "registered":
		serverID = r.PostForm.Get("serverId")
		if msg = form.CheckServerID(serverID); msg == "" && len(r.PostForm["serverId"]) > 1 {
			msg = "This field was sent more than once; send it once."
		}
		reason = fmt.Sprintf("%s found it on the gateway as serverId %s", u.Username, serverID)
	case "not-registered":
		reason = u.Username + " found no such subscription on the gateway"
	default:
		return badRequest("Say whether the gateway has the subscription (outcome registered or not-registered).")
	}
	if msg != "" {
		return s.renderResolveError(w, r, sub, msg)
	}
	err = s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		e := subscriptionTarget(domain.AuditSubResolve, sub)
		e.Diff = changes(map[string]any{"state": string(sub.State), "serverId": ""},
			map[string]any{"state": resolvedState(serverID), "serverId": serverID})
		return e, tx.ResolveUnknown(r.Context(), sub.ID, serverID, reason, u.Username)
	})
	if errors.Is(err, domain.ErrConflict) {
		return s.renderResolveError(w, r, sub, "Another subscription of this gateway already has this serverId, or this one was settled meanwhile.")
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", "Settled: "+reason+".", subPath(sub.ID))
}

func resolvedState(serverID string) string {
	if serverID == "" {
		return string(domain.SubCancelled)
	}
	return string(domain.SubActive)
}

func (s *Server) renderResolveError(w http.ResponseWriter, r *http.Request, sub domain.Subscription, msg string) error {
	m := form.Modify{Errors: form.Errors{}, ReceiverKey: newReceiverKey()}
	return s.renderSubscriptionWith(w, r, http.StatusUnprocessableEntity, sub, m, "", msg)
}
