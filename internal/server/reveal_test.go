package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// auditCount counts audit entries of action about one target.
func (e *testEnv) auditCount(action domain.AuditAction, targetType, targetID string) int {
	e.T.Helper()
	var n int
	err := e.St.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM audit_log WHERE action = $1 AND target_type = $2 AND target_id = $3",
		string(action), targetType, targetID).Scan(&n)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

func TestRevealingASecret(t *testing.T) {
	e := newEnv(t)
	admin, adminName := e.User(domain.RoleAdmin)
	operator, _ := e.User(domain.RoleOperator)
	auditor, _ := e.User(domain.RoleAuditor)
	token := "reveal-me-" + apptest.Uniq("tok")
	sub := e.NewReceiverSub(token)
	bare := e.NewReceiverSub("")
	gwID, subID := fmt.Sprint(e.Gw.ID), fmt.Sprint(sub.ID)
	gwPath, subPath := "/gateways/"+gwID+"/reveal", "/subscriptions/"+subID+"/reveal-token"

	cases := []struct {
		name, path, secret, targetType, targetID string
	}{
		{"an admin sees the gateway password once, uncached, and the reveal is audited", gwPath, apptest.SimPassword, domain.TargetGateway, gwID},
		{"an admin sees the service token once, uncached, and the reveal is audited", subPath, token, domain.TargetSubscription, subID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.T = t
			before := e.auditCount(domain.AuditSecretReveal, tc.targetType, tc.targetID)
			res := e.Post(admin, tc.path, nil)
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			if rp := res.Header.Get("Referrer-Policy"); rp != "no-referrer" {
				t.Errorf("Referrer-Policy %q, want no-referrer", rp)
			}
			for _, c := range res.Cookies() {
				if strings.Contains(c.Value, tc.secret) {
					t.Errorf("cookie %s carries the secret", c.Name)
				}
			}
			doc := e.Doc(res, http.StatusOK)
			if got, _ := doc.Find("#revealed-secret").Attr("value"); got != tc.secret {
				t.Errorf("revealed %q, want the stored secret", got)
			}
			if n := e.auditCount(domain.AuditSecretReveal, tc.targetType, tc.targetID) - before; n != 1 {
				t.Errorf("%d reveal entries written, want 1", n)
			}
			var actor, diff string
			err := e.St.Pool().QueryRow(context.Background(), `SELECT actor, diff FROM audit_log
				WHERE action = 'secret_reveal' AND target_id = $1 ORDER BY id DESC LIMIT 1`, tc.targetID).Scan(&actor, &diff)
			if err != nil || actor != adminName || strings.Contains(diff, tc.secret) || !strings.Contains(diff, "[secret revealed]") {
				t.Errorf("audit actor %q diff %s (%v)", actor, diff, err)
			}
			if strings.Contains(e.Logs.String(), tc.secret) {
				t.Errorf("the log contains the secret")
			}
		})
	}

	refusals := []struct {
		name   string
		client *http.Client
		method string
		path   string
		status int
	}{
		{"an operator may not reveal a gateway password", operator, http.MethodPost, gwPath, http.StatusForbidden},
		{"an auditor may not reveal a service token", auditor, http.MethodPost, subPath, http.StatusForbidden},
		{"nobody signed in is sent to sign in", e.Anonymous(), http.MethodPost, gwPath, http.StatusSeeOther},
		{"a GET never reveals (a link or prefetch cannot trigger it)", admin, http.MethodGet, gwPath, http.StatusNotFound},
		{"a subscription without a token says there is nothing to reveal", admin, http.MethodPost, "/subscriptions/" + fmt.Sprint(bare.ID) + "/reveal-token", http.StatusConflict},
		{"an unknown gateway is not found", admin, http.MethodPost, "/gateways/999999999/reveal", http.StatusNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			e.T = t
			gw0 := e.auditCount(domain.AuditSecretReveal, domain.TargetGateway, gwID)
			sub0 := e.auditCount(domain.AuditSecretReveal, domain.TargetSubscription, subID)
			req, _ := http.NewRequest(tc.method, e.Srv.URL+tc.path, nil)
			res, err := tc.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
			if strings.Contains(string(body), apptest.SimPassword) || strings.Contains(string(body), token) {
				t.Errorf("the answer contains the secret")
			}
			if tc.status == http.StatusConflict && !strings.Contains(string(body), "without a service token") {
				t.Errorf("no specific message:\n%s", body)
			}
			if e.auditCount(domain.AuditSecretReveal, domain.TargetGateway, gwID) != gw0 ||
				e.auditCount(domain.AuditSecretReveal, domain.TargetSubscription, subID) != sub0 {
				t.Errorf("a refused reveal was audited as a reveal")
			}
		})
	}

	t.Run("the reveal buttons are offered to admins only, and the pages show the secrets masked", func(t *testing.T) {
		e.T = t
		doc := e.Page(admin, "/gateways/"+gwID, http.StatusOK)
		if doc.Find(`form[action="`+gwPath+`"] #reveal-password`).Length() != 1 {
			t.Errorf("no reveal button on the gateway page")
		}
		for _, c := range []struct {
			client *http.Client
			want   int
		}{{admin, 1}, {operator, 0}, {auditor, 0}} {
			d := e.Page(c.client, "/subscriptions/"+subID, http.StatusOK)
			if n := d.Find(`form[action="` + subPath + `"] #reveal-token`).Length(); n != c.want {
				t.Errorf("%d reveal buttons, want %d", n, c.want)
			}
			html, _ := d.Html()
			if strings.Contains(html, token) {
				t.Errorf("the subscription page shows the token")
			}
		}
	})
}
