package apptest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// RegisterForm is a valid register form for the env's gateway, with a
// fresh token and one-time key.
func (e *Env) RegisterForm() url.Values {
	return url.Values{
		"gateway":            {strconv.FormatInt(e.Gw.ID, 10)},
		"subscribeType":      {"1"},
		"serviceToken":       {"tok-" + Uniq("secret")},
		"serviceCallBackUri": {"https://crm.example.com/cc"},
		"nlpFlag":            {"true"},
		"flowAccessCode":     {"8001"},
		"idempotencyKey":     {Uniq("key")},
	}
}

// RegisterJSON is a valid API register body for the env's gateway.
func (e *Env) RegisterJSON(token string) string {
	return fmt.Sprintf(`{"gateway": %d, "subscribeType": "1", "serviceToken": %q,
		"serviceCallBackUri": "https://crm.example.com/cc", "nlpFlag": true, "flowAccessCode": "8001"}`, e.Gw.ID, token)
}

// CallIDFrom is the call a form's 303 leads to.
func CallIDFrom(t *testing.T, res *http.Response) int64 {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/calls/"), 10, 64)
	if err != nil || !strings.HasPrefix(loc, "/calls/") {
		t.Fatalf("redirect to %q, want /calls/{id}", loc)
	}
	return id
}

// SubscriptionIDFrom is the subscription a form's 303 leads to (a
// register the gateway granted).
func SubscriptionIDFrom(t *testing.T, res *http.Response) int64 {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/subscriptions/"), 10, 64)
	if err != nil || !strings.HasPrefix(loc, "/subscriptions/") {
		t.Fatalf("redirect to %q, want /subscriptions/{id}", loc)
	}
	return id
}

// RegisterCallFrom is the register call behind the register form's 303:
// the call itself when it leads to the call's page (the gateway granted
// nothing, or the form was sent twice), or the call that registered the
// subscription it leads to.
func (e *Env) RegisterCallFrom(t *testing.T, res *http.Response) int64 {
	t.Helper()
	if !strings.HasPrefix(res.Header.Get("Location"), "/subscriptions/") {
		return CallIDFrom(t, res)
	}
	sub, err := e.St.Subscription(context.Background(), SubscriptionIDFrom(t, res))
	if err != nil {
		t.Fatal(err)
	}
	return sub.RegisterCallID
}

// Registered registers from the form as c (edit changes the form first)
// and returns the subscription the register left: the one the gateway
// granted, or an unknown one when its answer was lost.
func (e *Env) Registered(c *http.Client, edit func(url.Values)) domain.Subscription {
	e.T.Helper()
	f := e.RegisterForm()
	if edit != nil {
		edit(f)
	}
	id := e.RegisterCallFrom(e.T, e.Post(c, "/subscriptions", f))
	call, err := e.St.Call(context.Background(), id)
	if err != nil || call.SubscriptionID == nil {
		e.T.Fatalf("register call %d: %v, subscription %v", id, err, call.SubscriptionID)
	}
	sub, err := e.St.Subscription(context.Background(), *call.SubscriptionID)
	if err != nil {
		e.T.Fatal(err)
	}
	return sub
}

// AuditEntries are the newest 200 entries of an action whose target has
// the name.
func (e *Env) AuditEntries(action domain.AuditAction, name string) []domain.AuditEntry {
	e.T.Helper()
	page, err := e.St.ListAudit(context.Background(), domain.AuditFilter{Action: action}, domain.PageRequest{Limit: 200})
	if err != nil {
		e.T.Fatal(err)
	}
	var out []domain.AuditEntry
	for _, en := range page.Entries {
		if en.TargetName == name {
			out = append(out, en)
		}
	}
	return out
}

// OKBody is a push the receiver accepts for s.
func OKBody(s ReceiverSub) string { return PushJSON(s.ServerID, "call-ok", "hello") }

// RightToken sends s's own service token.
func RightToken(s ReceiverSub) PushOpts {
	return PushOpts{Tokens: []string{s.Token}}
}

// URI is a valid callback address of n characters.
func URI(n int) string {
	base := "https://crm.example.com/"
	return base + strings.Repeat("a", n-len(base))
}
