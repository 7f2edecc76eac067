package server

import (
	"errors"
	"net/http"
	"net/url"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/subscribe"
)

// modifyInput changes a subscription; a field left out keeps its value.
type modifyInput struct {
	ServiceCallBackURI *string `json:"serviceCallBackUri"`
	NLPFlag            *bool   `json:"nlpFlag"`
	FlowAccessCode     *string `json:"flowAccessCode"`
	UseReceiver        *bool   `json:"useReceiver"`
}

// values maps the body onto the modify form, starting from the current
// settings. A new callback address alone means "not the receiver".
func (in modifyInput) values(sub domain.Subscription) url.Values {
	uri, nlp, code, useRecv := sub.CallbackURI, sub.NLPFlag, sub.FlowAccessCode, sub.ReceiverKey != ""
	if in.ServiceCallBackURI != nil {
		uri, useRecv = *in.ServiceCallBackURI, false
	}
	if in.NLPFlag != nil {
		nlp = *in.NLPFlag
	}
	if in.FlowAccessCode != nil {
		code = *in.FlowAccessCode
	}
	if in.UseReceiver != nil {
		useRecv = *in.UseReceiver
	}
	v := url.Values{"serviceCallBackUri": {uri}, "flowAccessCode": {code}}
	checkboxes(v, map[string]bool{"nlpFlag": nlp, "useReceiver": useRecv})
	if useRecv {
		key := sub.ReceiverKey
		if key == "" {
			key = newReceiverKey()
		}
		v.Set("receiverKey", key)
	}
	return v
}

func (s *Server) apiModify(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	var in modifyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m := form.ParseModify(in.values(sub))
	m.ReceiverBase, m.HasToken = s.public, sub.TokenPresent
	valid := m.Validate()
	if in.UseReceiver != nil && *in.UseReceiver && in.ServiceCallBackURI != nil {
		m.Errors.Add("serviceCallBackUri", "Leave this out when useReceiver is true: ccsub's own receiver address is used.")
		valid = false
	}
	if !valid {
		return invalid(m.Errors)
	}
	key := ""
	if m.UseReceiver {
		key = m.ReceiverKey
	}
	u, _ := currentUser(r)
	mod := subscribe.ModifyInput{CallbackURI: m.ServiceCallBackURI, NLPFlag: m.NLPFlag, FlowAccessCode: m.FlowAccessCode, ReceiverKey: key}
	call, err := s.svc.Modify(r.Context(), u.Username, sub, mod)
	if err := s.callError(r, call, err); err != nil {
		return err
	}
	s.audit(r, subscriptionModified(sub, mod, call))
	return s.answerCall(w, r, http.StatusOK, call, &sub.ID, false)
}

// cancelInput names the serverId being cancelled, as the cancel page
// asks: a request built for another subscription cancels nothing.
type cancelInput struct {
	ConfirmServerID string `json:"confirmServerId"`
}

func (s *Server) apiCancel(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.subscription(r)
	if err != nil {
		return err
	}
	var in cancelInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ConfirmServerID != sub.ServerID || sub.ServerID == "" {
		return invalid(form.Errors{"confirmServerId": "Must be this subscription's serverId; nothing was cancelled."})
	}
	u, _ := currentUser(r)
	call, err := s.svc.Cancel(r.Context(), u.Username, sub, "cancelled by "+u.Username)
	if err := s.callError(r, call, err); err != nil {
		return err
	}
	s.audit(r, subscriptionCancelled(sub, s.reloaded(r, sub), call))
	return s.answerCall(w, r, http.StatusOK, call, &sub.ID, false)
}

// callError turns what a modify or cancel returned into the API's error,
// or nil when there is a recorded call to answer with.
func (s *Server) callError(r *http.Request, call domain.Call, err error) error {
	if errors.Is(err, subscribe.ErrNotActive) {
		return apiErr(http.StatusConflict, "This subscription is not active on the gateway (cancelled, or its register got no answer); there is nothing to change.")
	}
	if err != nil && call.ID == 0 {
		return err
	}
	if err != nil {
		s.log.Error("gateway call recorded with an error", "id", requestID(r), "call_id", call.ID, "err", err)
	}
	return nil
}
