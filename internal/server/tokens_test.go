package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

func TestAPITokenLifecycle(t *testing.T) {
	e := newEnv(t)
	admin, adminName := e.User(domain.RoleAdmin)
	name := apptest.Uniq("CRM script")

	res := e.Post(admin, "/tokens", url.Values{"name": {name}, "role": {"auditor"}, "days": {"30"}})
	created := e.Doc(res, http.StatusOK)
	plain := strings.TrimSpace(created.Find("#issued-token").Text())

	t.Run("the creation page shows the token once and is not cached", func(t *testing.T) {
		if !strings.HasPrefix(plain, "ccsub_") || len(plain) != 49 {
			t.Fatalf("issued token %q", plain)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		if strings.Contains(res.Header.Get("Location"), plain) || strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), ";"), plain) {
			t.Error("the token travels in a header")
		}
		again := e.Page(admin, "/tokens", http.StatusOK)
		if strings.Contains(again.Text(), plain) || again.Find("#issued-token").Length() != 0 {
			t.Error("the token is shown again on the list")
		}
		row := again.Find("#tokens tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), name)
		})
		for _, want := range []string{plain[:12], "auditor", adminName, "never", "active"} {
			if !strings.Contains(row.Text(), want) {
				t.Errorf("the token's row lacks %q: %s", want, row.Text())
			}
		}
	})
	t.Run("only a SHA-256 of the token is stored", func(t *testing.T) {
		var hash []byte
		var row string
		err := dbtest.Pool(t).QueryRow(context.Background(),
			`SELECT token_hash, t::text FROM api_tokens t WHERE name = $1`, name).Scan(&hash, &row)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(plain))
		if !bytes.Equal(hash, sum[:]) || strings.Contains(row, plain[6:]) {
			t.Fatalf("stored row %s", row)
		}
	})
	t.Run("the creation is audited without the token", func(t *testing.T) {
		entries := e.AuditEntries(domain.AuditTokenCreate, name)
		if len(entries) != 1 || entries[0].Actor != adminName || entries[0].Diff["role"].After != "auditor" {
			t.Fatalf("audit entries %+v", entries)
		}
		if strings.Contains(entries[0].TargetName+entries[0].Diff["prefix"].After.(string), plain[12:]) {
			t.Error("the audit entry holds the token")
		}
	})
	t.Run("the token reads through the API and its use is recorded", func(t *testing.T) {
		e.Call(plain, "GET", "/api/v1/gateways", "").Want(t, http.StatusOK)
		page := e.Page(admin, "/tokens", http.StatusOK)
		row := page.Find("#tokens tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), name)
		})
		if strings.Contains(row.Text(), "never") {
			t.Errorf("last use not shown: %s", row.Text())
		}
	})
	t.Run("an auditor token cannot register", func(t *testing.T) {
		r := e.Call(plain, "POST", "/api/v1/subscriptions", `{"gateway": 1}`).Want(t, http.StatusForbidden)
		if !strings.Contains(r.JSON(t)["error"].(string), "role") {
			t.Errorf("403 says %s", r.Body)
		}
		if n := len(e.Sim.RequestsFor("register")); n != 0 {
			t.Errorf("simulator saw %d registers", n)
		}
	})
	t.Run("a revoked token is refused with 401", func(t *testing.T) {
		id := e.tokenID(name)
		res := e.Post(admin, "/tokens/"+id+"/revoke", nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: status %d", res.StatusCode)
		}
		r := e.Call(plain, "GET", "/api/v1/gateways", "").Want(t, http.StatusUnauthorized)
		if r.Header.Get("WWW-Authenticate") == "" || !strings.Contains(r.JSON(t)["error"].(string), "revoked") {
			t.Errorf("401 answer %s", r.Body)
		}
		if n := len(e.AuditEntries(domain.AuditTokenRevoke, name)); n != 1 {
			t.Errorf("%d revoke entries, want 1", n)
		}
		page := e.Page(admin, "/tokens", http.StatusOK)
		if !strings.Contains(page.Find("#tokens tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), name)
		}).Find(".status").Text(), "revoked") {
			t.Error("the list does not show the token as revoked")
		}
	})
}

func TestAPITokensAreRefusedUnlessUsable(t *testing.T) {
	e := newEnv(t)
	expired := e.TokenExpiring(domain.RoleAdmin, time.Now().Add(-time.Second))
	good := e.Token(domain.RoleAdmin)
	admin, _ := e.User(domain.RoleAdmin)
	tests := []struct {
		name    string
		headers []string
	}{
		{"an expired token", []string{"Authorization", "Bearer " + expired}},
		{"an unknown well-formed token", []string{"Authorization", "Bearer ccsub_" + strings.Repeat("A", 43)}},
		{"a malformed token", []string{"Authorization", "Bearer not-a-token"}},
		{"another scheme", []string{"Authorization", "Basic YWRtaW46YWRtaW4="}},
		{"two Authorization headers", []string{"Authorization", "Bearer " + good, "Authorization", "Bearer " + good}},
		{"no token at all", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gets 401 JSON", func(t *testing.T) {
			r := e.Call("", "GET", "/api/v1/gateways", "", tt.headers...).Want(t, http.StatusUnauthorized)
			if r.JSON(t)["error"] == "" || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("answer %s", r.Body)
			}
		})
	}
	t.Run("a console session is not accepted by the API", func(t *testing.T) {
		res := e.Get(admin, "/api/v1/gateways")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d with a session cookie, want 401", res.StatusCode)
		}
	})
	t.Run("a good token is accepted", func(t *testing.T) {
		e.Call(good, "GET", "/api/v1/gateways", "").Want(t, http.StatusOK)
	})
	t.Run("the token never reaches the logs", func(t *testing.T) {
		if strings.Contains(e.Logs.String(), good[6:]) || strings.Contains(e.Logs.String(), expired[6:]) {
			t.Error("a token is in the log")
		}
	})
}

func TestTheTokenFormRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	tests := []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"an empty name", url.Values{"name": {""}, "role": {"auditor"}, "days": {"30"}}, "name", "Enter a name"},
		{"a name with a zero-width space", url.Values{"name": {"crm\u200bbot"}, "role": {"auditor"}, "days": {"30"}}, "name", "invisible"},
		{"an unknown role", url.Values{"name": {"x"}, "role": {"root"}, "days": {"30"}}, "role", "Choose admin, operator or auditor"},
		{"a lifetime of 0 days", url.Values{"name": {"x"}, "role": {"auditor"}, "days": {"0"}}, "days", "from 1 to 365"},
		{"a lifetime of 366 days", url.Values{"name": {"x"}, "role": {"auditor"}, "days": {"366"}}, "days", "from 1 to 365"},
		{"a lifetime that is not a number", url.Values{"name": {"x"}, "role": {"auditor"}, "days": {"ten"}}, "days", "whole number"},
		{"a field sent twice", url.Values{"name": {"x", "y"}, "role": {"auditor"}, "days": {"30"}}, "name", "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused with a message on the field", func(t *testing.T) {
			d := e.Doc(e.Post(admin, "/tokens", tt.form), http.StatusUnprocessableEntity)
			if msg := d.Find("#" + tt.field + "-error").Text(); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
			if d.Find("#issued-token").Length() != 0 {
				t.Error("a token was issued")
			}
		})
	}
	t.Run("an operator cannot open the token page", func(t *testing.T) {
		op, _ := e.User(domain.RoleOperator)
		if res := e.Get(op, "/tokens"); res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
}

func (e *testEnv) tokenID(name string) string {
	e.T.Helper()
	var id string
	err := dbtest.Pool(e.T).QueryRow(context.Background(), `SELECT id::text FROM api_tokens WHERE name = $1`, name).Scan(&id)
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}
