package form

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

// MaxFlowAccessCode is not pinned by the vendor; see docs/decisions.md.
const MaxFlowAccessCode = 64

// NoOneTimeKey is the answer (400) to a register or replace form posted
// without its one-time key, or with an empty one; page names the page the
// form is on ("register", "subscription"). Every page that offers such a
// form renders a key, so a form without one did not come from the page as
// it is now, and sending it could not be made safe to repeat.
func NoOneTimeKey(ctx context.Context, page string) string {
	if page == "register" {
		return i18n.T(ctx, "subscriptions.form.no_key_register")
	}
	return i18n.T(ctx, "subscriptions.form.no_key_subscription")
}

// OneTimeKeySpent is shown on a form whose one-time key was already used
// for a submit with other values: the first submit stands, this one was
// not sent, and the form comes back with a new key.
func OneTimeKeySpent(ctx context.Context) string {
	return i18n.T(ctx, "subscriptions.form.key_spent")
}

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

// ParseSubscription reads the register form; it never fails. Its
// messages are in the language of ctx.
func ParseSubscription(ctx context.Context, v url.Values) Subscription {
	f := Subscription{
		Gateway: v.Get("gateway"), SubscribeType: v.Get("subscribeType"), ServiceToken: v.Get("serviceToken"),
		ServiceCallBackURI: v.Get("serviceCallBackUri"), FlowAccessCode: v.Get("flowAccessCode"),
		IdempotencyKey: get(v, "idempotencyKey"), ReceiverKey: get(v, "receiverKey"), Errors: Errors{},
	}
	f.Normalize()
	f.UseReceiver = checkbox(ctx, v, "useReceiver", f.Errors)
	f.AutoReregister = checkbox(ctx, v, "autoReregister", f.Errors)
	f.NLPFlag = checkbox(ctx, v, "nlpFlag", f.Errors)
	duplicated(ctx, v, f.Errors, "gateway", "subscribeType", "serviceToken", "serviceCallBackUri", "nlpFlag", "flowAccessCode",
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
func checkbox(ctx context.Context, v url.Values, name string, errs Errors) bool {
	raw, ok := v[name]
	if !ok || len(raw) == 0 {
		return false
	}
	if raw[0] != "true" {
		errs.Add(name, i18n.Tf(ctx, "subscriptions.form.checkbox", i18n.D{"Got": strconv.Quote(truncate(raw[0], 20))}))
		return false
	}
	return true
}

// Validate checks every rule of the contract and reports whether the form
// may be sent to the gateway. Its messages are in the language of ctx.
func (f *Subscription) Validate(ctx context.Context) bool {
	f.validateGateway(ctx)
	switch {
	case f.SubscribeType == "":
		f.Errors.Add("subscribeType", i18n.T(ctx, "subscriptions.form.type_required"))
	case f.SubscribeType != "1":
		f.Errors.Add("subscribeType", i18n.T(ctx, "subscriptions.form.type_reserved"))
	}
	f.validateCallback(ctx)
	if msg := CheckServiceToken(ctx, f.ServiceToken); msg != "" {
		f.Errors.Add("serviceToken", msg)
	}
	f.validateFlowAccessCode(ctx)
	if len(f.IdempotencyKey) > 100 {
		f.Errors.Add("idempotencyKey", i18n.T(ctx, "subscriptions.form.key_malformed"))
	}
	return len(f.Errors) == 0
}

func (f *Subscription) validateCallback(ctx context.Context) {
	if f.UseReceiver {
		f.ServiceCallBackURI = domain.ReceiverURL(f.ReceiverBase, f.ReceiverKey)
		switch {
		case !validReceiverKey(f.ReceiverKey):
			f.Errors.Add("useReceiver", i18n.T(ctx, "subscriptions.form.receiver_key_malformed"))
		case f.ServiceToken == "":
			f.Errors.Add("serviceToken", i18n.T(ctx, "subscriptions.form.receiver_needs_token"))
		default:
			if msg := checkReceiverURL(ctx, f.ServiceCallBackURI); msg != "" {
				f.Errors.Add("useReceiver", msg)
			}
		}
		return
	}
	if f.ServiceCallBackURI == "" {
		f.Errors.Add("serviceCallBackUri", i18n.T(ctx, "subscriptions.form.callback_required"))
	} else if msg := checkHTTPSURL(ctx, f.ServiceCallBackURI, domain.MaxCallbackURI); msg != "" {
		f.Errors.Add("serviceCallBackUri", msg)
	}
}

func (f *Subscription) validateGateway(ctx context.Context) {
	if f.Gateway == "" {
		f.Errors.Add("gateway", i18n.T(ctx, "subscriptions.form.gateway_required"))
		return
	}
	id, err := strconv.ParseInt(f.Gateway, 10, 64)
	if err != nil || id <= 0 {
		f.Errors.Add("gateway", i18n.T(ctx, "subscriptions.form.gateway_from_list"))
		return
	}
	f.GatewayID = id
}

func (f *Subscription) validateFlowAccessCode(ctx context.Context) {
	code := f.FlowAccessCode
	switch {
	case code == "":
	case !f.NLPFlag:
		f.Errors.Add("flowAccessCode", i18n.T(ctx, "subscriptions.form.flow_needs_nlp"))
	case utf8.RuneCountInString(code) > MaxFlowAccessCode:
		f.Errors.Add("flowAccessCode", i18n.Tf(ctx, "subscriptions.form.too_long", i18n.D{"Max": MaxFlowAccessCode, "N": utf8.RuneCountInString(code)}))
	case badChar(ctx, code) != "":
		f.Errors.Add("flowAccessCode", i18n.Tf(ctx, "form.url.contains", i18n.D{"What": badChar(ctx, code)}))
	}
}

// CheckServiceToken returns a message when token breaks the contract's
// limit or cannot travel in the service_token header, or "".
func CheckServiceToken(ctx context.Context, token string) string {
	if token == "" {
		return ""
	}
	if !utf8.ValidString(token) {
		return i18n.T(ctx, "subscriptions.form.token_utf8")
	}
	if n := utf8.RuneCountInString(token); n > domain.MaxServiceToken {
		return i18n.Tf(ctx, "subscriptions.form.too_long", i18n.D{"Max": domain.MaxServiceToken, "N": n})
	}
	for i, r := range token {
		// The platform sends the token back in an HTTP header, so only
		// visible ASCII survives every proxy on the way.
		if r < 0x21 || r > 0x7e {
			return i18n.Tf(ctx, "subscriptions.form.token_char", i18n.D{"N": utf8.RuneCountInString(token[:i]) + 1, "Char": describeRune(ctx, r)})
		}
	}
	return ""
}

func describeRune(ctx context.Context, r rune) string {
	if r == ' ' {
		return i18n.T(ctx, "subscriptions.form.a_space")
	}
	return fmt.Sprintf("U+%04X", r)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
