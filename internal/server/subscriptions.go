package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
	"ccsub/web/subscriptions"
	"ccsub/web/view"
)

// ListSubscriptions is GET /subscriptions: one page of the subscriptions
// matching the filters, newest first, with the counts by state.
func (s *Server) ListSubscriptions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	fv, filter, errs := form.ParseSubscriptionQuery(ctx, q)
	page, perr := form.ParsePage(q, "subscriptions")
	if perr != "" {
		errs["page"] = perr
	}
	gws, err := s.gatewayChoices(ctx, filter.GatewayID)
	if err != nil {
		return err
	}
	props := subscriptions.ListProps{Filters: fv, Errors: errs, CountsOf: i18n.T(ctx, "subscriptions.list.all_gateways")}
	found := false
	for _, g := range gws {
		props.Gateways = append(props.Gateways, subscriptions.GatewayOption{ID: g.ID, Name: g.Name, URL: g.BaseURL})
		if g.ID == filter.GatewayID {
			props.CountsOf, found = i18n.Tf(ctx, "subscriptions.list.of_gateway", i18n.D{"Name": g.Name}), true
		}
	}
	if _, bad := errs["gateway"]; !bad && filter.GatewayID != 0 && !found {
		errs["gateway"] = i18n.T(ctx, "subscriptions.filter.no_such_gateway")
	}
	if props.TextMatch, err = s.store.SubscriptionTextMatch(ctx); err != nil {
		return err
	}
	if len(errs) > 0 {
		props.Shell = s.page(w, r, i18n.T(ctx, "subscriptions.title"), "subscriptions")
		if msg, ok := errs["page"]; ok {
			props.Shell.Flash = flashError(msg)
		}
		return s.render(w, r, http.StatusBadRequest, subscriptions.List(props))
	}
	// The counts, the session's lookup and, without a search, the page go
	// as one batch (Reader|OneTrip); a search takes its own steps after.
	var res domain.SubscriptionPage
	rd := s.store.Reads(ctx)
	rd.SubscriptionCounts(filter.GatewayID, &props.Counts)
	if filter.Text == "" {
		rd.Subscriptions(filter, page, &res)
	}
	if err := rd.Send(ctx); err != nil {
		return err
	}
	if filter.Text != "" {
		if res, err = s.store.ListSubscriptions(ctx, filter, page); err != nil {
			return err
		}
	}
	props.Shell = s.page(w, r, i18n.T(ctx, "subscriptions.title"), "subscriptions")
	props.Subscriptions = res.Subscriptions
	props.Pages = pages("/subscriptions", fv.Values(), page, res.Older, res.Newer)
	return s.render(w, r, http.StatusOK, subscriptions.List(props))
}

// NewSubscription is GET /subscriptions/new; ?retry={call} fills the
// form with what that register call sent ("Try again" on its page).
func (s *Server) NewSubscription(w http.ResponseWriter, r *http.Request) error {
	f := form.Subscription{SubscribeType: "1", Errors: form.Errors{}, IdempotencyKey: newKey(), ReceiverKey: domain.NewReceiverKey()}
	q := r.URL.Query()
	if g := q.Get("gateway"); g != "" {
		f.Gateway = g
	}
	var retryOf int64
	if raw := q.Get("retry"); raw != "" {
		c, err := s.retried(r, raw)
		if err != nil {
			return err
		}
		s.fillFromCall(&f, c)
		retryOf = c.ID
	}
	return s.renderRegisterForm(w, r, http.StatusOK, f, retryOf)
}

// retried is the register call named by ?retry=, or a clear refusal.
func (s *Server) retried(r *http.Request, raw string) (domain.Call, error) {
	ctx := r.Context()
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return domain.Call{}, httpkit.BadRequest(i18n.T(ctx, "subscriptions.retry.bad"))
	}
	c, err := s.store.Call(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return c, httpkit.Fail(http.StatusNotFound, i18n.Tf(ctx, "subscriptions.retry.no_call", i18n.D{"ID": id}))
	}
	if err == nil && c.Operation != domain.OpRegister {
		err = httpkit.BadRequest(i18n.Tf(ctx, "subscriptions.retry.not_register", i18n.D{"ID": id, "Operation": string(c.Operation)}))
	}
	return c, err
}

// fillFromCall puts a register call's values into the form. The token is
// a secret and never comes back; a callback to ccsub's own receiver
// becomes "use the receiver" with the form's fresh key.
func (s *Server) fillFromCall(f *form.Subscription, c domain.Call) {
	f.Gateway = strconv.FormatInt(c.GatewayID, 10)
	if c.SubscribeType != "" {
		f.SubscribeType = c.SubscribeType
	}
	f.NLPFlag, f.FlowAccessCode = c.NLPFlag, c.FlowAccessCode
	if strings.HasPrefix(c.CallbackURI, domain.ReceiverURL(s.public, "")) {
		f.UseReceiver = true
	} else {
		f.ServiceCallBackURI = c.CallbackURI
	}
}

func (s *Server) renderRegisterForm(w http.ResponseWriter, r *http.Request, status int, f form.Subscription, retryOf int64) error {
	gws, err := s.store.ListGateways(r.Context())
	if err != nil {
		return err
	}
	opts := make([]subscriptions.GatewayOption, 0, len(gws))
	for _, g := range gws {
		if g.Usable() { // a disabled gateway takes no new register
			opts = append(opts, subscriptions.GatewayOption{ID: g.ID, Name: g.Name, URL: g.BaseURL})
		}
	}
	if len(opts) == 1 && f.Gateway == "" {
		f.Gateway = opts[0].Value()
	}
	// A secret is never sent back in a page, not even into the field it
	// came from: pages are cached, saved and shown on screens.
	if f.ServiceToken != "" {
		f.ServiceToken = ""
		f.Errors.Add("serviceToken", i18n.T(r.Context(), "subscriptions.token.not_sent_back"))
	}
	token, err := secret.GenerateToken()
	if err != nil {
		return err
	}
	sh := s.page(w, r, i18n.T(r.Context(), "subscriptions.register"), "new")
	return s.render(w, r, status, subscriptions.New(subscriptions.NewProps{
		Shell: sh, Gateways: opts, Form: f, SuggestedToken: token,
		ReceiverURL: domain.ReceiverURL(s.public, f.ReceiverKey), RetryOf: retryOf,
	}))
}

// RegisterSubscription is POST /subscriptions: it validates the form and,
// only when it is valid, records and sends the register call, then shows
// the subscription the gateway granted, or the call's page when it
// granted none (the call's page links to what the call left behind).
func (s *Server) RegisterSubscription(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	f := form.ParseSubscription(ctx, r.PostForm)
	if f.IdempotencyKey == "" {
		// Without it a repeat could not be told from a new request.
		return httpkit.BadRequest(form.NoOneTimeKey(ctx, "register"))
	}
	f.ReceiverBase = s.public
	valid := f.Validate(ctx)
	if f.GatewayID != 0 {
		if msg, err := registrable(ctx, s.store, f.GatewayID); err != nil {
			return err
		} else if msg != "" {
			f.Errors.Add("gateway", msg)
			valid = false
		}
	}
	if f.ReceiverKey == "" {
		f.ReceiverKey = domain.NewReceiverKey()
	}
	if !valid {
		return s.renderRegisterForm(w, r, http.StatusUnprocessableEntity, f, 0)
	}
	call, err := s.subs.Register(r.Context(), httpkit.Actor(r), subscribe.RegisterInput{
		IdempotencyKey: f.IdempotencyKey, GatewayID: f.GatewayID, SubscribeType: f.SubscribeType,
		ServiceToken: f.ServiceToken, CallbackURI: f.ServiceCallBackURI, NLPFlag: f.NLPFlag, FlowAccessCode: f.FlowAccessCode,
		AutoReregister: f.AutoReregister, ReceiverKey: f.Receiver(),
	})
	if errors.Is(err, domain.ErrDuplicateSubmission) {
		return s.flash(w, r, "error", i18n.T(ctx, "subscriptions.flash.register_repeated"), callURL(call.ID))
	}
	if errors.Is(err, domain.ErrIdempotencyConflict) {
		// The key stands for its first submit; these values get a new one.
		f.IdempotencyKey = newKey()
		f.Errors.Add("idempotencyKey", form.OneTimeKeySpent(ctx))
		return s.renderRegisterForm(w, r, http.StatusUnprocessableEntity, f, 0)
	}
	if domain.CallFailed(call, err) {
		return err
	}
	if call.Outcome == domain.OutcomeSuccess && call.SubscriptionID != nil {
		return s.flash(w, r, "ok", registerSummary(ctx, call), subPath(*call.SubscriptionID))
	}
	return s.flash(w, r, flashKind(call.Outcome), registerSummary(ctx, call), callURL(call.ID))
}

func registerSummary(ctx context.Context, c domain.Call) string {
	if c.Outcome == domain.OutcomeSuccess {
		return i18n.Tf(ctx, "subscriptions.flash.registered", i18n.D{"ServerID": c.ServerID})
	}
	return callSummary(ctx, c)
}

// callSummary says in one sentence how a call that did not succeed ended.
// The operation keeps its API name (register, modify, unregister, ...).
func callSummary(ctx context.Context, c domain.Call) string {
	d := i18n.D{"Operation": string(c.Operation)}
	if c.RefusedByCcsub {
		d["Reason"] = view.NotSentReason(ctx, c)
		return i18n.Tf(ctx, "subscriptions.flash.not_sent", d)
	}
	switch c.Outcome {
	case domain.OutcomeRejected:
		d["Retcode"], d["Meaning"] = c.Retcode, view.Meaning(ctx, c.Retcode)
		return i18n.Tf(ctx, "subscriptions.flash.rejected", d)
	case domain.OutcomeUnknown:
		return i18n.Tf(ctx, "subscriptions.flash.no_answer", d)
	case domain.OutcomeSuccess:
		return i18n.Tf(ctx, "subscriptions.flash.succeeded", d)
	default:
		d["Error"] = view.OrDash(c.Error)
		return i18n.Tf(ctx, "subscriptions.flash.failed", d)
	}
}

func flashKind(o domain.Outcome) string {
	if o == domain.OutcomeSuccess {
		return "ok"
	}
	return "error"
}

func callURL(id int64) string { return fmt.Sprintf("/calls/%d", id) }

// registrable is why a register may not go to the gateway ("" when it
// may): removed or disabled.
func registrable(ctx context.Context, st *store.Store, id int64) (string, error) {
	g, err := st.CurrentGateway(ctx, id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return i18n.T(ctx, "subscriptions.form.gateway_gone"), nil
	case err != nil:
		return "", err
	case g.Disabled:
		return i18n.T(ctx, "subscriptions.form.gateway_disabled"), nil
	}
	return "", nil
}

// newKey is a form's one-time idempotency key.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
