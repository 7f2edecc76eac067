package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/secret"
)

func TestAGatewayAddedInTheBrowserIsSealedAndTestable(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	name := apptest.Uniq("Gateway A")
	res := e.Post(c, "/gateways", url.Values{"name": {name}, "baseUrl": {e.Sim.URL() + "/"}, "agentId": {"100001"},
		"password": {apptest.SimPassword}, "caPem": {string(e.Sim.CAPEM())}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add gateway: %d", res.StatusCode)
	}
	g, err := e.St.GatewayByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(g.PasswordSealed), apptest.SimPassword) || g.BaseURL != e.Sim.URL() {
		t.Fatalf("stored %q with the password in clear or a wrong URL", g.BaseURL)
	}
	edit := e.Page(c, "/gateways/"+strconv.FormatInt(g.ID, 10), http.StatusOK)
	if v, _ := edit.Find("#password").Attr("value"); v != "" || strings.Contains(edit.Text(), apptest.SimPassword) {
		t.Error("the edit page shows the password")
	}
	// Saving without a password keeps the stored one.
	e.Post(c, "/gateways/"+strconv.FormatInt(g.ID, 10), url.Values{"name": {name}, "baseUrl": {e.Sim.URL()}, "agentId": {"100001"}, "caPem": {string(e.Sim.CAPEM())}})
	g2, _ := e.St.Gateway(context.Background(), g.ID)
	if pw, err := e.Keys.Open(g2.PasswordSealed, secret.PurposeGatewayPassword); err != nil || string(pw) != apptest.SimPassword {
		t.Fatalf("password after an edit without one: %v", err)
	}

	res = e.Post(c, "/gateways/"+strconv.FormatInt(g.ID, 10)+"/test", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("test connection: %d", res.StatusCode)
	}
	logins := e.Sim.RequestsFor("login")
	if len(logins) != 1 || !strings.Contains(string(logins[0].Body), `"agentId":100001`) {
		t.Fatalf("simulator logins: %d", len(logins))
	}
	list := e.Page(c, "/gateways", http.StatusOK)
	if !strings.Contains(list.Find(".flash").Text(), "success") {
		t.Errorf("flash after the test: %q", list.Find(".flash").Text())
	}
}

func TestATestWithTheWrongPasswordSaysSoAndIsNotRetried(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	g := e.AddGateway(apptest.Uniq("wrong-pw"), e.Sim.URL(), string(e.Sim.CAPEM()), "not-the-password")
	e.Post(c, "/gateways/"+strconv.FormatInt(g.ID, 10)+"/test", nil)
	if n := len(e.Sim.RequestsFor("login")); n != 1 {
		t.Errorf("%d logins sent, want exactly 1 (the gateway locks accounts)", n)
	}
	flash := e.Page(c, "/gateways", http.StatusOK).Find(".flash").Text()
	if !strings.Contains(flash, "107-003") {
		t.Errorf("flash %q does not name 107-003", flash)
	}
}

func TestAGatewayWithoutItsCAIsRefusedBeforeAnythingIsSent(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	g := e.AddGateway(apptest.Uniq("no-ca"), e.Sim.URL(), "", apptest.SimPassword)
	e.Post(c, "/gateways/"+strconv.FormatInt(g.ID, 10)+"/test", nil)
	if n := len(e.Sim.Requests()); n != 0 {
		t.Errorf("the simulator logged %d requests over an unverified connection", n)
	}
	flash := e.Page(c, "/gateways", http.StatusOK).Find(".flash").Text()
	if !strings.Contains(flash, "failed") || !strings.Contains(strings.ToLower(flash), "certificate") {
		t.Errorf("flash %q: want a failed test that names the certificate problem", flash)
	}
}

func TestGatewayFormRefusesBadInputWithSpecificMessages(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	good := func() url.Values {
		return url.Values{"name": {apptest.Uniq("g")}, "baseUrl": {"https://10.0.0.1:8043"}, "agentId": {"100001"}, "password": {"pw"}}
	}
	cases := []struct {
		name, field, value string
	}{
		{"an http address", "baseUrl", "http://10.0.0.1:8043"},
		{"an address with user-info", "baseUrl", "https://a:b@10.0.0.1:8043"},
		{"an address with a fragment", "baseUrl", "https://10.0.0.1:8043/#x"},
		{"port zero", "baseUrl", "https://10.0.0.1:0"},
		{"an agent ID that is not a number", "agentId", "12a"},
		{"an agent ID of zero", "agentId", "0"},
		{"an empty name", "name", ""},
		{"a name with a control character", "name", "bad\x07name"},
		{"a CA bundle that is not PEM", "caPem", "hello"},
		{"a private key instead of a CA", "caPem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			e.T = t
			v := good()
			v.Set(tc.field, tc.value)
			doc := e.Doc(e.Post(c, "/gateways", v), http.StatusUnprocessableEntity)
			if doc.Find("#"+tc.field+"-error").Text() == "" {
				t.Errorf("no message beside %s", tc.field)
			}
			if _, err := e.St.GatewayByName(context.Background(), v.Get("name")); err == nil {
				t.Error("the gateway was saved")
			}
		})
	}
}
