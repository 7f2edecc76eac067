package form

import "net/url"

// Modify is the form that changes a subscription's callback address,
// semantic analysis and chatbot access code; the same rules as register.
type Modify struct {
	ServiceCallBackURI string
	NLPFlag            bool
	FlowAccessCode     string
	UseReceiver        bool
	ReceiverKey        string // the subscription's own, or a fresh one
	ReceiverBase       string
	HasToken           bool // the subscription has a token (the receiver needs one)
	Errors             Errors
}

// ParseModify reads the modify form; it never fails.
func ParseModify(v url.Values) Modify {
	f := Modify{
		ServiceCallBackURI: get(v, "serviceCallBackUri"),
		FlowAccessCode:     get(v, "flowAccessCode"),
		ReceiverKey:        get(v, "receiverKey"),
		Errors:             Errors{},
	}
	f.NLPFlag = checkbox(v, "nlpFlag", f.Errors)
	f.UseReceiver = checkbox(v, "useReceiver", f.Errors)
	duplicated(v, f.Errors, "serviceCallBackUri", "nlpFlag", "flowAccessCode", "useReceiver", "receiverKey")
	return f
}

// Validate applies the register form's rules to the fields modify sends.
func (f *Modify) Validate() bool {
	reg := Subscription{
		SubscribeType: "1", Gateway: "1", ServiceCallBackURI: f.ServiceCallBackURI, NLPFlag: f.NLPFlag,
		FlowAccessCode: f.FlowAccessCode, UseReceiver: f.UseReceiver, ReceiverKey: f.ReceiverKey,
		ReceiverBase: f.ReceiverBase, Errors: f.Errors,
	}
	if f.HasToken {
		reg.ServiceToken = "present" // the stored token satisfies the receiver's need for one
	}
	reg.validateCallback()
	reg.validateFlowAccessCode()
	if f.UseReceiver && !f.HasToken {
		f.Errors.Add("useReceiver", "This subscription has no service token, so ccsub's receiver could not check pushes. Use \"Replace\" to give it a token first.")
	}
	f.ServiceCallBackURI = reg.ServiceCallBackURI
	return len(f.Errors) == 0
}
