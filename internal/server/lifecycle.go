package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
	"ccsub/web/subscriptions"
)

func (s *Server) subscription(r *http.Request) (domain.Subscription, error) {
	id, err := pathID(r)
	if err != nil {
		return domain.Subscription{}, err
	}
	return s.store.Subscription(r.Context(), id)
}

func (s *Server) subscriptionPage(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	m := form.Modify{ServiceCallBackURI: sub.CallbackURI, NLPFlag: sub.NLPFlag, FlowAccessCode: sub.FlowAccessCode,
		UseReceiver: sub.ReceiverKey != "", ReceiverKey: sub.ReceiverKey, Errors: form.Errors{}}
	if m.ReceiverKey == "" {
		m.ReceiverKey = newReceiverKey()
	}
	return s.renderSubscription(w, r, http.StatusOK, sub, m, "")
}

func (s *Server) renderSubscription(w http.ResponseWriter, r *http.Request, status int, sub domain.Subscription, m form.Modify, replaceErr string) error {
	return s.renderSubscriptionWith(w, r, status, sub, m, replaceErr, "")
}

// renderSubscriptionWith renders the subscription page with the errors of
// whichever of its forms was refused.
func (s *Server) renderSubscriptionWith(w http.ResponseWriter, r *http.Request, status int, sub domain.Subscription, m form.Modify, replaceErr, resolveErr string) error {
	since := time.Now().Add(-24 * time.Hour).Truncate(5 * time.Minute)
	beats, err := s.store.Heartbeats(r.Context(), sub.ID, since)
	if err != nil {
		return err
	}
	token, err := secret.GenerateToken()
	if err != nil {
		return err
	}
	u, _ := currentUser(r)
	p := subscriptions.DetailProps{
		Shell: s.page(w, r, "Subscription "+sub.ServerID, "subscriptions"), Sub: sub, Modify: m,
		ModifyReceiver: form.ReceiverURL(s.public, m.ReceiverKey), SuggestedToken: token, ReplaceKey: newKey(),
		ReplaceError: replaceErr, ResolveError: resolveErr, Interval: s.interval,
		CanOperate: u.Role == domain.RoleAdmin || u.Role == domain.RoleOperator,
	}
	if sub.ReceiverKey != "" {
		p.ReceiverURL = form.ReceiverURL(s.public, sub.ReceiverKey)
	}
	p.Strip, p.Gaps = heartbeatStrip(sub, beats, since, time.Now())
	p.ReplacesServer = s.serverIDOf(r, sub.ReplacesID)
	p.ReplacedServer = s.serverIDOf(r, sub.ReplacedByID)
	if p.History, err = s.recentAudit(r, domain.TargetSubscription, sub.ID); err != nil {
		return err
	}
	return s.render(w, r, status, subscriptions.Detail(p))
}

func (s *Server) serverIDOf(r *http.Request, id *int64) string {
	if id == nil {
		return ""
	}
	sub, err := s.store.Subscription(r.Context(), *id)
	if err != nil {
		return fmt.Sprintf("#%d", *id)
	}
	return sub.ServerID
}

// heartbeatStrip lays the last 24 hours out as 288 five-minute cells. An
// empty cell while the subscription was kept alive is a gap: the platform
// drops a subscription after 5 minutes without a handshake.
func heartbeatStrip(sub domain.Subscription, beats []domain.HeartbeatBucket, since, now time.Time) ([]subscriptions.StripCell, int) {
	byStart := make(map[int64]domain.HeartbeatBucket, len(beats))
	for _, b := range beats {
		byStart[b.Start.Unix()] = b
	}
	aliveUntil := now
	if !sub.KeptAlive() {
		aliveUntil = sub.UpdatedAt
	}
	cells := make([]subscriptions.StripCell, 0, 288)
	gaps := 0
	for t := since; t.Before(now); t = t.Add(5 * time.Minute) {
		b := byStart[t.Unix()]
		c := subscriptions.StripCell{Start: t, OK: b.OK, Fail: b.Failed}
		switch {
		case b.OK > 0 && b.Failed > 0:
			c.Class = "mixed"
		case b.OK > 0:
			c.Class = "ok"
		case b.Failed > 0:
			c.Class = "fail"
		case t.Add(5*time.Minute).After(sub.CreatedAt.Add(5*time.Minute)) && t.Before(aliveUntil.Add(-5*time.Minute)):
			c.Class = "gap"
			gaps++
		default:
			c.Class = "none"
		}
		cells = append(cells, c)
	}
	return cells, gaps
}

func (s *Server) modifySubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	m := form.ParseModify(r.PostForm)
	m.ReceiverBase, m.HasToken = s.public, sub.TokenPresent
	if !m.Validate() {
		return s.renderSubscription(w, r, http.StatusUnprocessableEntity, sub, m, "")
	}
	key := ""
	if m.UseReceiver {
		key = m.ReceiverKey
	}
	u, _ := currentUser(r)
	in := subscribe.ModifyInput{CallbackURI: m.ServiceCallBackURI, NLPFlag: m.NLPFlag, FlowAccessCode: m.FlowAccessCode, ReceiverKey: key}
	call, err := s.svc.Modify(r.Context(), u.Username, sub, in)
	if call.ID != 0 {
		s.audit(r, subscriptionModified(sub, in, call))
	}
	return s.afterCall(w, r, call, err, "Modified", subPath(sub.ID))
}

func (s *Server) cancelPage(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, subscriptions.ConfirmCancel(subscriptions.CancelProps{
		Shell: s.page(w, r, "Cancel "+sub.ServerID, "subscriptions"), Sub: sub}))
}

func (s *Server) cancelSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	// The confirmation names the serverId; a stale or forged form for
	// another subscription cancels nothing.
	if r.PostForm.Get("confirmServerId") != sub.ServerID {
		return badRequest("The confirmation does not name this subscription's serverId; nothing was cancelled. Open the cancel page again.")
	}
	u, _ := currentUser(r)
	call, err := s.svc.Cancel(r.Context(), u.Username, sub, "cancelled by "+u.Username)
	if call.ID != 0 {
		s.audit(r, subscriptionCancelled(sub, s.reloaded(r, sub), call))
	}
	return s.afterCall(w, r, call, err, "Cancelled", subPath(sub.ID))
}

func (s *Server) replaceSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := r.PostForm.Get("serviceToken")
	msg := form.CheckServiceToken(token)
	if token == "" {
		msg = "Enter the new token, or use the generated one."
	}
	if len(r.PostForm["serviceToken"]) > 1 {
		msg = "This field was sent more than once; send it once."
	}
	if msg != "" {
		m := form.Modify{ServiceCallBackURI: sub.CallbackURI, NLPFlag: sub.NLPFlag, FlowAccessCode: sub.FlowAccessCode,
			ReceiverKey: newReceiverKey(), Errors: form.Errors{}}
		return s.renderSubscription(w, r, http.StatusUnprocessableEntity, sub, m, msg)
	}
	u, _ := currentUser(r)
	reg, cancel, err := s.svc.Replace(r.Context(), u.Username, sub, token, r.PostForm.Get("idempotencyKey"))
	if errors.Is(err, domain.ErrDuplicateSubmission) {
		return s.flash(w, r, "error", "This form was already submitted; nothing was sent again.", callURL(reg.ID))
	}
	if reg.ID != 0 {
		s.audit(r, subscriptionReplaced(sub, reg, cancel))
	}
	if reg.ID == 0 || reg.Outcome != domain.OutcomeSuccess || err != nil && cancel.ID == 0 {
		return s.afterCall(w, r, reg, err, "Registered the replacement", subPath(sub.ID))
	}
	return s.afterCall(w, r, cancel, err, fmt.Sprintf("Replaced by serverId %s; the old subscription was cancelled", reg.ServerID),
		replacementPath(reg))
}

func replacementPath(reg domain.Call) string {
	if reg.SubscriptionID != nil {
		return subPath(*reg.SubscriptionID)
	}
	return callURL(reg.ID)
}

func (s *Server) setPolicy(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	on := r.PostForm.Get("autoReregister") == "true"
	if err := s.audited(r, func(tx *store.Store) (domain.AuditEntry, error) {
		return subscriptionPolicy(sub, on), tx.SetAutoReregister(r.Context(), sub.ID, on)
	}); err != nil {
		return err
	}
	word := "off"
	if on {
		word = "on"
	}
	return s.flash(w, r, "ok", "Automatic re-registration is "+word+".", subPath(sub.ID))
}

// afterCall turns the outcome of a recorded gateway call into a flash
// message and a redirect; a call that could not be recorded is an error.
func (s *Server) afterCall(w http.ResponseWriter, r *http.Request, call domain.Call, err error, done, to string) error {
	if errors.Is(err, subscribe.ErrNotActive) {
		return badRequest("This subscription is not active on the gateway (cancelled, or its register got no answer); there is nothing to change.")
	}
	if err != nil && call.ID == 0 {
		return err
	}
	if err != nil {
		s.log.Error("gateway call recorded with an error", "id", requestID(r), "call_id", call.ID, "err", err)
	}
	if call.Outcome == domain.OutcomeSuccess {
		return s.flash(w, r, "ok", done+".", to)
	}
	return s.flash(w, r, "error", callSummary(call), callURL(call.ID))
}

// reloaded is sub as stored now, for an audit diff's "after"; should the
// read fail, sub itself stands in (the call's outcome is still recorded).
func (s *Server) reloaded(r *http.Request, sub domain.Subscription) domain.Subscription {
	if now, err := s.store.Subscription(r.Context(), sub.ID); err == nil {
		return now
	}
	return sub
}

func subPath(id int64) string { return fmt.Sprintf("/subscriptions/%d", id) }
