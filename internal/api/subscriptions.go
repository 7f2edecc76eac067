package api

import (
	"ccsub/web/jsonview"
	"errors"
	"net/http"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/subscribe"
)

var subscriptionParams = []string{"state", "gateway", "q", "before", "after", "limit"}

// ListSubscriptions is GET /api/v1/subscriptions: the page's filters and
// rules, plus a limit; "next" and "prev" are the URLs of the older and
// newer pages, as the history's.
func (a *API) ListSubscriptions(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, subscriptionParams...); err != nil {
		return err
	}
	q := r.URL.Query()
	fv, filter, errs := form.ParseSubscriptionQuery(r.Context(), q)
	page := apiPage(q, errs)
	if err := a.gatewayFilter(r, filter.GatewayID, errs); err != nil {
		return err
	}
	if len(errs) > 0 {
		return &httpkit.Error{Status: http.StatusBadRequest, Msg: "These filters cannot be used.", Fields: errs}
	}
	res, err := a.store.ListSubscriptions(r.Context(), filter, page)
	if err != nil {
		return err
	}
	out := make([]jsonview.Subscription, 0, len(res.Subscriptions))
	for _, sub := range res.Subscriptions {
		out = append(out, jsonview.SubscriptionOf(sub))
	}
	base := withLimit(fv.Values(), q)
	a.writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out,
		"next": apiPageURL("/api/v1/subscriptions", base, "before", res.Older),
		"prev": apiPageURL("/api/v1/subscriptions", base, "after", res.Newer)})
	return nil
}

// subscriptionCounts is the answer of GET /api/v1/subscriptions/counts.
type subscriptionCounts struct {
	Total   int64            `json:"total"`
	ByState map[string]int64 `json:"byState"` // every state, 0 included
}

// SubscriptionCounts is GET /api/v1/subscriptions/counts[?gateway=]: how
// many subscriptions are in each state, of one gateway or of all.
func (a *API) SubscriptionCounts(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, "gateway"); err != nil {
		return err
	}
	_, filter, errs := form.ParseSubscriptionQuery(r.Context(), r.URL.Query())
	if err := a.gatewayFilter(r, filter.GatewayID, errs); err != nil {
		return err
	}
	if len(errs) > 0 {
		return &httpkit.Error{Status: http.StatusBadRequest, Msg: "These filters cannot be used.", Fields: errs}
	}
	counts, err := a.store.CountSubscriptions(r.Context(), filter.GatewayID)
	if err != nil {
		return err
	}
	out := subscriptionCounts{Total: counts.Total(), ByState: map[string]int64{}}
	for _, st := range domain.SubStates {
		out.ByState[string(st)] = counts[st]
	}
	a.writeJSON(w, http.StatusOK, out)
	return nil
}

// gatewayFilter adds the page's message to errs when the gateway filter
// names no gateway.
func (a *API) gatewayFilter(r *http.Request, id int64, errs form.Errors) error {
	if _, bad := errs["gateway"]; bad || id == 0 {
		return nil
	}
	_, err := a.store.Gateway(r.Context(), id)
	if errors.Is(err, domain.ErrNotFound) {
		errs["gateway"] = form.NoSuchGateway
		return nil
	}
	return err
}

// Subscription is GET /api/v1/subscriptions/{id}.
func (a *API) Subscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, a.store.Subscription)
	if err != nil {
		return err
	}
	a.writeJSON(w, http.StatusOK, jsonview.SubscriptionOf(sub))
	return nil
}

// registerBody is the register body; the names are the form's (and the
// gateway's), so the same rules apply to both.
type registerBody struct {
	Gateway            *int64 `json:"gateway"`
	SubscribeType      string `json:"subscribeType"`
	ServiceToken       string `json:"serviceToken"`
	ServiceCallBackURI string `json:"serviceCallBackUri"`
	NLPFlag            bool   `json:"nlpFlag"`
	FlowAccessCode     string `json:"flowAccessCode"`
	AutoReregister     bool   `json:"autoReregister"`
	UseReceiver        bool   `json:"useReceiver"`
}

// form fills the register form from the body.
func (b registerBody) form(public string) form.Subscription {
	f := form.Subscription{SubscribeType: b.SubscribeType, ServiceToken: b.ServiceToken, ServiceCallBackURI: b.ServiceCallBackURI,
		NLPFlag: b.NLPFlag, FlowAccessCode: b.FlowAccessCode, AutoReregister: b.AutoReregister, UseReceiver: b.UseReceiver,
		ReceiverBase: public}
	if f.SubscribeType == "" {
		f.SubscribeType = "1" // the form's default: the only type that exists
	}
	if b.Gateway != nil {
		f.Gateway = strconv.FormatInt(*b.Gateway, 10)
	}
	if b.UseReceiver {
		f.ReceiverKey = domain.NewReceiverKey()
	}
	f.Normalize()
	return f
}

// registerAnswer is what register, modify and cancel return: the recorded
// call (its outcome says what the gateway did) and the subscription.
type registerAnswer struct {
	Call         jsonview.Call          `json:"call"`
	Subscription *jsonview.Subscription `json:"subscription"`
	Replayed     bool                   `json:"replayed,omitempty"`
}

// Register is POST /api/v1/subscriptions.
func (a *API) Register(w http.ResponseWriter, r *http.Request) error {
	var b registerBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	f := b.form(a.public)
	if err := a.validateRegister(r, &f, b); err != nil {
		return err
	}
	call, err := a.subs.Register(r.Context(), httpkit.Actor(r), subscribe.RegisterInput{
		IdempotencyKey: key, GatewayID: f.GatewayID, SubscribeType: f.SubscribeType, ServiceToken: f.ServiceToken,
		CallbackURI: f.ServiceCallBackURI, NLPFlag: f.NLPFlag, FlowAccessCode: f.FlowAccessCode,
		AutoReregister: f.AutoReregister, ReceiverKey: f.Receiver(),
	})
	replayed := errors.Is(err, domain.ErrDuplicateSubmission)
	if !replayed && domain.CallFailed(call, err) {
		return err
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK // the first answer again; nothing was sent
	}
	w.Header().Set("Location", "/api/v1/calls/"+strconv.FormatInt(call.ID, 10))
	return a.answerCall(w, r, status, call, call.SubscriptionID, replayed)
}

// validateRegister applies the form's rules, then the API's own: a
// callback address and ccsub's receiver are two different answers to one
// question, so sending both is refused rather than one silently winning.
func (a *API) validateRegister(r *http.Request, f *form.Subscription, b registerBody) error {
	valid := f.Validate(r.Context())
	if b.UseReceiver && b.ServiceCallBackURI != "" {
		f.Errors.Add("serviceCallBackUri", "Leave this out when useReceiver is true: ccsub's own receiver address is used.")
		valid = false
	}
	if f.GatewayID != 0 {
		g, err := a.store.CurrentGateway(r.Context(), f.GatewayID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			f.Errors.Add("gateway", "This gateway does not exist (any more).")
			valid = false
		case err != nil:
			return err
		case g.Disabled:
			f.Errors.Add("gateway", form.GatewayDisabled)
			valid = false
		}
	}
	if !valid {
		return httpkit.Invalid(f.Errors)
	}
	return nil
}

// idempotencyKey maps the Idempotency-Key header onto the forms' one-time
// key mechanism. Keys are namespaced by token, so one client cannot replay
// (or learn about) another's submission by guessing its key.
func idempotencyKey(r *http.Request) (string, error) {
	vals := r.Header.Values("Idempotency-Key")
	if len(vals) == 0 {
		return "", nil
	}
	bad := len(vals) > 1 || len(vals[0]) == 0 || len(vals[0]) > 100
	for _, c := range []byte(vals[0]) {
		bad = bad || c < 0x21 || c > 0x7e
	}
	if bad {
		return "", httpkit.FieldError("Idempotency-Key", "The Idempotency-Key header is not usable.",
			"Send it once, 1 to 100 visible ASCII characters (a UUID is a good choice).")
	}
	tok, _ := requestToken(r)
	return "api:" + strconv.FormatInt(tok.ID, 10) + ":" + vals[0], nil
}

// answerCall writes a call and, when it has one, its subscription.
func (a *API) answerCall(w http.ResponseWriter, r *http.Request, status int, call domain.Call, subID *int64, replayed bool) error {
	ans := registerAnswer{Call: jsonview.CallOf(a.subs.AsShown([]domain.Call{call})[0]), Replayed: replayed}
	if subID != nil {
		sub, err := a.store.Subscription(r.Context(), *subID)
		if err != nil {
			return err
		}
		v := jsonview.SubscriptionOf(sub)
		ans.Subscription = &v
	}
	a.writeJSON(w, status, ans)
	return nil
}
