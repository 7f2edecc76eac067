package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

func TestPagesNeedASessionExceptLoginAndHealth(t *testing.T) {
	e := newEnv(t)
	c := e.Anonymous()
	for _, path := range []string{"/", "/subscriptions", "/subscriptions/new", "/history", "/calls/1", "/gateways", "/gateways/new", "/gateways/1"} {
		res := e.Get(c, path)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("GET %s without a session: %d to %q, want 303 to /login", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res := e.Post(c, "/subscriptions", e.RegisterForm())
	if res.StatusCode != http.StatusSeeOther || len(e.Sim.Requests()) != 0 {
		t.Errorf("POST /subscriptions without a session: %d, %d gateway requests", res.StatusCode, len(e.Sim.Requests()))
	}
	for _, path := range []string{"/login", "/healthz", "/readyz"} {
		if res := e.Get(c, path); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, res.StatusCode)
		}
	}
}

func TestSignInRefusesAlikeAndSetsASafeCookie(t *testing.T) {
	e := newEnv(t)
	_, name := e.User(domain.RoleOperator)
	c := e.Anonymous()
	wrong := e.Doc(e.Post(c, "/login", url.Values{"username": {name}, "password": {"not the password at all"}}), http.StatusUnauthorized)
	unknown := e.Doc(e.Post(c, "/login", url.Values{"username": {"nobody-" + name}, "password": {"not the password at all"}}), http.StatusUnauthorized)
	if a, b := wrong.Find("[role=alert]").Text(), unknown.Find("[role=alert]").Text(); a == "" || a != b {
		t.Errorf("wrong password says %q, unknown user says %q: want the same message", a, b)
	}
	if v, _ := wrong.Find("#password").Attr("value"); v != "" {
		t.Error("the password was echoed back")
	}
	res := e.Post(c, "/login", url.Values{"username": {strings.ToUpper(name)}, "password": {"correct horse battery staple"}, "next": {"//evil.example.com/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("login: %d to %q, want 303 to / (never an off-site next)", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "ccsub_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax and a bounded MaxAge", cookie)
	}
	if res := e.Get(c, "/history"); res.StatusCode != http.StatusOK {
		t.Errorf("signed in, GET /history: %d", res.StatusCode)
	}
	e.Post(c, "/logout", nil)
	if res := e.Get(c, "/history"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout, GET /history: %d, want 303", res.StatusCode)
	}
}

func TestCrossSiteFormPostsAreRefused(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/subscriptions", strings.NewReader(e.RegisterForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || len(e.Sim.RequestsFor("register")) != 0 {
		t.Errorf("cross-site POST: %d with %d registers, want 403 and none", res.StatusCode, len(e.Sim.RequestsFor("register")))
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	c := e.Anonymous()
	for _, path := range []string{"/login", "/no/such/page", "/healthz"} {
		res := e.Get(c, path)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: missing nosniff or referrer policy", path)
		}
	}
}

func TestOperatorsCannotEditGatewaysAndAuditorsCannotRegister(t *testing.T) {
	e := newEnv(t)
	op, _ := e.User(domain.RoleOperator)
	if res := e.Get(op, "/gateways/new"); res.StatusCode != http.StatusForbidden {
		t.Errorf("operator GET /gateways/new: %d, want 403", res.StatusCode)
	}
	aud, _ := e.User(domain.RoleAuditor)
	if res := e.Post(aud, "/subscriptions", e.RegisterForm()); res.StatusCode != http.StatusForbidden {
		t.Errorf("auditor POST /subscriptions: %d, want 403", res.StatusCode)
	}
	if n := len(e.Sim.RequestsFor("register")); n != 0 {
		t.Errorf("%d registers sent", n)
	}
}
