package api

import (
	"errors"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/httpkit"
	"ccsub/internal/subscribe"
)

// modifyBody changes a subscription; a field left out keeps its value.
type modifyBody struct {
	ServiceCallBackURI *string `json:"serviceCallBackUri"`
	NLPFlag            *bool   `json:"nlpFlag"`
	FlowAccessCode     *string `json:"flowAccessCode"`
	UseReceiver        *bool   `json:"useReceiver"`
}

// form fills the modify form from the current settings and the body. A
// new callback address alone means "not the receiver".
func (b modifyBody) form(sub domain.Subscription, public string) form.Modify {
	f := form.Modify{ServiceCallBackURI: sub.CallbackURI, NLPFlag: sub.NLPFlag, FlowAccessCode: sub.FlowAccessCode,
		UseReceiver: sub.ReceiverKey != "", ReceiverBase: public, HasToken: sub.TokenPresent}
	if b.ServiceCallBackURI != nil {
		f.ServiceCallBackURI, f.UseReceiver = *b.ServiceCallBackURI, false
	}
	if b.NLPFlag != nil {
		f.NLPFlag = *b.NLPFlag
	}
	if b.FlowAccessCode != nil {
		f.FlowAccessCode = *b.FlowAccessCode
	}
	if b.UseReceiver != nil {
		f.UseReceiver = *b.UseReceiver
	}
	if f.UseReceiver {
		f.ReceiverKey = sub.ReceiverKey
		if f.ReceiverKey == "" {
			f.ReceiverKey = domain.NewReceiverKey()
		}
	}
	f.Normalize()
	return f
}

// Modify is POST /api/v1/subscriptions/{id}/modify.
func (a *API) Modify(w http.ResponseWriter, r *http.Request) error {
	sub, err := httpkit.Load(r, a.store.Subscription)
	if err != nil {
		return err
	}
	var b modifyBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	m := b.form(sub, a.public)
	valid := m.Validate(r.Context())
	if b.UseReceiver != nil && *b.UseReceiver && b.ServiceCallBackURI != nil {
		m.Errors.Add("serviceCallBackUri", "Leave this out when useReceiver is true: ccsub's own receiver address is used.")
		valid = false
	}
	if !valid {
		return httpkit.Invalid(m.Errors)
	}
	call, err := a.subs.Modify(r.Context(), httpkit.Actor(r), sub, subscribe.ModifyInput{
		CallbackURI: m.ServiceCallBackURI, NLPFlag: m.NLPFlag, FlowAccessCode: m.FlowAccessCode, ReceiverKey: m.Receiver()})
	if err := callError(call, err); err != nil {
		return err
	}
	return a.answerCall(w, r, http.StatusOK, call, &sub.ID, false)
}

// cancelBody names the serverId being cancelled, as the cancel page asks:
// a request built for another subscription cancels nothing.
type cancelBody struct {
	ConfirmServerID string `json:"confirmServerId"`
}

// confirmed is the path's subscription when the body names its serverId:
// a request built for another subscription changes nothing (done says
// what would have been done).
func (a *API) confirmed(w http.ResponseWriter, r *http.Request, done string) (domain.Subscription, error) {
	sub, err := httpkit.Load(r, a.store.Subscription)
	if err != nil {
		return sub, err
	}
	var b cancelBody
	if err := decodeJSON(w, r, &b); err != nil {
		return sub, err
	}
	if b.ConfirmServerID != sub.ServerID || sub.ServerID == "" {
		return sub, httpkit.Invalid(form.Errors{"confirmServerId": "Must be this subscription's serverId; nothing was " + done + "."})
	}
	return sub, nil
}

// Cancel is POST /api/v1/subscriptions/{id}/cancel.
func (a *API) Cancel(w http.ResponseWriter, r *http.Request) error {
	sub, err := a.confirmed(w, r, "cancelled")
	if err != nil {
		return err
	}
	call, err := a.subs.Cancel(r.Context(), httpkit.Actor(r), sub)
	if err := callError(call, err); err != nil {
		return err
	}
	return a.answerCall(w, r, http.StatusOK, call, &sub.ID, false)
}

// Close is POST /api/v1/subscriptions/{id}/close: closes in ccsub only a
// subscription the gateway answered 107-031 to cancel, sending nothing. It
// answers with the subscription and the unregister call the close relied on.
func (a *API) Close(w http.ResponseWriter, r *http.Request) error {
	sub, err := a.confirmed(w, r, "closed")
	if err != nil {
		return err
	}
	call, err := a.subs.CloseDropped(r.Context(), httpkit.Actor(r), sub)
	if errors.Is(err, subscribe.ErrNotDropped) {
		return httpkit.Fail(http.StatusConflict, "Only a subscription whose last cancel the gateway answered 107-031 (it no longer has it), "+
			"and that is not cancelled already, can be closed in ccsub only. Nothing was changed.")
	}
	if err != nil {
		return err
	}
	return a.answerCall(w, r, http.StatusOK, call, &sub.ID, false)
}

// callError turns what a modify or cancel returned into the API's error,
// or nil when there is a recorded call to answer with.
func callError(call domain.Call, err error) error {
	if errors.Is(err, subscribe.ErrNotActive) {
		return httpkit.Fail(http.StatusConflict, "This subscription is not active on the gateway (cancelled, or its register got no answer); there is nothing to change.")
	}
	if domain.CallFailed(call, err) {
		return err
	}
	return nil
}
