package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// uri returns an https callback URI of exactly n characters.

func TestRegisterFormRulesAtTheirBoundaries(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string // "" means the form is valid and is sent
	}{
		{"a callback URI of 200 characters is accepted", func(v url.Values) { v.Set("serviceCallBackUri", apptest.URI(200)) }, ""},
		{"a callback URI of 201 characters is refused", func(v url.Values) { v.Set("serviceCallBackUri", apptest.URI(201)) }, "serviceCallBackUri"},
		{"a token of 256 characters is accepted", func(v url.Values) { v.Set("serviceToken", strings.Repeat("t", 256)) }, ""},
		{"a token of 257 characters is refused", func(v url.Values) { v.Set("serviceToken", strings.Repeat("t", 257)) }, "serviceToken"},
		{"no token at all is accepted", func(v url.Values) { v.Del("serviceToken") }, ""},
		{"a token with a space is refused", func(v url.Values) { v.Set("serviceToken", "two words") }, "serviceToken"},
		{"a token with a non-ASCII letter is refused", func(v url.Values) { v.Set("serviceToken", "tökén") }, "serviceToken"},
		{"a token with a newline is refused", func(v url.Values) { v.Set("serviceToken", "a\r\nX-Evil: 1") }, "serviceToken"},
		{"an http callback is refused", func(v url.Values) { v.Set("serviceCallBackUri", "http://crm.example.com/cc") }, "serviceCallBackUri"},
		{"a relative callback is refused", func(v url.Values) { v.Set("serviceCallBackUri", "/cc/callback") }, "serviceCallBackUri"},
		{"a callback with user-info is refused", func(v url.Values) { v.Set("serviceCallBackUri", "https://user:pw@crm.example.com/cc") }, "serviceCallBackUri"},
		{"a javascript: callback is refused", func(v url.Values) { v.Set("serviceCallBackUri", "javascript:alert(1)") }, "serviceCallBackUri"},
		{"a callback with a zero-width space is refused", func(v url.Values) { v.Set("serviceCallBackUri", "https://crm.example\u200b.com/cc") }, "serviceCallBackUri"},
		{"a missing callback is refused", func(v url.Values) { v.Del("serviceCallBackUri") }, "serviceCallBackUri"},
		{"a flow access code without nlpFlag is refused", func(v url.Values) { v.Del("nlpFlag") }, "flowAccessCode"},
		{"nlpFlag with a value other than true is refused", func(v url.Values) { v.Set("nlpFlag", "yes") }, "nlpFlag"},
		{"subscribeType 2 is refused", func(v url.Values) { v.Set("subscribeType", "2") }, "subscribeType"},
		{"a missing subscribeType is refused", func(v url.Values) { v.Del("subscribeType") }, "subscribeType"},
		{"a missing gateway is refused", func(v url.Values) { v.Del("gateway") }, "gateway"},
		{"an unknown gateway is refused", func(v url.Values) { v.Set("gateway", "999999999") }, "gateway"},
		{"a gateway that is not a number is refused", func(v url.Values) { v.Set("gateway", "1 OR 1=1") }, "gateway"},
		{"a field sent twice is refused", func(v url.Values) { v.Add("serviceCallBackUri", "https://other.example.com") }, "serviceCallBackUri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.T = t
			f := e.RegisterForm()
			tc.edit(f)
			before := len(e.Sim.RequestsFor("register"))
			res := e.Post(c, "/subscriptions", f)
			sent := len(e.Sim.RequestsFor("register")) - before
			if tc.field == "" {
				e.RegisterCallFrom(t, res)
				if sent != 1 {
					t.Errorf("valid form: %d registers sent, want 1", sent)
				}
				return
			}
			doc := e.Doc(res, http.StatusUnprocessableEntity)
			if sent != 0 {
				t.Errorf("invalid form: %d registers sent, want none", sent)
			}
			if msg := strings.TrimSpace(doc.Find("#" + tc.field + "-error").Text()); msg == "" {
				t.Errorf("no message beside %s", tc.field)
			}
			if tc.field != "serviceCallBackUri" {
				if got, _ := doc.Find("#serviceCallBackUri").Attr("value"); got != f.Get("serviceCallBackUri") {
					t.Errorf("callback not kept: %q", got)
				}
			}
			if tc.field != "gateway" {
				if got, _ := doc.Find("#gateway option[selected]").Attr("value"); got != f.Get("gateway") {
					t.Errorf("gateway choice not kept: %q", got)
				}
			}
		})
	}
	valid := 0
	for _, tc := range cases {
		if tc.field == "" {
			valid++
		}
	}
	if e.T = t; len(e.Sim.RequestsFor("register")) != valid {
		t.Errorf("simulator saw %d registers, want exactly the %d valid forms", len(e.Sim.RequestsFor("register")), valid)
	}
}
