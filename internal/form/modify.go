package form

import (
	"context"
	"net/url"
	"strings"

	"ccsub/internal/i18n"
)

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

// ParseModify reads the modify form; it never fails. Its messages are in
// the language of ctx.
func ParseModify(ctx context.Context, v url.Values) Modify {
	f := Modify{ServiceCallBackURI: v.Get("serviceCallBackUri"), FlowAccessCode: v.Get("flowAccessCode"),
		ReceiverKey: get(v, "receiverKey"), Errors: Errors{}}
	f.Normalize()
	f.NLPFlag = checkbox(ctx, v, "nlpFlag", f.Errors)
	f.UseReceiver = checkbox(ctx, v, "useReceiver", f.Errors)
	duplicated(ctx, v, f.Errors, "serviceCallBackUri", "nlpFlag", "flowAccessCode", "useReceiver", "receiverKey")
	return f
}

// Normalize trims what people paste around values. The API fills the
// form's fields and calls it too.
func (f *Modify) Normalize() {
	f.ServiceCallBackURI, f.FlowAccessCode = strings.TrimSpace(f.ServiceCallBackURI), strings.TrimSpace(f.FlowAccessCode)
	if f.Errors == nil {
		f.Errors = Errors{}
	}
}

// Receiver is the receiver key when ccsub's receiver is the callback
// target, or "".
func (f Modify) Receiver() string {
	if f.UseReceiver {
		return f.ReceiverKey
	}
	return ""
}

// Validate applies the register form's rules to the fields modify sends.
func (f *Modify) Validate(ctx context.Context) bool {
	reg := Subscription{
		SubscribeType: "1", Gateway: "1", ServiceCallBackURI: f.ServiceCallBackURI, NLPFlag: f.NLPFlag,
		FlowAccessCode: f.FlowAccessCode, UseReceiver: f.UseReceiver, ReceiverKey: f.ReceiverKey,
		ReceiverBase: f.ReceiverBase, Errors: f.Errors,
	}
	// The register rules ask for a token with the receiver; modify cannot
	// set one, so that case is answered below under useReceiver instead.
	reg.ServiceToken = "present"
	reg.validateCallback(ctx)
	reg.validateFlowAccessCode(ctx)
	if f.UseReceiver && !f.HasToken {
		f.Errors.Add("useReceiver", i18n.T(ctx, "subscriptions.form.receiver_no_token"))
	}
	f.ServiceCallBackURI = reg.ServiceCallBackURI
	return len(f.Errors) == 0
}

// MaxServerID bounds a serverId typed in by hand (the platform's look like
// "20140414172508-001-00101").
const MaxServerID = 64

// CheckServerID returns a message when id cannot be a serverId, or "".
func CheckServerID(ctx context.Context, id string) string {
	switch {
	case id == "":
		return i18n.T(ctx, "subscriptions.form.server_id_required")
	case len(id) > MaxServerID:
		return i18n.Tf(ctx, "subscriptions.form.server_id_too_long", i18n.D{"Max": MaxServerID})
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return i18n.T(ctx, "subscriptions.form.server_id_chars")
		}
	}
	return ""
}
