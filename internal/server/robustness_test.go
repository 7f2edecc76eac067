package server_test

import (
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// No input a user can send produces a 500, and none reaches the gateway.
func TestNoInputToTheFormsProducesA500(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	bodies := []string{
		"", "%zz", "gateway=%ff%fe", strings.Repeat("a=b&", 300000), "serviceCallBackUri=" + strings.Repeat("%00", 1000),
		"gateway=-1&subscribeType=1&serviceCallBackUri=https://x", "gateway=99999999999999999999999",
		"nlpFlag=true&nlpFlag=true", "serviceToken=%E2%80%AE", "subscribeType=<script>alert(1)</script>",
		"username=" + strings.Repeat("x", 5000) + "&password=y", "agentId=1e9&name=x&baseUrl=https://x&password=p",
		"caPem=-----BEGIN CERTIFICATE-----%0AAAAA%0A-----END CERTIFICATE-----&name=n&baseUrl=https://x&agentId=1&password=p",
	}
	paths := []string{"/subscriptions", "/login", "/gateways", "/gateways/1", "/gateways/999999/test", "/logout"}
	for _, p := range paths {
		for _, b := range bodies {
			res, err := c.Post(e.Srv.URL+p, "application/x-www-form-urlencoded", strings.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Errorf("POST %s with %.40q: %d", p, b, res.StatusCode)
			}
		}
	}
	gets := []string{"/calls/abc", "/calls/0", "/calls/99999999999999999999", "/calls/-5", "/history?before=x",
		"/history?after=1.2&before=1.2", "/history?from=2026-13-45", "/history?outcome=<b>", "/history?operation=drop",
		"/history?retcode=" + strings.Repeat("9", 300), "/history?callback=%25_%5C", "/history?to=2026-01-01&from=2026-02-01",
		"/gateways/abc", "/gateways/0", "/static/../../etc/passwd", "/static/x/css/none.css", "/history?serverId=%00"}
	for _, p := range gets {
		res := e.Get(c, p)
		if res.StatusCode >= 500 {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
	}
	if n := len(e.Sim.RequestsFor("register")); n != 0 {
		t.Errorf("%d registers reached the gateway", n)
	}
}

func TestAScriptInAFieldIsShownAsText(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	f := e.RegisterForm()
	payload := `https://x.example.com/"><script>alert(1)</script>`
	f.Set("serviceCallBackUri", payload)
	res := e.Post(c, "/subscriptions", f)
	doc := e.Doc(res, http.StatusUnprocessableEntity)
	if doc.Find("script:not([src])").Length() != 0 {
		t.Error("an inline script was injected into the page")
	}
	if v, _ := doc.Find("#serviceCallBackUri").Attr("value"); v != payload {
		t.Errorf("value kept as %q", v)
	}
}
