package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/audit"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
)

func userURL(u domain.User, action string) string {
	p := "/users/" + strconv.FormatInt(u.ID, 10)
	if action != "" {
		p += "/" + action
	}
	return p
}

// lastAuditDiff returns the diff of the newest audit entry with the action
// on the user.
func (e *testEnv) lastAuditDiff(t *testing.T, action domain.AuditAction, u domain.User) (actor string, diff map[string]domain.FieldChange) {
	t.Helper()
	var raw string
	err := e.St.Pool().QueryRow(context.Background(), `SELECT actor, diff FROM audit_log
		WHERE action = $1 AND target_type = 'user' AND target_id = $2 ORDER BY id DESC LIMIT 1`,
		string(action), strconv.FormatInt(u.ID, 10)).Scan(&actor, &raw)
	if err != nil {
		t.Fatalf("no %s audit entry for %s: %v", action, u.Username, err)
	}
	if err := json.Unmarshal([]byte(raw), &diff); err != nil {
		t.Fatal(err)
	}
	return actor, diff
}

func TestAnAdminAddsAUserWhoCanThenSignIn(t *testing.T) {
	e := newEnv(t)
	adm, admName := e.User(domain.RoleAdmin)
	name, pw := apptest.Uniq("newbie"), "a brand new long password"
	res := e.Post(adm, "/users", url.Values{"username": {name}, "role": {"auditor"}, "password": {pw}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/users" {
		t.Fatalf("add user: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	doc := e.Page(adm, "/users", http.StatusOK)
	row := doc.Find(`#users tr[data-user="` + name + `"]`)
	if row.Find(".role").Text() != "auditor" || row.Find(".status").Text() != "enabled" || row.Find(".sessions").Text() != "0" {
		t.Errorf("listed as %q", strings.Join(strings.Fields(row.Text()), " "))
	}
	if !strings.Contains(doc.Find("[role=status]").Text(), name) {
		t.Errorf("flash %q does not name the user", doc.Find("[role=status]").Text())
	}
	c := e.Anonymous()
	if res := e.SignIn(c, name, pw); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new user signs in: status %d", res.StatusCode)
	}
	if got := e.Page(adm, "/users", http.StatusOK).Find(`#users tr[data-user="` + name + `"] .sessions`).Text(); got != "1" {
		t.Errorf("active sessions %q after the user signed in, want 1", got)
	}
	u, _ := e.St.UserByUsername(context.Background(), name)
	actor, diff := e.lastAuditDiff(t, domain.AuditUserCreate, u)
	if actor != admName || diff["role"].After != "auditor" || diff["password"].After != audit.SecretChanged {
		t.Errorf("audit by %q: %+v; want the admin, the role and the password marker", actor, diff)
	}
}

func TestTheAddUserFormRefusesBadInputSpecifically(t *testing.T) {
	e := newEnv(t)
	adm, _ := e.User(domain.RoleAdmin)
	taken := e.Account(domain.RoleOperator)
	good := func(edit func(url.Values)) url.Values {
		v := url.Values{"username": {apptest.Uniq("ok")}, "role": {"operator"}, "password": {"a long enough password"}}
		edit(v)
		return v
	}
	tests := []struct {
		name, field, want string
		form              url.Values
	}{
		{"an empty name", "username", "Enter a user name", good(func(v url.Values) { v.Set("username", "") })},
		{"a name taken in other letter case", "username", "already has this name",
			good(func(v url.Values) { v.Set("username", strings.ToUpper(taken.Username)) })},
		{"a name with a space", "username", "a space", good(func(v url.Values) { v.Set("username", "two words") })},
		{"a script as a name", "username", `"<"`, good(func(v url.Values) { v.Set("username", "<script>alert(1)</script>") })},
		{"a name with a zero-width space", "username", "U+200B", good(func(v url.Values) { v.Set("username", "adm\u200bin") })},
		{"an overlong name", "username", "At most 64", good(func(v url.Values) { v.Set("username", strings.Repeat("a", 65)) })},
		{"a name sent twice", "username", "more than once", good(func(v url.Values) { v.Add("username", "other") })},
		{"an unknown role", "role", "admin, operator or auditor", good(func(v url.Values) { v.Set("role", "root") })},
		{"a short password", "password", "too short", good(func(v url.Values) { v.Set("password", "short") })},
		{"a password with a line break", "password", "control characters", good(func(v url.Values) { v.Set("password", "long enough\npassword") })},
		{"an overlong password", "password", "too long", good(func(v url.Values) { v.Set("password", strings.Repeat("p", 257)) })},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused on its field, keeping the values but not the password", func(t *testing.T) {
			before := countRows(t, e, "users")
			doc := e.Doc(e.Post(adm, "/users", tt.form), http.StatusUnprocessableEntity)
			if got := doc.Find("#" + tt.field + "-error").Text(); !strings.Contains(got, tt.want) {
				t.Errorf("%s error %q, want it to contain %q", tt.field, got, tt.want)
			}
			if v, _ := doc.Find("#password").Attr("value"); v != "" {
				t.Error("the password was echoed back")
			}
			if tt.field != "username" {
				if v, _ := doc.Find("#username").Attr("value"); v != tt.form.Get("username") {
					t.Errorf("user name %q not kept", v)
				}
			}
			if after := countRows(t, e, "users"); after != before {
				t.Errorf("%d users before, %d after", before, after)
			}
		})
	}
}

func countRows(t *testing.T, e *testEnv, table string) int {
	t.Helper()
	var n int
	if err := e.St.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestChangingAUserEndsAllTheirSessions(t *testing.T) {
	e := newEnv(t)
	adm, _ := e.User(domain.RoleAdmin)
	newPW := "the replacement long password"
	tests := []struct {
		name   string
		action string
		form   url.Values
		check  func(t *testing.T, u domain.User, diff map[string]domain.FieldChange)
	}{
		{"a new role", "role", url.Values{"role": {"auditor"}}, func(t *testing.T, u domain.User, d map[string]domain.FieldChange) {
			if u.Role != domain.RoleAuditor || d["role"].Before != "operator" || d["role"].After != "auditor" {
				t.Errorf("role %s, diff %+v", u.Role, d)
			}
		}},
		{"disabling", "disable", nil, func(t *testing.T, u domain.User, d map[string]domain.FieldChange) {
			if !u.Disabled || d["disabled"].Before != false || d["disabled"].After != true {
				t.Errorf("disabled %v, diff %+v", u.Disabled, d)
			}
			if res := e.SignIn(e.Anonymous(), u.Username, apptest.TestPassword); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("a disabled user signs in: status %d, want 401", res.StatusCode)
			}
		}},
		{"a password reset", "password", url.Values{"password": {newPW}}, func(t *testing.T, u domain.User, d map[string]domain.FieldChange) {
			if d["password"].After != audit.SecretChanged || len(d) != 1 {
				t.Errorf("diff %+v; want only the password marker", d)
			}
			if res := e.SignIn(e.Anonymous(), u.Username, apptest.TestPassword); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("the old password: status %d, want 401", res.StatusCode)
			}
			if res := e.SignIn(e.Anonymous(), u.Username, newPW); res.StatusCode != http.StatusSeeOther {
				t.Errorf("the new password: status %d, want a sign-in", res.StatusCode)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" signs the user out on every browser and is audited", func(t *testing.T) {
			u := e.Account(domain.RoleOperator)
			laptop, phone := e.Anonymous(), e.Anonymous()
			e.SignIn(laptop, u.Username, apptest.TestPassword)
			e.SignIn(phone, u.Username, apptest.TestPassword)
			res := e.Post(adm, userURL(u, tt.action), tt.form)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != userURL(u, "") {
				t.Fatalf("POST %s: %d to %q", tt.action, res.StatusCode, res.Header.Get("Location"))
			}
			if e.SignedIn(laptop) || e.SignedIn(phone) {
				t.Error("a session of the user survived the change")
			}
			if !e.SignedIn(adm) {
				t.Error("the admin's own session ended")
			}
			after, _ := e.St.UserByID(context.Background(), u.ID)
			_, diff := e.lastAuditDiff(t, domain.AuditUserUpdate, u)
			tt.check(t, after, diff)
		})
	}
	t.Run("an enabled user can sign in again", func(t *testing.T) {
		u := e.Account(domain.RoleOperator)
		e.Post(adm, userURL(u, "disable"), nil)
		e.Post(adm, userURL(u, "enable"), nil)
		if res := e.SignIn(e.Anonymous(), u.Username, apptest.TestPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("status %d, want a sign-in", res.StatusCode)
		}
	})
}

func TestTheUserPageRefusesBadChangesSpecifically(t *testing.T) {
	e := newEnv(t)
	adm, _ := e.User(domain.RoleAdmin)
	u := e.Account(domain.RoleOperator)
	tests := []struct {
		name, action, field, want string
		form                      url.Values
	}{
		{"an unknown role", "role", "role", "admin, operator or auditor", url.Values{"role": {"superuser"}}},
		{"a role sent twice", "role", "role", "more than once", url.Values{"role": {"admin", "auditor"}}},
		{"a short password", "password", "password", "too short", url.Values{"password": {"tiny"}}},
		{"an empty password", "password", "password", "at least 12", url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused and changes nothing", func(t *testing.T) {
			doc := e.Doc(e.Post(adm, userURL(u, tt.action), tt.form), http.StatusUnprocessableEntity)
			if got := doc.Find("#" + tt.field + "-error").Text(); !strings.Contains(got, tt.want) {
				t.Errorf("%s error %q, want it to contain %q", tt.field, got, tt.want)
			}
			if after, _ := e.St.UserByID(context.Background(), u.ID); after != u {
				t.Errorf("user changed to %+v", after)
			}
		})
	}
	t.Run("a user that does not exist is not found", func(t *testing.T) {
		if res := e.Post(adm, "/users/999999999/disable", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", res.StatusCode)
		}
	})
}

func TestTheLastAdminCannotDisableOrDemoteThemselves(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	e := newEnvOn(t, pool)
	adm, _ := e.User(domain.RoleAdmin)
	var me domain.User
	if err := pool.QueryRow(context.Background(), `SELECT id FROM users WHERE role = 'admin'`).Scan(&me.ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, action string
		form         url.Values
	}{
		{"demoting", "role", url.Values{"role": {"operator"}}},
		{"disabling", "disable", nil},
	} {
		t.Run(tt.name+" the last enabled admin is refused with a clear message", func(t *testing.T) {
			doc := e.Doc(e.Post(adm, userURL(me, tt.action), tt.form), http.StatusUnprocessableEntity)
			if got := doc.Find("#problem").Text(); !strings.Contains(got, "last enabled administrator") {
				t.Errorf("message %q", got)
			}
			if !e.SignedIn(adm) {
				t.Error("the refused change signed the admin out")
			}
		})
	}
	t.Run("with a second admin, demoting oneself works and signs one out", func(t *testing.T) {
		e.Account(domain.RoleAdmin)
		res := e.Post(adm, userURL(me, "role"), url.Values{"role": {"operator"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("status %d to %q; want 303 to /login", res.StatusCode, res.Header.Get("Location"))
		}
		if got := e.Page(adm, "/login", http.StatusOK).Find("[role=status]").Text(); !strings.Contains(got, "Sign in again") {
			t.Errorf("the sign-in page says %q", got)
		}
	})
}
