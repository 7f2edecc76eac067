package form

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
)

// MaxFlowAccessCode is not pinned by the vendor; see docs/decisions.md.
const MaxFlowAccessCode = 64

// NoOneTimeKey is the answer (400) to a register or replace form posted
// without its one-time key, or with an empty one; page names the page the
// form is on ("register", "subscription"). Every page that offers such a
// form renders a key, so a form without one did not come from the page as
// it is now, and sending it could not be made safe to repeat.
func NoOneTimeKey(page string) string {
	return "This form has no one-time key: reload the " + page + " page and submit it again; nothing was sent."
}

// OneTimeKeySpent is shown on a form whose one-time key was already used
// for a submit with other values: the first submit stands, this one was
// not sent, and the form comes back with a new key.
const OneTimeKeySpent = "This form was already submitted with other values, and its one-time key is spent: nothing was sent this time. " +
	"The form now has a new key; check the values and submit again to send them as a new request."

// Subscription is the register form. Field names follow the API.
type Subscription struct {
	Gateway            string
	GatewayID          int64
	SubscribeType      string
	ServiceToken       string
	ServiceCallBackURI string
	NLPFlag            bool
	FlowAccessCode     string
	IdempotencyKey     string
	// UseReceiver makes ccsub itself the callback target: the callback
	// becomes ReceiverBase + "/receiver/" + ReceiverKey.
	UseReceiver    bool
	ReceiverKey    string
	ReceiverBase   string // CCSUB_PUBLIC_URL, set by the handler
	AutoReregister bool
	Errors         Errors
}

// ParseSubscription reads the register form; it never fails.
func ParseSubscription(v url.Values) Subscription {
	f := Subscription{
		Gateway: v.Get("gateway"), SubscribeType: v.Get("subscribeType"), ServiceToken: v.Get("serviceToken"),
		ServiceCallBackURI: v.Get("serviceCallBackUri"), FlowAccessCode: v.Get("flowAccessCode"),
		IdempotencyKey: get(v, "idempotencyKey"), ReceiverKey: get(v, "receiverKey"), Errors: Errors{},
	}
	f.Normalize()
	f.UseReceiver = checkbox(v, "useReceiver", f.Errors)
	f.AutoReregister = checkbox(v, "autoReregister", f.Errors)
	f.NLPFlag = checkbox(v, "nlpFlag", f.Errors)
	duplicated(context.TODO(), v, f.Errors, "gateway", "subscribeType", "serviceToken", "serviceCallBackUri", "nlpFlag", "flowAccessCode",
		"idempotencyKey", "useReceiver", "receiverKey", "autoReregister")
	return f
}

// Normalize trims what people paste around values; a token is exact. The
// API fills the form's fields and calls it too.
func (f *Subscription) Normalize() {
	f.Gateway, f.SubscribeType = strings.TrimSpace(f.Gateway), strings.TrimSpace(f.SubscribeType)
	f.ServiceCallBackURI, f.FlowAccessCode = strings.TrimSpace(f.ServiceCallBackURI), strings.TrimSpace(f.FlowAccessCode)
	if f.Errors == nil {
		f.Errors = Errors{}
	}
}

// Receiver is the receiver key when ccsub's receiver is the callback
// target, or "".
func (f Subscription) Receiver() string {
	if f.UseReceiver {
		return f.ReceiverKey
	}
	return ""
}

// checkbox reads a checkbox whose value is "true"; any other value is an
// error rather than a silent false.
func checkbox(v url.Values, name string, errs Errors) bool {
	raw, ok := v[name]
	if !ok || len(raw) == 0 {
		return false
	}
	if raw[0] != "true" {
		errs.Add(name, fmt.Sprintf("Must be ticked (value \"true\") or left out; got %q.", truncate(raw[0], 20)))
		return false
	}
	return true
}

// Validate checks every rule of the contract and reports whether the form
// may be sent to the gateway.
func (f *Subscription) Validate() bool {
	f.validateGateway()
	switch {
	case f.SubscribeType == "":
		f.Errors.Add("subscribeType", "Choose a subscription type.")
	case f.SubscribeType != "1":
		f.Errors.Add("subscribeType", "Only type 1 (recognition results) exists; other values are reserved by the platform.")
	}
	f.validateCallback()
	if msg := CheckServiceToken(f.ServiceToken); msg != "" {
		f.Errors.Add("serviceToken", msg)
	}
	f.validateFlowAccessCode()
	if len(f.IdempotencyKey) > 100 {
		f.Errors.Add("idempotencyKey", "The form's one-time key is malformed; reload the form.")
	}
	return len(f.Errors) == 0
}

func (f *Subscription) validateCallback() {
	if f.UseReceiver {
		f.ServiceCallBackURI = domain.ReceiverURL(f.ReceiverBase, f.ReceiverKey)
		switch {
		case !validReceiverKey(f.ReceiverKey):
			f.Errors.Add("useReceiver", "The form's receiver key is malformed; reload the form.")
		case f.ServiceToken == "":
			f.Errors.Add("serviceToken", "ccsub's receiver checks the token on every push: enter or generate one.")
		default:
			if msg := checkReceiverURL(f.ServiceCallBackURI); msg != "" {
				f.Errors.Add("useReceiver", msg)
			}
		}
		return
	}
	if f.ServiceCallBackURI == "" {
		f.Errors.Add("serviceCallBackUri", "Enter the address the platform pushes results to.")
	} else if msg := checkHTTPSURL(f.ServiceCallBackURI, domain.MaxCallbackURI); msg != "" {
		f.Errors.Add("serviceCallBackUri", msg)
	}
}

func (f *Subscription) validateGateway() {
	if f.Gateway == "" {
		f.Errors.Add("gateway", "Choose a gateway.")
		return
	}
	id, err := strconv.ParseInt(f.Gateway, 10, 64)
	if err != nil || id <= 0 {
		f.Errors.Add("gateway", "Choose a gateway from the list.")
		return
	}
	f.GatewayID = id
}

func (f *Subscription) validateFlowAccessCode() {
	code := f.FlowAccessCode
	switch {
	case code == "":
	case !f.NLPFlag:
		f.Errors.Add("flowAccessCode", "Only used with semantic analysis: tick \"Semantic analysis (nlpFlag)\" or clear this field.")
	case utf8.RuneCountInString(code) > MaxFlowAccessCode:
		f.Errors.Add("flowAccessCode", fmt.Sprintf("At most %d characters; this one has %d.", MaxFlowAccessCode, utf8.RuneCountInString(code)))
	case badChar(code) != "":
		f.Errors.Add("flowAccessCode", "Contains "+badChar(code)+".")
	}
}

// CheckServiceToken returns a message when token breaks the contract's
// limit or cannot travel in the service_token header, or "".
func CheckServiceToken(token string) string {
	if token == "" {
		return ""
	}
	if !utf8.ValidString(token) {
		return "Contains invalid UTF-8."
	}
	if n := utf8.RuneCountInString(token); n > domain.MaxServiceToken {
		return fmt.Sprintf("At most %d characters; this one has %d.", domain.MaxServiceToken, n)
	}
	for i, r := range token {
		// The platform sends the token back in an HTTP header, so only
		// visible ASCII survives every proxy on the way.
		if r < 0x21 || r > 0x7e {
			return fmt.Sprintf("Character %d (%s) cannot be sent in an HTTP header; use letters, digits and visible ASCII punctuation only.",
				utf8.RuneCountInString(token[:i])+1, describeRune(r))
		}
	}
	return ""
}

func describeRune(r rune) string {
	if r == ' ' {
		return "a space"
	}
	return fmt.Sprintf("U+%04X", r)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
