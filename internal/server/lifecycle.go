package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
	"ccsub/web/subscriptions"
)

// SubscriptionPage is GET /subscriptions/{id}. The subscription and all
// the page shows beside it are read in one batch with the session's lookup
// (Reader|OneTrip): one round trip.
func (s *Server) SubscriptionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.PathID(r)
	if err != nil {
		return err
	}
	var sub domain.Subscription
	var found bool
	now := time.Now()
	rd := s.store.Reads(r.Context())
	rd.Subscription(id, &sub, &found)
	var x subscriptionReads
	x.queue(rd, id, now)
	if err := rd.Send(r.Context()); err != nil {
		return err
	}
	if !found {
		return domain.ErrNotFound
	}
	m := form.Modify{ServiceCallBackURI: sub.CallbackURI, NLPFlag: sub.NLPFlag, FlowAccessCode: sub.FlowAccessCode,
		UseReceiver: sub.ReceiverKey != "", ReceiverKey: sub.ReceiverKey, Errors: form.Errors{}}
	if m.ReceiverKey == "" {
		m.ReceiverKey = domain.NewReceiverKey()
	}
	return s.renderSubscriptionRead(w, r, http.StatusOK, sub, m, "", "", x)
}

func (s *Server) renderSubscription(w http.ResponseWriter, r *http.Request, status int, sub domain.Subscription, m form.Modify, replaceErr string) error {
	return s.renderSubscriptionWith(w, r, status, sub, m, replaceErr, "")
}

// renderSubscriptionWith renders the subscription page with the errors of
// whichever of its forms was refused.
func (s *Server) renderSubscriptionWith(w http.ResponseWriter, r *http.Request, status int, sub domain.Subscription, m form.Modify, replaceErr, resolveErr string) error {
	var x subscriptionReads
	rd := s.store.Reads(r.Context())
	x.queue(rd, sub.ID, time.Now())
	if err := rd.Send(r.Context()); err != nil {
		return err
	}
	return s.renderSubscriptionRead(w, r, status, sub, m, replaceErr, resolveErr, x)
}

// subscriptionReads is what a subscription's page shows beside it.
type subscriptionReads struct {
	now, since           time.Time
	beats                []domain.HeartbeatBucket
	unregister           domain.Call // the newest cancel, if hasUnregister
	hasUnregister        bool
	replaces, replacedBy *string
	audit                domain.AuditPage
}

// queue adds the reads of subscription id's page to rd. The recent audit
// entries are read for every viewer and shown only to those who may read
// the audit trail (recentAuditFor): who asks is known once rd is sent.
func (x *subscriptionReads) queue(rd *store.Reads, id int64, now time.Time) {
	x.now, x.since = now, stripStart(now)
	rd.Heartbeats(id, x.since, &x.beats)
	rd.LatestCall(id, domain.OpUnregister, &x.unregister, &x.hasUnregister)
	rd.ReplacementServerIDs(id, &x.replaces, &x.replacedBy)
	rd.Audit(recentAuditFilter(domain.TargetSubscription, id), domain.PageRequest{Limit: recentAuditLimit}, &x.audit)
}

func (s *Server) renderSubscriptionRead(w http.ResponseWriter, r *http.Request, status int, sub domain.Subscription, m form.Modify,
	replaceErr, resolveErr string, x subscriptionReads) error {
	token, err := secret.GenerateToken()
	if err != nil {
		return err
	}
	u, _ := currentUser(r)
	p := subscriptions.DetailProps{
		Shell: s.page(w, r, i18n.Tf(r.Context(), "subscriptions.detail.title", i18n.D{"ServerID": sub.ServerID}), "subscriptions"), Sub: sub, Modify: m,
		ModifyReceiver: domain.ReceiverURL(s.public, m.ReceiverKey), SuggestedToken: token, ReplaceKey: newKey(),
		ReplaceError: replaceErr, ResolveError: resolveErr, Interval: s.interval,
		CanOperate: u.Role == domain.RoleAdmin || u.Role == domain.RoleOperator,
	}
	if sub.ReceiverKey != "" {
		p.ReceiverURL = domain.ReceiverURL(s.public, sub.ReceiverKey)
	}
	p.Strip, p.Gaps = heartbeatStrip(sub, x.beats, x.since, x.now)
	if subscribe.DroppedBy(sub, x.unregister, x.hasUnregister) {
		p.DroppedCallID = x.unregister.ID
	}
	p.ReplacesServer = serverIDOf(sub.ReplacesID, x.replaces)
	p.ReplacedServer = serverIDOf(sub.ReplacedByID, x.replacedBy)
	p.History = recentAuditFor(u, domain.TargetSubscription, sub.ID, x.audit)
	return s.render(w, r, status, subscriptions.Detail(p))
}

// serverIDOf names the subscription id by its serverId, read as serverID
// (nil when it was not found: then by its number).
func serverIDOf(id *int64, serverID *string) string {
	switch {
	case id == nil:
		return ""
	case serverID == nil:
		return fmt.Sprintf("#%d", *id)
	}
	return *serverID
}

// stripStart is where the heartbeat strip begins: the start of the hour 23
// hours before the current one, so the strip is 24 whole clock hours, the
// last of them the current hour (its later slots are still to come).
func stripStart(now time.Time) time.Time {
	return now.Truncate(time.Hour).Add(-23 * time.Hour)
}

// heartbeatStrip lays 24 clock hours from since out as 288 five-minute
// cells, 12 an hour. An empty cell while the subscription was kept alive is
// a gap: the platform drops a subscription after 5 minutes without a
// handshake. Cells that start after now are "future".
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
	for i := 0; i < 288; i++ {
		t := since.Add(time.Duration(i) * 5 * time.Minute)
		b := byStart[t.Unix()]
		c := subscriptions.StripCell{Start: t, OK: b.OK, Fail: b.Failed}
		switch {
		case t.After(now):
			c.Class = "future"
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

// ModifySubscription is POST /subscriptions/{id}/modify.
func (s *Server) ModifySubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	m := form.ParseModify(ctx, r.PostForm)
	m.ReceiverBase, m.HasToken = s.public, sub.TokenPresent
	if !m.Validate(ctx) {
		return s.renderSubscription(w, r, http.StatusUnprocessableEntity, sub, m, "")
	}
	call, err := s.subs.Modify(r.Context(), httpkit.Actor(r), sub, subscribe.ModifyInput{
		CallbackURI: m.ServiceCallBackURI, NLPFlag: m.NLPFlag, FlowAccessCode: m.FlowAccessCode, ReceiverKey: m.Receiver()})
	return s.afterCall(w, r, call, err, i18n.T(ctx, "subscriptions.flash.modified"), subPath(sub.ID))
}

// CancelPage is GET /subscriptions/{id}/cancel: the confirmation.
func (s *Server) CancelPage(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, subscriptions.ConfirmCancel(subscriptions.CancelProps{
		Shell: s.page(w, r, i18n.Tf(r.Context(), "subscriptions.cancel.page_title", i18n.D{"ServerID": sub.ServerID}), "subscriptions"), Sub: sub}))
}

// CancelSubscription is POST /subscriptions/{id}/cancel.
func (s *Server) CancelSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	// The confirmation names the serverId; a stale or forged form for
	// another subscription cancels nothing.
	if r.PostForm.Get("confirmServerId") != sub.ServerID {
		return httpkit.BadRequest(i18n.T(r.Context(), "subscriptions.cancel.wrong_confirmation"))
	}
	call, err := s.subs.Cancel(r.Context(), httpkit.Actor(r), sub)
	if err == nil && subscribe.SaysDropped(call) {
		// The subscription page explains this and offers to close it in
		// ccsub only; the call page alone would leave the operator stuck.
		return s.flash(w, r, "error", i18n.Tf(r.Context(), "subscriptions.flash.dropped", i18n.D{"ServerID": sub.ServerID}), subPath(sub.ID))
	}
	return s.afterCall(w, r, call, err, i18n.T(r.Context(), "subscriptions.flash.cancelled"), subPath(sub.ID))
}

// CloseSubscription is POST /subscriptions/{id}/close: closes in ccsub only
// a subscription the gateway said it no longer has, sending nothing.
func (s *Server) CloseSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	// As for cancel: a stale or forged form for another subscription
	// closes nothing.
	if r.PostForm.Get("confirmServerId") != sub.ServerID || sub.ServerID == "" {
		return httpkit.BadRequest(i18n.T(r.Context(), "subscriptions.dropped.wrong_confirmation"))
	}
	call, err := s.subs.CloseDropped(r.Context(), httpkit.Actor(r), sub)
	if errors.Is(err, subscribe.ErrNotDropped) {
		return httpkit.Fail(http.StatusConflict, i18n.T(r.Context(), "subscriptions.dropped.not_dropped"))
	}
	if err != nil {
		return err
	}
	return s.flash(w, r, "ok", i18n.Tf(r.Context(), "subscriptions.flash.closed", i18n.D{"ServerID": sub.ServerID, "ID": call.ID}), subPath(sub.ID))
}

// ReplaceSubscription is POST /subscriptions/{id}/replace.
func (s *Server) ReplaceSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	key := r.PostForm.Get("idempotencyKey")
	if key == "" || len(r.PostForm["idempotencyKey"]) > 1 {
		return httpkit.BadRequest(form.NoOneTimeKey(ctx, "subscription"))
	}
	token := r.PostForm.Get("serviceToken")
	msg := form.CheckServiceToken(ctx, token)
	if token == "" {
		msg = i18n.T(ctx, "subscriptions.replace.token_required")
	}
	if len(r.PostForm["serviceToken"]) > 1 {
		msg = i18n.T(ctx, "form.duplicated")
	}
	if msg != "" {
		m := form.Modify{ServiceCallBackURI: sub.CallbackURI, NLPFlag: sub.NLPFlag, FlowAccessCode: sub.FlowAccessCode,
			ReceiverKey: domain.NewReceiverKey(), Errors: form.Errors{}}
		return s.renderSubscription(w, r, http.StatusUnprocessableEntity, sub, m, msg)
	}
	reg, cancel, err := s.subs.Replace(r.Context(), httpkit.Actor(r), sub, token, key)
	if errors.Is(err, domain.ErrDuplicateSubmission) {
		return s.flash(w, r, "error", i18n.T(ctx, "subscriptions.flash.replace_repeated"), callURL(reg.ID))
	}
	if errors.Is(err, domain.ErrIdempotencyConflict) {
		// renderSubscription gives the replace form a new key.
		m := form.Modify{ServiceCallBackURI: sub.CallbackURI, NLPFlag: sub.NLPFlag, FlowAccessCode: sub.FlowAccessCode,
			ReceiverKey: domain.NewReceiverKey(), Errors: form.Errors{}}
		return s.renderSubscription(w, r, http.StatusUnprocessableEntity, sub, m, form.OneTimeKeySpent(ctx))
	}
	if reg.ID == 0 || reg.Outcome != domain.OutcomeSuccess || err != nil && cancel.ID == 0 {
		return s.afterCall(w, r, reg, err, i18n.T(ctx, "subscriptions.flash.replacement_registered"), subPath(sub.ID))
	}
	return s.afterCall(w, r, cancel, err, i18n.Tf(ctx, "subscriptions.flash.replaced", i18n.D{"ServerID": reg.ServerID}),
		replacementPath(reg))
}

func replacementPath(reg domain.Call) string {
	if reg.SubscriptionID != nil {
		return subPath(*reg.SubscriptionID)
	}
	return callURL(reg.ID)
}

// SetPolicy is POST /subscriptions/{id}/policy.
func (s *Server) SetPolicy(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, s.store.Subscription)
	if err != nil {
		return err
	}
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	on := r.PostForm.Get("autoReregister") == "true"
	if err := s.subs.SetPolicy(r.Context(), httpkit.Actor(r), sub, on); err != nil {
		return err
	}
	msg := i18n.T(r.Context(), "subscriptions.flash.policy_off")
	if on {
		msg = i18n.T(r.Context(), "subscriptions.flash.policy_on")
	}
	return s.flash(w, r, "ok", msg, subPath(sub.ID))
}

// afterCall turns the outcome of a recorded gateway call into a flash
// message and a redirect; a call that could not be recorded is an error.
func (s *Server) afterCall(w http.ResponseWriter, r *http.Request, call domain.Call, err error, done, to string) error {
	if errors.Is(err, subscribe.ErrNotActive) {
		return httpkit.BadRequest(i18n.T(r.Context(), "subscriptions.not_active"))
	}
	if domain.CallFailed(call, err) {
		return err
	}
	if call.Outcome == domain.OutcomeSuccess {
		return s.flash(w, r, "ok", done, to)
	}
	return s.flash(w, r, "error", callSummary(r.Context(), call), callURL(call.ID))
}

func subPath(id int64) string { return fmt.Sprintf("/subscriptions/%d", id) }
