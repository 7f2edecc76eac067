package form

import (
	"context"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"ccsub/internal/domain"
)

// The fuzz targets below read a form from an arbitrary query string, as a
// crafted request would send it (repeated, missing and percent-encoded
// fields included). Each checks that parsing and validating never panic,
// that every error is keyed by a field of that form with a message fit to
// show, and that what is accepted comes back the same when sent again the
// way a browser would send it.

const fuzzPublicURL = "https://ccsub.example.com"

// fuzzValues is the form a raw query string carries; a malformed part is
// skipped, as net/http does.
func fuzzValues(raw string) url.Values {
	v, _ := url.ParseQuery(raw)
	return v
}

// checkErrors fails unless every error names one of fields and says
// something printable.
func checkErrors(t *testing.T, errs Errors, fields ...string) {
	t.Helper()
	for k, msg := range errs {
		if !containsString(fields, k) {
			t.Errorf("error keyed %q, which is not a field of this form (%v): %q", k, fields, msg)
		}
		if msg == "" || !utf8.ValidString(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
			t.Errorf("error for %q is empty, invalid UTF-8 or holds control characters: %q", k, msg)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkbox is how a browser sends a ticked box.
func setBox(v url.Values, name string, on bool) {
	if on {
		v.Set(name, "true")
	}
}

var subscriptionFields = []string{"gateway", "subscribeType", "serviceToken", "serviceCallBackUri", "nlpFlag",
	"flowAccessCode", "idempotencyKey", "useReceiver", "receiverKey", "autoReregister"}

func FuzzSubscriptionForm(f *testing.F) {
	f.Add("gateway=1&subscribeType=1&serviceCallBackUri=https%3A%2F%2Fcrm.example.com%2Fcc&serviceToken=tok-1&idempotencyKey=k1")
	f.Add("gateway=2&subscribeType=1&useReceiver=true&receiverKey=AAAAAAAAAAAAAAAAAAAAAA&serviceToken=t&nlpFlag=true&flowAccessCode=x")
	f.Add("gateway=1&gateway=2&subscribeType=2&serviceCallBackUri=http://x&nlpFlag=on&autoReregister=true&flowAccessCode=%E2%80%8B")
	f.Add("gateway=-1&subscribeType=+1+&serviceCallBackUri=+https://10.1.2.3:0/a%0d%0a&serviceToken=a%20b&receiverKey=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		v := fuzzValues(raw)
		first := ParseSubscription(context.Background(), v)
		first.ReceiverBase = fuzzPublicURL
		sent := first // the values as typed, before Validate fills the receiver's address
		if !first.Validate(context.Background()) {
			checkErrors(t, first.Errors, subscriptionFields...)
			return
		}
		if first.GatewayID <= 0 || first.SubscribeType != "1" || CheckServiceToken(context.Background(), first.ServiceToken) != "" {
			t.Fatalf("accepted %+v", first)
		}
		again := url.Values{"gateway": {sent.Gateway}, "subscribeType": {sent.SubscribeType}, "serviceToken": {sent.ServiceToken},
			"serviceCallBackUri": {sent.ServiceCallBackURI}, "flowAccessCode": {sent.FlowAccessCode},
			"idempotencyKey": {sent.IdempotencyKey}, "receiverKey": {sent.ReceiverKey}}
		setBox(again, "useReceiver", sent.UseReceiver)
		setBox(again, "autoReregister", sent.AutoReregister)
		setBox(again, "nlpFlag", sent.NLPFlag)
		second := ParseSubscription(context.Background(), again)
		second.ReceiverBase = fuzzPublicURL
		if !second.Validate(context.Background()) {
			t.Fatalf("accepted once, refused when sent again: %v", second.Errors)
		}
		if first.GatewayID != second.GatewayID || first.ServiceCallBackURI != second.ServiceCallBackURI ||
			first.ServiceToken != second.ServiceToken || first.FlowAccessCode != second.FlowAccessCode ||
			first.NLPFlag != second.NLPFlag || first.Receiver() != second.Receiver() || first.AutoReregister != second.AutoReregister {
			t.Fatalf("sent again, the form changed:\n%+v\n%+v", first, second)
		}
	})
}

var modifyFields = []string{"serviceCallBackUri", "nlpFlag", "flowAccessCode", "useReceiver", "receiverKey"}

func FuzzModifyForm(f *testing.F) {
	f.Add("serviceCallBackUri=https%3A%2F%2Fcrm.example.com%2Fcc&nlpFlag=true&flowAccessCode=abc", true)
	f.Add("useReceiver=true&receiverKey=AAAAAAAAAAAAAAAAAAAAAA", true)
	f.Add("serviceCallBackUri=https://crm.example.com/a&serviceCallBackUri=https://b&useReceiver=yes&flowAccessCode=x", false)
	f.Fuzz(func(t *testing.T, raw string, hasToken bool) {
		m := ParseModify(context.Background(), fuzzValues(raw))
		m.ReceiverBase, m.HasToken = fuzzPublicURL, hasToken
		if !m.Validate(context.Background()) {
			fields := modifyFields
			if m.UseReceiver && !hasToken && m.Errors["useReceiver"] == "" {
				t.Errorf("receiver without a token refused without a useReceiver message: %v", m.Errors)
			}
			checkErrors(t, m.Errors, fields...)
			return
		}
		if m.UseReceiver && !hasToken {
			t.Fatalf("accepted ccsub's receiver for a subscription without a token: %+v", m)
		}
		if !m.UseReceiver && checkHTTPSURL(context.Background(), m.ServiceCallBackURI, domain.MaxCallbackURI) != "" {
			t.Fatalf("accepted callback %q", m.ServiceCallBackURI)
		}
	})
}

var gatewayFields = []string{"name", "baseUrl", "agentId", "password", "caPem"}

func FuzzGatewayForm(f *testing.F) {
	f.Add("name=Gateway+A&baseUrl=https%3A%2F%2F10.1.2.3%3A8043%2F&agentId=100001&password=pw", false)
	f.Add("name=A&baseUrl=https://gw.example.com?x=1&agentId=0&caPem=-----BEGIN+CERTIFICATE-----%0Ax%0A-----END+CERTIFICATE-----", true)
	f.Add("name=%E2%80%AEx&name=y&baseUrl=https://0x7f.1&agentId=99999999999&password=%00", false)
	f.Fuzz(func(t *testing.T, raw string, editing bool) {
		g := ParseGateway(t.Context(), fuzzValues(raw), editing)
		sent := g
		if !g.Validate(t.Context()) {
			checkErrors(t, g.Errors, gatewayFields...)
			return
		}
		if g.Agent < 1 || g.Agent > MaxAgentID || strings.HasSuffix(g.BaseURL, "/") || (g.Password == "" && !editing) {
			t.Fatalf("accepted %+v", g)
		}
		again := ParseGateway(t.Context(), url.Values{"name": {sent.Name}, "baseUrl": {sent.BaseURL}, "agentId": {sent.AgentID},
			"password": {sent.Password}, "caPem": {sent.CAPEM}}, editing)
		if !again.Validate(t.Context()) {
			t.Fatalf("accepted once, refused when sent again: %v", again.Errors)
		}
		if again.Name != g.Name || again.BaseURL != g.BaseURL || again.Agent != g.Agent || again.CAPEM != g.CAPEM {
			t.Fatalf("sent again, the form changed:\n%+v\n%+v", g, again)
		}
	})
}

func FuzzUserForm(f *testing.F) {
	f.Add("username=alice&role=admin&password=a+long+enough+password")
	f.Add("username=al+ice&role=boss&password=short")
	f.Add("username=%E2%80%8Balice&username=bob&role=auditor&role=admin")
	f.Fuzz(func(t *testing.T, raw string) {
		u := ParseUser(t.Context(), fuzzValues(raw))
		if !u.ValidateNew(t.Context()) {
			checkErrors(t, u.Errors, "username", "role", "password")
			return
		}
		if CheckUsername(t.Context(), u.Username) != "" || !domain.Role(u.Role).Valid() {
			t.Fatalf("accepted %+v", u)
		}
		again := ParseUser(t.Context(), url.Values{"username": {u.Username}, "role": {u.Role}, "password": {u.Password}})
		if !again.ValidateNew(t.Context()) || again.Username != u.Username || again.Role != u.Role || again.Password != u.Password {
			t.Fatalf("sent again, the form changed or was refused:\n%+v\n%+v", u, again)
		}
	})
}

func FuzzTokenForm(f *testing.F) {
	f.Add("name=reporting&role=auditor&days=30")
	f.Add("name=&role=root&days=0")
	f.Add("name=a&name=b&role=admin&days=%2B365&days=1")
	f.Add("name=x&role=operator&days=99999999999999999999")
	f.Fuzz(func(t *testing.T, raw string) {
		tk := ParseToken(t.Context(), fuzzValues(raw))
		if !tk.Validate(t.Context()) {
			checkErrors(t, tk.Errors, "name", "role", "days")
			return
		}
		if tk.DaysN < MinTokenDays || tk.DaysN > MaxTokenDays || !domain.Role(tk.Role).Valid() {
			t.Fatalf("accepted %+v", tk)
		}
	})
}

// browserPath is what a browser makes of a Location header before
// resolving it (WHATWG URL): it strips leading and trailing C0 controls
// and spaces, drops tabs and newlines anywhere, and reads \ as /.
func browserPath(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(s)
	return s
}

func FuzzLoginForm(f *testing.F) {
	f.Add("username=alice&password=pw&next=%2Fhistory%3Foutcome%3Dfailed")
	f.Add("username=&password=&next=%2F%2Fevil.example")
	f.Add("username=a&username=b&next=%2F%5Cevil.example")
	f.Add("next=https://evil.example/&password=" + strings.Repeat("x", 300))
	f.Add("next=%2F%09%2Fevil.example")
	f.Fuzz(func(t *testing.T, raw string) {
		l := ParseLogin(context.Background(), fuzzValues(raw))
		if !l.Validate(context.Background()) {
			checkErrors(t, l.Errors, "username", "password")
		}
		next := SafeNext(l.Next)
		if next == "/" {
			return
		}
		if next != l.Next || strings.HasPrefix(browserPath(next), "//") || !strings.HasPrefix(next, "/") {
			t.Fatalf("SafeNext(%q) = %q: a browser would leave the site", l.Next, next)
		}
		base, _ := url.Parse("https://ccsub.example.com/login")
		ref, err := url.Parse(next)
		if err != nil || base.ResolveReference(ref).Host != base.Host {
			t.Fatalf("SafeNext(%q) = %q leaves the host", l.Next, next)
		}
	})
}

var callQueryFields = []string{"retcode", "outcome", "operation", "gateway", "serverId", "callback", "message", "from", "to"}

func FuzzCallQuery(f *testing.F) {
	f.Add("retcode=107-027&outcome=rejected&operation=register&serverId=2014&callback=crm&from=2026-01-01&to=2026-01-31")
	f.Add("serverId=2014*&message=handshake%20failed&callback=ab")
	f.Add("serverId=*&message=%7F")
	f.Add("outcome=pending&from=2026-02-30&to=2026-01-01&retcode=%00")
	f.Add("from=2026-01-02&to=2026-01-01&callback=" + strings.Repeat("a", 201))
	f.Fuzz(func(t *testing.T, raw string) {
		fv, filter, errs := ParseCallQuery(context.Background(), fuzzValues(raw))
		if len(errs) > 0 {
			checkErrors(t, errs, callQueryFields...)
			return
		}
		if !filter.From.IsZero() && !filter.To.IsZero() && !filter.From.Before(filter.To) {
			t.Fatalf("accepted an empty date range %v–%v", filter.From, filter.To)
		}
		fv2, filter2, errs2 := ParseCallQuery(context.Background(), fv.Values())
		if len(errs2) > 0 || fv2 != fv || !sameCallFilter(filter, filter2) {
			t.Fatalf("the filters' own query string reads differently:\n%+v %+v\n%+v %+v %v", fv, filter, fv2, filter2, errs2)
		}
	})
}

func sameCallFilter(a, b domain.CallFilter) bool {
	return a.Retcode == b.Retcode && a.Outcome == b.Outcome && a.Operation == b.Operation && a.ServerID == b.ServerID &&
		a.ServerIDPrefix == b.ServerIDPrefix && a.CallbackContains == b.CallbackContains &&
		a.MessageContains == b.MessageContains && a.From.Equal(b.From) && a.To.Equal(b.To)
}

var auditQueryFields = []string{"actor", "action", "target_type", "target_id", "from", "to", "before", "after"}

func FuzzAuditQuery(f *testing.F) {
	f.Add("actor=alice&action=login&target_type=user&target_id=3&from=2026-01-01&to=2026-01-01")
	f.Add("target_id=3&actor=a%E2%80%8Bb&action=nope&target_type=planet")
	f.Add("actor=a&actor=b&before=1.2&before=3.4&from=x")
	f.Fuzz(func(t *testing.T, raw string) {
		fv, filter, errs := ParseAuditQuery(context.Background(), fuzzValues(raw))
		if len(errs) > 0 {
			checkErrors(t, errs, auditQueryFields...)
			return
		}
		if filter.TargetID != "" && filter.TargetType == "" {
			t.Fatalf("accepted a target id without a type: %+v", filter)
		}
		fv2, filter2, errs2 := ParseAuditQuery(context.Background(), fv.Values())
		if len(errs2) > 0 || fv2 != fv || filter2.Actor != filter.Actor || filter2.Action != filter.Action ||
			filter2.TargetType != filter.TargetType || filter2.TargetID != filter.TargetID ||
			!filter2.From.Equal(filter.From) || !filter2.To.Equal(filter.To) {
			t.Fatalf("the filters' own query string reads differently:\n%+v %+v\n%+v %+v %v", fv, filter, fv2, filter2, errs2)
		}
	})
}

func FuzzPage(f *testing.F) {
	f.Add("before=1767225600000000.42")
	f.Add("after=1.1&before=2.2")
	f.Add("before=-5.0&after=x")
	f.Add("after=9223372036854775807.9223372036854775807")
	f.Fuzz(func(t *testing.T, raw string) {
		p, msg := ParsePage(fuzzValues(raw), "calls")
		if msg != "" {
			return
		}
		if p.Before != nil && p.After != nil {
			t.Fatalf("a page going both ways was accepted: %+v", p)
		}
		for _, c := range []*domain.Cursor{p.Before, p.After} {
			if c != nil {
				checkCursorRoundTrip(t, *c)
			}
		}
	})
}

// FuzzCursor: every cursor ParseCursor accepts, and every cursor ccsub
// could put in a page link, is read back as itself.
func FuzzCursor(f *testing.F) {
	f.Add(int64(1767225600000000), int64(42), "1767225600000000.42")
	f.Add(int64(0), int64(1), "0.1")
	f.Add(int64(-1), int64(math.MaxInt64), "-1.9223372036854775807")
	f.Add(int64(math.MaxInt64), int64(7), "+1.+2")
	f.Fuzz(func(t *testing.T, us, id int64, raw string) {
		if c, err := ParseCursor(raw); err == nil {
			if c.ID <= 0 {
				t.Fatalf("ParseCursor(%q) accepted id %d", raw, c.ID)
			}
			checkCursorRoundTrip(t, *c)
		}
		if id > 0 {
			checkCursorRoundTrip(t, domain.Cursor{At: time.UnixMicro(us).UTC(), ID: id})
		}
	})
}

func checkCursorRoundTrip(t *testing.T, c domain.Cursor) {
	t.Helper()
	s := FormatCursor(c)
	back, err := ParseCursor(s)
	if err != nil || !back.At.Equal(c.At) || back.ID != c.ID {
		t.Fatalf("cursor %v/%d formatted as %q reads back as %+v (err %v)", c.At, c.ID, s, back, err)
	}
}
