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
)

// refusedGateway is a gateway whose stored password the simulator refuses,
// with that refusal already remembered: an operator's connection test made
// the one login.
func (e *testEnv) refusedGateway(operator *http.Client) (domain.Gateway, string) {
	e.T.Helper()
	g := e.AddGateway(apptest.Uniq("refused"), e.Sim.URL(), string(e.Sim.CAPEM()), "not-the-password")
	path := "/gateways/" + strconv.FormatInt(g.ID, 10)
	e.Post(operator, path+"/test", nil)
	e.wantLogins(1)
	return g, path
}

func (e *testEnv) wantLogins(n int) {
	e.T.Helper()
	if got := len(e.Sim.RequestsFor("login")); got != n {
		e.T.Errorf("the simulator received %d logins, want %d", got, n)
	}
}

func TestARefusedLoginIsShownOnTheGatewayPagesWithWhatToDo(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	operator, _ := e.User(domain.RoleOperator)
	g, path := e.refusedGateway(operator)
	notice := "#refused-" + strconv.FormatInt(g.ID, 10)

	for _, page := range []struct {
		who    string
		c      *http.Client
		path   string
		canAct bool
	}{
		{"an administrator on the list", admin, "/gateways", true},
		{"an administrator on the gateway's page", admin, path, true},
		{"an operator on the list", operator, "/gateways", false},
	} {
		t.Run(page.who, func(t *testing.T) {
			e.T = t
			doc := e.Page(page.c, page.path, http.StatusOK)
			n := doc.Find(notice)
			text := strings.Join(strings.Fields(n.Text()), " ")
			if n.Length() != 1 || n.AttrOr("role", "") != "alert" {
				t.Fatalf("no alert %s on the page", notice)
			}
			for _, want := range []string{g.Name, "107-003", "wrong administrator password", "sends nothing to this gateway",
				"until an administrator saves a new password or asks for one retry", "What to do:", "Ask the contact center's administrator"} {
				if !strings.Contains(text, want) {
					t.Errorf("the notice does not say %q: %s", want, text)
				}
			}
			retry := n.Find(`form[action="` + path + `/retry-login"] button`)
			if page.canAct && (retry.Length() != 1 || !strings.Contains(retry.Text(), "Try the login once more")) {
				t.Error("an administrator is not offered the one retry")
			}
			if !page.canAct && (retry.Length() != 0 || !strings.Contains(text, "Ask an administrator of ccsub")) {
				t.Error("an operator is offered the retry, or not told whom to ask")
			}
		})
	}
	t.Run("the list offers no connection test of the refused gateway", func(t *testing.T) {
		e.T = t
		doc := e.Page(operator, "/gateways", http.StatusOK)
		if doc.Find(`form[action="`+path+`/test"]`).Length() != 0 {
			t.Error("the refused gateway still has a Test connection button")
		}
		if doc.Find(`form[action="/gateways/`+strconv.FormatInt(e.Gw.ID, 10)+`/test"]`).Length() != 1 {
			t.Error("a gateway without a refusal lost its Test connection button")
		}
	})
	t.Run("a connection test sent anyway sends nothing and says why", func(t *testing.T) {
		e.T = t
		e.Post(operator, path+"/test", nil)
		flash := e.Page(operator, "/gateways", http.StatusOK).Find(".flash").First().Text()
		if !strings.Contains(flash, "The gateway refused this password on") || !strings.Contains(flash, "ccsub sent nothing") {
			t.Errorf("flash %q", flash)
		}
		e.wantLogins(1)
	})
}

func TestOnlyAnAdministratorMayRetryARefusedLoginAndItIsOneLogin(t *testing.T) {
	e := newEnv(t)
	admin, adminName := e.User(domain.RoleAdmin)
	operator, _ := e.User(domain.RoleOperator)
	auditor, _ := e.User(domain.RoleAuditor)
	g, path := e.refusedGateway(operator)
	before, _ := e.St.Gateway(context.Background(), g.ID)

	for name, c := range map[string]*http.Client{"an operator": operator, "an auditor": auditor} {
		if res := e.Post(c, path+"/retry-login", nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s retried: status %d, want 403", name, res.StatusCode)
		}
	}
	e.wantLogins(1)
	if now, _ := e.St.Gateway(context.Background(), g.ID); now.LoginRefused == nil || !now.LoginRefused.At.Equal(before.LoginRefused.At) {
		t.Errorf("a refused retry changed the refusal: %+v", now.LoginRefused)
	}

	res := e.Post(admin, path+"/retry-login", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the administrator's retry: status %d", res.StatusCode)
	}
	e.wantLogins(2)
	flash := e.Page(admin, "/gateways", http.StatusOK).Find(".flash").First().Text()
	if !strings.Contains(flash, "One more login to "+g.Name) || !strings.Contains(flash, "107-003") {
		t.Errorf("flash after the retry: %q", flash)
	}
	if n := len(e.AuditEntries(domain.AuditGatewayRetry, g.Name)); n != 1 {
		t.Errorf("%d audit entries of the retry, want 1", n)
	}
	if entries := e.AuditEntries(domain.AuditGatewayRetry, g.Name); len(entries) == 1 && entries[0].Actor != adminName {
		t.Errorf("the retry is audited as %q", entries[0].Actor)
	}

	// The administrator saves the right password: the refusal ends and the
	// next test logs in.
	e.Post(admin, path, url.Values{"name": {g.Name}, "baseUrl": {g.BaseURL}, "agentId": {"100001"},
		"password": {apptest.SimPassword}, "caPem": {g.CAPEM}})
	if doc := e.Page(admin, "/gateways", http.StatusOK); doc.Find("#refused-"+strconv.FormatInt(g.ID, 10)).Length() != 0 {
		t.Error("the notice outlived the new password")
	}
	e.Post(operator, path+"/test", nil)
	e.wantLogins(3)
	if flash := e.Page(operator, "/gateways", http.StatusOK).Find(".flash").First().Text(); !strings.Contains(flash, "accepted the login") {
		t.Errorf("test after the new password: %q", flash)
	}
	if res := e.Post(admin, path+"/retry-login", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a retry without a refusal: status %d, want a redirect with a message", res.StatusCode)
	}
	e.wantLogins(3)
}
