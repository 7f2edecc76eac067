package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/subscribe"
)

var subStates = []domain.SubState{domain.SubActive, domain.SubDegraded, domain.SubLapsed, domain.SubCancelled, domain.SubUnknown}

func (s *Server) apiListSubscriptions(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, "state", "gateway"); err != nil {
		return err
	}
	q := r.URL.Query()
	state := domain.SubState(q.Get("state"))
	if q.Has("state") && !slices.Contains(subStates, state) {
		return &apiError{status: http.StatusBadRequest, msg: "Unknown state.",
			fields: map[string]string{"state": "One of active, degraded, lapsed, cancelled, unknown."}}
	}
	var gw int64
	if q.Has("gateway") {
		n, err := strconv.ParseInt(q.Get("gateway"), 10, 64)
		if err != nil || n <= 0 {
			return &apiError{status: http.StatusBadRequest, msg: "The gateway filter is not a gateway id.",
				fields: map[string]string{"gateway": "A gateway id: a positive whole number."}}
		}
		gw = n
	}
	subs, err := s.store.ListSubscriptions(r.Context())
	if err != nil {
		return err
	}
	out := []subscriptionJSON{}
	for _, sub := range subs {
		if (state == "" || sub.State == state) && (gw == 0 || sub.GatewayID == gw) {
			out = append(out, subscriptionView(sub))
		}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
	return nil
}

func (s *Server) apiSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, subscriptionView(sub))
	return nil
}

// registerInput is the register body; the names are the form's (and the
// gateway's), so the same rules apply to both.
type registerInput struct {
	Gateway            *int64 `json:"gateway"`
	SubscribeType      string `json:"subscribeType"`
	ServiceToken       string `json:"serviceToken"`
	ServiceCallBackURI string `json:"serviceCallBackUri"`
	NLPFlag            bool   `json:"nlpFlag"`
	FlowAccessCode     string `json:"flowAccessCode"`
	AutoReregister     bool   `json:"autoReregister"`
	UseReceiver        bool   `json:"useReceiver"`
}

// values maps the body onto the register form's fields.
func (in registerInput) values() url.Values {
	v := url.Values{"subscribeType": {in.SubscribeType}, "serviceToken": {in.ServiceToken},
		"serviceCallBackUri": {in.ServiceCallBackURI}, "flowAccessCode": {in.FlowAccessCode}}
	if in.SubscribeType == "" {
		v.Set("subscribeType", "1") // the form's default: the only type that exists
	}
	if in.Gateway != nil {
		v.Set("gateway", strconv.FormatInt(*in.Gateway, 10))
	}
	checkboxes(v, map[string]bool{"nlpFlag": in.NLPFlag, "autoReregister": in.AutoReregister, "useReceiver": in.UseReceiver})
	if in.UseReceiver {
		v.Set("receiverKey", newReceiverKey())
	}
	return v
}

func checkboxes(v url.Values, boxes map[string]bool) {
	for k, on := range boxes {
		if on {
			v.Set(k, "true")
		}
	}
}

// registerAnswer is what register, modify and cancel return: the recorded
// call (its outcome says what the gateway did) and the subscription.
type registerAnswer struct {
	Call         callJSON          `json:"call"`
	Subscription *subscriptionJSON `json:"subscription"`
	Replayed     bool              `json:"replayed,omitempty"`
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) error {
	var in registerInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	f := form.ParseSubscription(in.values())
	f.ReceiverBase = s.public
	if err := s.validateRegister(r, &f, in); err != nil {
		return err
	}
	u, _ := currentUser(r)
	sin := subscribe.RegisterInput{
		IdempotencyKey: key, GatewayID: f.GatewayID, SubscribeType: f.SubscribeType, ServiceToken: f.ServiceToken,
		CallbackURI: f.ServiceCallBackURI, NLPFlag: f.NLPFlag, FlowAccessCode: f.FlowAccessCode,
		AutoReregister: f.AutoReregister, ReceiverKey: receiverKeyIf(f),
	}
	call, err := s.svc.Register(r.Context(), u.Username, sin)
	replayed := errors.Is(err, domain.ErrDuplicateSubmission)
	if err != nil && !replayed && call.ID == 0 {
		return err
	}
	if err != nil && !replayed {
		s.log.Error("register recorded with an error", "id", requestID(r), "call_id", call.ID, "err", err)
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK // the first answer again; nothing was sent
	} else {
		s.audit(r, subscriptionRegistered(sin, call))
	}
	w.Header().Set("Location", "/api/v1/calls/"+idString(call.ID))
	return s.answerCall(w, r, status, call, call.SubscriptionID, replayed)
}

// validateRegister applies the form's rules, then the API's own: a
// callback address and ccsub's receiver are two different answers to one
// question, so sending both is refused rather than one silently winning.
func (s *Server) validateRegister(r *http.Request, f *form.Subscription, in registerInput) error {
	valid := f.Validate()
	if in.UseReceiver && in.ServiceCallBackURI != "" {
		f.Errors.Add("serviceCallBackUri", "Leave this out when useReceiver is true: ccsub's own receiver address is used.")
		valid = false
	}
	if f.GatewayID != 0 {
		if _, err := s.store.Gateway(r.Context(), f.GatewayID); errors.Is(err, domain.ErrNotFound) {
			f.Errors.Add("gateway", "This gateway does not exist (any more).")
			valid = false
		} else if err != nil {
			return err
		}
	}
	if !valid {
		return invalid(f.Errors)
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
		return "", &apiError{status: http.StatusBadRequest, msg: "The Idempotency-Key header is not usable.",
			fields: map[string]string{"Idempotency-Key": "Send it once, 1 to 100 visible ASCII characters (a UUID is a good choice)."}}
	}
	tok, _ := requestToken(r)
	return "api:" + idString(tok.ID) + ":" + vals[0], nil
}

// answerCall writes a call and, when it has one, its subscription.
func (s *Server) answerCall(w http.ResponseWriter, r *http.Request, status int, call domain.Call, subID *int64, replayed bool) error {
	a := registerAnswer{Call: callView(s.displayCalls([]domain.Call{call})[0]), Replayed: replayed}
	if subID != nil {
		sub, err := s.store.Subscription(r.Context(), *subID)
		if err != nil {
			return err
		}
		v := subscriptionView(sub)
		a.Subscription = &v
	}
	s.writeJSON(w, status, a)
	return nil
}
