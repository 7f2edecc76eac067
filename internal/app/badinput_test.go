package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// badInput is one hostile or malformed request and the answer it must get:
// a 4xx (never a 500) with a message that names the problem.
type badInput struct {
	name   string
	send   func() (status int, msg string)
	status int
	msg    string // must appear in the message beside the field / in the JSON
}

// formField posts a form and returns the status and the message shown
// beside field (or in the page's alert when field is "").
func (e *testEnv) formField(c *http.Client, path string, v url.Values, field string) (int, string) {
	e.T.Helper()
	res := e.Post(c, path, v)
	body, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		e.T.Fatal(err)
	}
	return res.StatusCode, strings.TrimSpace(doc.Find("#" + field + "-error").Text())
}

// apiField sends a JSON request and returns the status and the message for
// field (or the top-level error when field is "").
func (e *testEnv) apiField(token, method, path, body, field string, headers ...string) (int, string) {
	e.T.Helper()
	a := e.Call(token, method, path, body, headers...)
	var m struct {
		Error  string            `json:"error"`
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(a.Body, &m)
	if field == "" {
		return a.Status, m.Error
	}
	return a.Status, m.Errors[field]
}

func TestThirtyBadInputsGetA4xxWithASpecificMessage(t *testing.T) {
	e := newEnv(t)
	operator, _ := e.User(domain.RoleOperator)
	admin, _ := e.User(domain.RoleAdmin)
	opToken, adminToken := e.Token(domain.RoleOperator), e.Token(domain.RoleAdmin)
	sub := e.NewReceiverSub(apptest.Uniq("tok"))
	gw := fmt.Sprint(e.Gw.ID)

	register := func(field string, edit func(url.Values)) func() (int, string) {
		return func() (int, string) {
			f := e.RegisterForm()
			edit(f)
			return e.formField(operator, "/subscriptions", f, field)
		}
	}
	gateway := func(field string, edit func(url.Values)) func() (int, string) {
		return func() (int, string) {
			f := url.Values{"name": {apptest.Uniq("gw")}, "baseUrl": {"https://10.1.2.3:8043"}, "agentId": {"100001"}, "password": {"pw-x"}}
			edit(f)
			return e.formField(admin, "/gateways", f, field)
		}
	}
	login := func(field string, v url.Values) func() (int, string) {
		return func() (int, string) { return e.formField(e.Anonymous(), "/login", v, field) }
	}
	api := func(token, method, path, body, field string, headers ...string) func() (int, string) {
		return func() (int, string) { return e.apiField(token, method, path, body, field, headers...) }
	}
	apiRegister := func(field, body string) func() (int, string) {
		return api(opToken, http.MethodPost, "/api/v1/subscriptions", body, field)
	}
	push := func(body string, o apptest.PushOpts) func() (int, string) {
		return func() (int, string) {
			r := e.SendPush(sub.PushPath(), body, o)
			return r.Status, r.Message
		}
	}
	goodPush := apptest.PushJSON(sub.ServerID, "call-1", "hello")
	set := func(k, v string) func(url.Values) { return func(f url.Values) { f.Set(k, v) } }

	cases := []badInput{
		// The register form.
		{"an overlong callback URI is refused with the limit", register("serviceCallBackUri", set("serviceCallBackUri", apptest.URI(201))), 422, "At most 200 characters; this one has 201"},
		{"a callback URI with a control character names it", register("serviceCallBackUri", set("serviceCallBackUri", "https://crm.example.com/a\x07b")), 422, "U+0007"},
		{"a callback URI with a right-to-left override names it", register("serviceCallBackUri", set("serviceCallBackUri", "https://crm.example.com/\u202egpj.exe")), 422, "U+202E"},
		{"a token with a zero-width space is refused", register("serviceToken", set("serviceToken", "tok\u200bxyz")), 422, "U+200B"},
		{"a checkbox with a value other than true is refused", register("nlpFlag", set("nlpFlag", "1")), 422, `Must be ticked (value "true") or left out; got "1"`},
		{"a gateway that is not a number is refused", register("gateway", set("gateway", "1; DROP TABLE calls")), 422, "Choose a gateway from the list."},
		{"a token sent twice is refused", register("serviceToken", func(f url.Values) { f.Add("serviceToken", "other") }), 422, "sent more than once"},
		{"a script payload in the callback is refused", register("serviceCallBackUri", set("serviceCallBackUri", `https://x.example.com/"><script>alert(1)</script>`)), 422, "percent-encode it"},
		{"a callback with another scheme is refused", register("serviceCallBackUri", set("serviceCallBackUri", "ftp://crm.example.com/cc")), 422, `this one uses "ftp"`},
		{"a callback with user-info is refused", register("serviceCallBackUri", set("serviceCallBackUri", "https://admin:pw@crm.example.com/cc")), 422, "user name or password"},
		{"a callback at the metadata address is refused", register("serviceCallBackUri", set("serviceCallBackUri", "https://169.254.169.254/latest/meta-data")), 422, "link-local"},
		{"a callback hiding a line break in percent-encoding is refused", register("serviceCallBackUri", set("serviceCallBackUri", "https://crm.example.com/a%0d%0aSet-Cookie:x")), 422, "once percent-decoded"},

		// Sign-in.
		{"an overlong user name is refused", login("username", url.Values{"username": {strings.Repeat("u", 65)}, "password": {"x"}}), 422, "at most 64 characters"},
		{"a user name with a zero-width space is refused", login("username", url.Values{"username": {"ad\u200bmin"}, "password": {"x"}}), 422, "without invisible characters"},
		{"a user name sent twice is refused", login("username", url.Values{"username": {"a", "b"}, "password": {"x"}}), 422, "sent more than once"},
		{"an overlong password is refused", login("password", url.Values{"username": {"admin"}, "password": {strings.Repeat("p", 300)}}), 422, "At most 256 bytes."},

		// The gateway page.
		{"a gateway name with an escape sequence is refused", gateway("name", set("name", "gw\x1b[31mred")), 422, "U+001B"},
		{"an overlong gateway name is refused", gateway("name", set("name", strings.Repeat("g", 65))), 422, "At most 64 characters; this one has 65"},
		{"a javascript: gateway address is refused", gateway("baseUrl", set("baseUrl", "javascript:alert(document.cookie)")), 422, `this one uses "javascript"`},
		{"a gateway address with user-info is refused", gateway("baseUrl", set("baseUrl", "https://root:toor@10.1.2.3:8043")), 422, "user name or password"},
		{"a gateway address spelled as one number is refused", gateway("baseUrl", set("baseUrl", "https://2852039166")), 422, "four decimal numbers"},
		{"an agent ID that is not a number is refused", gateway("agentId", set("agentId", "12abc")), 422, "Must be a whole number"},
		{"a private key pasted as CA bundle is refused", gateway("caPem", set("caPem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")), 422, "never a private key"},

		// The JSON API.
		{"a gateway id sent as a string is refused naming the field", apiRegister("gateway", `{"gateway":"1","subscribeType":"1","serviceCallBackUri":"https://crm.example.com/cc"}`), 400, "Must be a whole number, not a string"},
		{"a JSON field sent twice is refused", apiRegister("subscribeType", `{"gateway":`+gw+`,"subscribeType":"1","subscribeType":"2","serviceCallBackUri":"https://crm.example.com/cc"}`), 400, "Sent more than once"},
		{"an unknown JSON field is refused", apiRegister("__proto__", `{"__proto__":{"admin":true}}`), 400, "Unknown field"},
		{"a callback with user-info is refused by the API too", apiRegister("serviceCallBackUri", `{"gateway":`+gw+`,"subscribeType":"1","serviceCallBackUri":"https://u:p@crm.example.com/cc"}`), 422, "user name or password"},
		{"a form-encoded body is refused as not JSON", api(opToken, http.MethodPost, "/api/v1/subscriptions", "gateway=1&subscribeType=1", ""), 400, "The body must be a JSON object"},
		{"a file: gateway address is refused by the API", api(adminToken, http.MethodPost, "/api/v1/gateways", `{"name":"api-gw","baseUrl":"file:///etc/passwd","agentId":1,"password":"x"}`, "baseUrl"), 422, `this one uses "file"`},

		// The receiver (the platform's pushes).
		{"a push with the wrong content type is refused", push(goodPush, apptest.PushOpts{Tokens: []string{sub.Token}, ContentType: "text/html"}), 415, "Content-Type must be application/json"},
		{"a push with a number where an array belongs is refused", push(`{"serverid":"`+sub.ServerID+`","result":5}`, apptest.RightToken(sub)), 400, "result must be an array of objects, not number"},
		{"a push with service_token twice is refused", push(goodPush, apptest.PushOpts{Tokens: []string{sub.Token, sub.Token}}), 401, "service_token was sent more than once"},
		{"an overlong push is refused", push(`{"serverid":"`+sub.ServerID+`","x":"`+strings.Repeat("a", 70<<10)+`"}`, apptest.RightToken(sub)), 413, "larger than 64 KiB"},
		{"a push that is not one JSON object is refused", push(`[`+goodPush+`]`, apptest.RightToken(sub)), 400, "must be one JSON object"},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.T = t
			status, msg := tc.send()
			if status != tc.status {
				t.Errorf("status %d, want %d (message %q)", status, tc.status, msg)
			}
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want it to contain %q", msg, tc.msg)
			}
		})
	}
	t.Run("none of them reached the gateway", func(t *testing.T) {
		if n := len(e.Sim.RequestsFor("register")); n != 0 {
			t.Errorf("%d registers were sent", n)
		}
	})
}
