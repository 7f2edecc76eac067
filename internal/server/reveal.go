package server

import (
	"fmt"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/subscribe"
	"ccsub/web/reveal"
)

// revealGatewayPassword shows a gateway's password once, to an admin, in
// answer to a POST (so it is never in a URL, a link or a browser history
// entry), on a page that is never cached. Every reveal is audited.
func (s *Server) revealGatewayPassword(w http.ResponseWriter, r *http.Request) error {
	g, err := s.pathGateway(r)
	if err != nil {
		return err
	}
	entry := domain.AuditEntry{Action: domain.AuditSecretReveal, TargetType: domain.TargetGateway, TargetID: idString(g.ID),
		TargetName: g.Name, Diff: revealedField("password")}
	return s.revealSealed(w, r, entry, g.PasswordSealed, subscribe.PurposeGatewayPassword,
		reveal.Props{What: "Gateway password", Of: g.Name, Back: fmt.Sprintf("/gateways/%d", g.ID)})
}

// revealSubscriptionToken shows a subscription's service token once; see
// revealGatewayPassword.
func (s *Server) revealSubscriptionToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sub, err := s.store.Subscription(r.Context(), id)
	if err != nil {
		return err
	}
	if len(sub.TokenSealed) == 0 {
		return &userError{status: http.StatusConflict, msg: "This subscription was registered without a service token: there is nothing to reveal."}
	}
	name := sub.ServerID
	if name == "" {
		name = "#" + idString(sub.ID)
	}
	entry := domain.AuditEntry{Action: domain.AuditSecretReveal, TargetType: domain.TargetSubscription, TargetID: idString(sub.ID),
		TargetName: name, Diff: revealedField("serviceToken")}
	return s.revealSealed(w, r, entry, sub.TokenSealed, subscribe.PurposeServiceToken,
		reveal.Props{What: "Service token", Of: name, Back: fmt.Sprintf("/subscriptions/%d", sub.ID)})
}

// revealedField names the secret in the audit diff, never its value.
func revealedField(field string) map[string]domain.FieldChange {
	return map[string]domain.FieldChange{field: {After: "[secret revealed]"}}
}

// revealSealed opens the secret, audits the reveal (also when it cannot be
// opened), and renders it with headers that keep it out of every cache and
// out of the Referer of whatever the user opens next.
func (s *Server) revealSealed(w http.ResponseWriter, r *http.Request, entry domain.AuditEntry, sealed []byte, purpose string, p reveal.Props) error {
	plain, err := s.keys.Open(sealed, purpose)
	if err != nil {
		entry.Outcome = "failure"
		s.audit(r, entry)
		return fmt.Errorf("server.revealSealed %s %s: %w", entry.TargetType, entry.TargetID, err)
	}
	s.audit(r, entry)
	p.Shell, p.Secret = s.shell(r, p.What, ""), string(plain)
	clear(plain)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, http.StatusOK, reveal.Page(p))
}
