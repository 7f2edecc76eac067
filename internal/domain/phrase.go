package domain

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Phrase is one form of an English sentence ccsub stores for people to
// read later: a subscription's state reason, why the receiver refused a
// push, why ccsub did not send a call. The stored text stays English (the
// JSON API, the audit trail and the logs show it as it is); the console
// reads it back with ReadPhrase and says it in the viewer's language, so
// rows written before a translation existed are translated too.
//
// Key is the message ID of the catalog (area "phrase"); Args name the
// message's placeholders in the order of Format's verbs (%s, %d and %q
// only). The producers write with Say, so the stored form and the form
// read back are one string.
type Phrase struct {
	Key    string
	Format string
	Args   []string
}

// Say writes the phrase in English.
func (p Phrase) Say(args ...any) string { return fmt.Sprintf(p.Format, args...) }

// argPatterns narrow what an argument may match where a looser reading
// would take one form for another; any other argument matches anything.
var argPatterns = map[string]string{
	"Outcome": `success|rejected|failed|unknown|pending`,
	"Retcode": `[0-9]+(?:-[0-9]+)*`,
}

var phrasePatterns sync.Map // Format → *regexp.Regexp

// literal is the text before Format's first verb, and whether that is all
// of it: a phrase without one is compared, and a stored text that does not
// start with a phrase's literal part is not that phrase's. A history page
// reads a phrase back per row, mostly the first kind, and a regexp each
// for a list of phrases cost more than the rest of the row.
func (p Phrase) literal() (prefix string, whole bool) {
	at := strings.IndexByte(p.Format, '%')
	if at < 0 {
		return p.Format, true
	}
	return p.Format[:at], false
}

func (p Phrase) pattern() *regexp.Regexp {
	if re, ok := phrasePatterns.Load(p.Format); ok {
		return re.(*regexp.Regexp)
	}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rest, i := p.Format, 0
	for {
		at := strings.IndexByte(rest, '%')
		if at < 0 || at+1 >= len(rest) {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:at]))
		sub := `.*?`
		if i < len(p.Args) {
			if s, ok := argPatterns[p.Args[i]]; ok {
				sub = s
			}
		}
		switch rest[at+1] {
		case 'd':
			sub = `-?[0-9]+`
		case 'q':
			sub = `"(?:[^"\\]|\\.)*"`
		}
		b.WriteString("(" + sub + ")")
		rest, i = rest[at+2:], i+1
	}
	b.WriteString(`$`)
	re := regexp.MustCompile(b.String())
	phrasePatterns.Store(p.Format, re)
	return re
}

// ReadPhrase finds which of phrases wrote s, and its arguments by name;
// ok is false for text no phrase wrote (a reason written by hand, or by an
// older ccsub), which is then shown as it is.
func ReadPhrase(s string, phrases []Phrase) (p Phrase, args map[string]string, ok bool) {
	for _, p := range phrases {
		switch prefix, whole := p.literal(); {
		case whole && s == prefix:
			return p, nil, true
		case whole, !strings.HasPrefix(s, prefix):
			continue
		}
		m := p.pattern().FindStringSubmatch(s)
		if m == nil {
			continue
		}
		args = make(map[string]string, len(p.Args))
		for i, name := range p.Args {
			args[name] = m[i+1]
		}
		return p, args, true
	}
	return Phrase{}, nil, false
}

// Why a subscription is in its state (Subscription.StateReason). A more
// specific form comes before a looser one.
var (
	ReasonRegistered       = Phrase{"phrase.state.registered", "registered", nil}
	ReasonRegisterNoAnswer = Phrase{"phrase.state.register_no_answer", "the register got no answer; the gateway may have created it", nil}
	ReasonGrantedLate      = Phrase{"phrase.state.granted_late",
		"the gateway granted serverId %s at %s; its answer was recorded late, as the database was unavailable", []string{"ServerID", "At"}}
	ReasonCancelledBy = Phrase{"phrase.state.cancelled_by", "cancelled by %s", []string{"Who"}}
	ReasonReplacedBy  = Phrase{"phrase.state.replaced_by", "replaced by serverId %s (new token)", []string{"ServerID"}}
	ReasonClosedOnly  = Phrase{"phrase.state.closed_only",
		"closed in ccsub only by %s: the gateway answered %s (it no longer has this subscription) to unregister call #%d",
		[]string{"Who", "Retcode", "CallID"}}
	ReasonFoundNone       = Phrase{"phrase.state.found_none", "%s found no such subscription on the gateway", []string{"Who"}}
	ReasonFoundAs         = Phrase{"phrase.state.found_as", "%s found it on the gateway as serverId %s", []string{"Who", "ServerID"}}
	ReasonHandshakeOK     = Phrase{"phrase.state.handshake_ok", "handshake succeeded", nil}
	ReasonHandshakeCode   = Phrase{"phrase.state.handshake_code", "handshake %s: %s (%s)", []string{"Outcome", "Retcode", "Meaning"}}
	ReasonHandshakeAnswer = Phrase{"phrase.state.handshake_answer", "handshake %s: %s %s", []string{"Outcome", "Retcode", "Message"}}
	ReasonHandshakeError  = Phrase{"phrase.state.handshake_error", "handshake %s: %s", []string{"Outcome", "Error"}}
	ReasonHandshakeHTTP   = Phrase{"phrase.state.handshake_http", "handshake %s (HTTP %d)", []string{"Outcome", "Status"}}
	ReasonLapsed          = Phrase{"phrase.state.lapsed",
		"no successful handshake for %s (the platform drops a subscription after that): %s", []string{"Limit", "Reason"}}
)

// StateReasons are the forms of a subscription's state reason.
var StateReasons = []Phrase{ReasonRegistered, ReasonRegisterNoAnswer, ReasonGrantedLate, ReasonCancelledBy, ReasonReplacedBy,
	ReasonClosedOnly, ReasonFoundNone, ReasonFoundAs, ReasonHandshakeOK, ReasonHandshakeCode, ReasonHandshakeAnswer,
	ReasonHandshakeHTTP, ReasonHandshakeError, ReasonLapsed}

// Why the receiver refused a push (Notification.Reason); the receiver
// answers the platform with the same English words.
var (
	PushNoSubscription  = Phrase{"phrase.push.no_subscription", "no subscription has this receiver address", nil}
	PushLookupFailed    = Phrase{"phrase.push.lookup_failed", "ccsub could not look up the receiver address; send it again", nil}
	PushTooLarge        = Phrase{"phrase.push.too_large", "the body is larger than 64 KiB", nil}
	PushContentType     = Phrase{"phrase.push.content_type", "Content-Type must be application/json; charset=UTF-8", nil}
	PushOtherServerID   = Phrase{"phrase.push.other_server_id", "serverid %s is not this receiver's subscription (%s)", []string{"Got", "ServerID"}}
	PushTokenTwice      = Phrase{"phrase.push.token_twice", "service_token was sent more than once", nil}
	PushTokenUnexpected = Phrase{"phrase.push.token_unexpected", "service_token was sent, but this subscription was registered without one", nil}
	PushTokenMissing    = Phrase{"phrase.push.token_missing", "service_token is missing", nil}
	PushTokenUnreadable = Phrase{"phrase.push.token_unreadable", "ccsub could not open the stored service token", nil}
	PushTokenWrong      = Phrase{"phrase.push.token_wrong", "service_token does not match this subscription's token", nil}
	PushStoreFailed     = Phrase{"phrase.push.store_failed", "ccsub could not store the notification; send it again", nil}
	PushEmpty           = Phrase{"phrase.push.empty", "the body is empty; want one JSON object", nil}
	PushNotObject       = Phrase{"phrase.push.not_object", "the body must be one JSON object", nil}
	PushNotUTF8         = Phrase{"phrase.push.not_utf8", "the body is not valid UTF-8", nil}
	PushInvalid         = Phrase{"phrase.push.invalid", "the body is not a valid notification: %s", []string{"Detail"}}
	PushTrailing        = Phrase{"phrase.push.trailing", "the body must be one JSON object, with nothing after it", nil}
	PushNoServerID      = Phrase{"phrase.push.no_server_id", "serverid is missing", nil}
	PushNLPNotObject    = Phrase{"phrase.push.nlp_not_object", "nlpResult must be an object", nil}
)

// PushRefusals are the forms of a refused push's reason.
var PushRefusals = []Phrase{PushNoSubscription, PushLookupFailed, PushTooLarge, PushContentType, PushOtherServerID,
	PushTokenTwice, PushTokenUnexpected, PushTokenMissing, PushTokenUnreadable, PushTokenWrong, PushStoreFailed, PushEmpty,
	PushNotObject, PushNotUTF8, PushInvalid, PushTrailing, PushNoServerID, PushNLPNotObject}

// Why ccsub did not send a call (Call.NotSentReason), as the gateway
// client words it. The generic "…; nothing was sent" comes after the forms
// that end that way themselves.
var (
	NotSentNoServerID     = Phrase{"phrase.not_sent.no_server_id", "no serverId given; nothing was sent", nil}
	NotSentAddressInvalid = Phrase{"phrase.not_sent.address_invalid", "the gateway address is not a valid URL (expected https://host:port)", nil}
	NotSentAddressScheme  = Phrase{"phrase.not_sent.address_scheme", "the gateway address must start with https:// (got %q)", []string{"Scheme"}}
	NotSentAddressPort    = Phrase{"phrase.not_sent.address_port", "the gateway address has an invalid port %q", []string{"Port"}}
	NotSentCABundle       = Phrase{"phrase.not_sent.ca_bundle", "the CA bundle configured for this gateway contains no valid PEM certificate", nil}
	NotSentNotIPPort      = Phrase{"phrase.not_sent.not_ip_port", "refused to connect to %s: not an IP address and port", []string{"Address"}}
	NotSentNeverCalled    = Phrase{"phrase.not_sent.never_called",
		"refused to connect to %s: the address is %s, which ccsub never calls whatever %s says; nothing was sent", []string{"Address", "What", "Setting"}}
	NotSentNotInNetworks = Phrase{"phrase.not_sent.not_in_networks",
		"refused to connect to %s: the address is not in the gateway networks (%s=%s); nothing was sent. If this really is a gateway, add its network to %s",
		[]string{"Address", "Setting", "Networks", "Setting"}}
	NotSentLoginRefusedLocking = Phrase{"phrase.not_sent.login_refused_locking",
		"the gateway refused the login (%s: %s); the %s request was not sent. ccsub does not retry it: the gateway locks the account after repeated wrong passwords",
		[]string{"Retcode", "Message", "Op"}}
	NotSentLoginRefused = Phrase{"phrase.not_sent.login_refused", "the gateway refused the login (%s: %s); the %s request was not sent",
		[]string{"Retcode", "Message", "Op"}}
	NotSentRememberedRefusal = Phrase{"phrase.not_sent.remembered_refusal",
		"the gateway refused this account and password earlier (%s: %s); ccsub does not try them again because the gateway locks the account after repeated wrong passwords. Fix them on the gateway page, or use Test connection",
		[]string{"Retcode", "Message"}}
	NotSentLoginFailed = Phrase{"phrase.not_sent.login_failed", "login failed, so the %s request was not sent: %s", []string{"Op", "Cause"}}
	NotSentNothingSent = Phrase{"phrase.not_sent.nothing_sent", "%s; nothing was sent", []string{"Cause"}}
	NotSentNoReason    = Phrase{"phrase.not_sent.no_reason", "no reason was recorded", nil}
)

// NotSentReasons are the forms of a not-sent call's reason.
var NotSentReasons = []Phrase{NotSentNoServerID, NotSentAddressInvalid, NotSentAddressScheme, NotSentAddressPort, NotSentCABundle,
	NotSentNotIPPort, NotSentNeverCalled, NotSentNotInNetworks, NotSentLoginRefusedLocking, NotSentLoginRefused,
	NotSentRememberedRefusal, NotSentLoginFailed, NotSentNothingSent, NotSentNoReason}

// NoGatewayMessage stands in a reason for the gateway's message when it
// sent none.
const NoGatewayMessage = "no message"
