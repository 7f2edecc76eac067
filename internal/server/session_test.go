package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// auditRows returns the audit entries naming actor, oldest first, as
// action, outcome and the raw diff.
func (e *testEnv) auditRows(t *testing.T, actor string) [][3]string {
	t.Helper()
	rows, err := e.St.Pool().Query(context.Background(),
		`SELECT action, outcome, diff FROM audit_log WHERE actor = $1 ORDER BY id`, actor)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]string
	for rows.Next() {
		var r [3]string
		if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestASignInAlwaysStartsANewSessionAndEndsThePresentedOne(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.Account(domain.RoleOperator), e.Account(domain.RoleAuditor)
	c := e.Anonymous()
	e.SignIn(c, alice.Username, apptest.TestPassword)
	first := e.SessionCookie(c)
	// Bob signs in on the same browser (or an attacker planted Alice's
	// session there): the session presented is deleted, not reused.
	if res := e.SignIn(c, bob.Username, apptest.TestPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: status %d", res.StatusCode)
	}
	second := e.SessionCookie(c)
	if first.Value == second.Value {
		t.Fatal("the cookie did not change at sign-in")
	}
	if e.SignedIn(e.WithCookie(first)) {
		t.Error("the session presented at sign-in still works")
	}
	if !e.SignedIn(e.WithCookie(second)) {
		t.Error("the new session does not work")
	}
	t.Run("the database keeps a hash of the token, never the cookie's content", func(t *testing.T) {
		var ids []string
		rows, _ := e.St.Pool().Query(context.Background(), `SELECT id FROM sessions WHERE user_id = $1`, bob.ID)
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			ids = append(ids, id)
		}
		if len(ids) != 1 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ids[0]) || strings.Contains(second.Value, ids[0]) {
			t.Errorf("sessions of bob: %q; want one SHA-256 hex id that is not in the cookie", ids)
		}
	})
}

func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	e := newEnv(t)
	c, name := e.User(domain.RoleOperator)
	copied := e.SessionCookie(c)
	res := e.Post(c, "/logout", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := e.Page(c, "/login", http.StatusOK).Find("[role=status]").Text(); got != "You are signed out." {
		t.Errorf("the sign-in page says %q after logout", got)
	}
	replay := e.WithCookie(copied)
	if res := e.Get(replay, "/history"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("the cookie copied before logout: GET /history %d to %q; want 303 to /login", res.StatusCode, res.Header.Get("Location"))
	}
	rows := e.auditRows(t, name)
	if n := len(rows); n < 2 || rows[n-2][0] != string(domain.AuditLogin) || rows[n-1][0] != string(domain.AuditLogout) {
		t.Errorf("audit entries of %s: %v; want login then logout", name, rows)
	}
}

func TestSessionsEndWhenIdleOrPastTheirLifetime(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		age  string // SQL applied to the user's sessions
		live bool
	}{
		{"a session used 29 minutes ago lives (idle limit 30 minutes)", `last_seen_at = now() - interval '29 minutes'`, true},
		{"a session unused for 31 minutes has ended", `last_seen_at = now() - interval '31 minutes'`, false},
		{"a session past its absolute lifetime has ended, however recently used", `expires_at = now() - interval '1 second'`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := e.Account(domain.RoleAuditor)
			c := e.Anonymous()
			e.SignIn(c, u.Username, apptest.TestPassword)
			e.Exec(t, `UPDATE sessions SET `+tt.age+` WHERE user_id = $1`, u.ID)
			if got := e.SignedIn(c); got != tt.live {
				t.Fatalf("signed in %v, want %v", got, tt.live)
			}
			if !tt.live {
				return
			}
			var recent bool
			err := e.St.Pool().QueryRow(context.Background(),
				`SELECT last_seen_at > now() - interval '1 minute' FROM sessions WHERE user_id = $1`, u.ID).Scan(&recent)
			if err != nil || !recent {
				t.Errorf("last_seen_at was not refreshed by the request (%v)", err)
			}
		})
	}
	t.Run("the absolute lifetime is the configured one", func(t *testing.T) {
		u := e.Account(domain.RoleAuditor)
		e.SignIn(e.Anonymous(), u.Username, apptest.TestPassword)
		var hours float64
		err := e.St.Pool().QueryRow(context.Background(),
			`SELECT extract(epoch FROM expires_at - created_at) / 3600 FROM sessions WHERE user_id = $1`, u.ID).Scan(&hours)
		if err != nil || hours < 0.99 || hours > 1.01 {
			t.Errorf("session lasts %.2f hours (%v); the harness configures 1", hours, err)
		}
	})
}

func TestFailedSignInsAreThrottled(t *testing.T) {
	e := newEnv(t)
	wrong := "not the password at all"
	t.Run("the sixth attempt on one account is refused with the wait, even with the right password", func(t *testing.T) {
		u := e.Account(domain.RoleOperator)
		c, _ := e.ClientFrom()
		for i := range 5 {
			if res := e.SignIn(c, u.Username, wrong); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d, want 401", i+1, res.StatusCode)
			}
		}
		res := e.SignIn(c, strings.ToUpper(u.Username), apptest.TestPassword)
		doc := e.Doc(res, http.StatusTooManyRequests)
		if got := doc.Find("[role=alert]").Text(); got != "Too many failed sign-ins. Try again in 15 minutes." {
			t.Errorf("message %q", got)
		}
		if res.Header.Get("Retry-After") == "" || e.SignedIn(c) {
			t.Errorf("Retry-After %q, signed in %v; want a Retry-After and no session", res.Header.Get("Retry-After"), e.SignedIn(c))
		}
		other, _ := e.ClientFrom()
		if res := e.SignIn(other, u.Username, apptest.TestPassword); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the same account from another address: status %d, want 429", res.StatusCode)
		}
	})
	t.Run("the wait counts down as the failures age", func(t *testing.T) {
		u := e.Account(domain.RoleOperator)
		c, _ := e.ClientFrom()
		for range 5 {
			e.SignIn(c, u.Username, wrong)
		}
		e.Exec(t, `UPDATE login_failures SET at = now() - interval '10 minutes' WHERE username = lower($1)`, u.Username)
		doc := e.Doc(e.SignIn(c, u.Username, apptest.TestPassword), http.StatusTooManyRequests)
		if got := doc.Find("[role=alert]").Text(); got != "Too many failed sign-ins. Try again in 5 minutes." {
			t.Errorf("message %q", got)
		}
		e.Exec(t, `UPDATE login_failures SET at = at - interval '5 minutes' WHERE username = lower($1)`, u.Username)
		if res := e.SignIn(c, u.Username, apptest.TestPassword); res.StatusCode != http.StatusSeeOther || !e.SignedIn(c) {
			t.Errorf("once the failures left the window: status %d, want a sign-in", res.StatusCode)
		}
	})
	t.Run("a success forgives the account's earlier failures", func(t *testing.T) {
		u := e.Account(domain.RoleOperator)
		c, _ := e.ClientFrom()
		for range 4 {
			e.SignIn(c, u.Username, wrong)
		}
		e.SignIn(c, u.Username, apptest.TestPassword)
		for i := range 4 {
			if res := e.SignIn(c, u.Username, wrong); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d after a success: status %d, want 401", i+1, res.StatusCode)
			}
		}
	})
	t.Run("one address is refused after 20 failures, whatever names it tries", func(t *testing.T) {
		u := e.Account(domain.RoleOperator)
		c, addr := e.ClientFrom()
		for i := range 20 {
			if res := e.SignIn(c, apptest.Uniq("guess"), wrong); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d from %s: status %d, want 401", i+1, addr, res.StatusCode)
			}
		}
		if res := e.SignIn(c, u.Username, apptest.TestPassword); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a real account from the throttled address: status %d, want 429", res.StatusCode)
		}
		elsewhere, _ := e.ClientFrom()
		if res := e.SignIn(elsewhere, u.Username, apptest.TestPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the same account from another address: status %d, want a sign-in", res.StatusCode)
		}
	})
}

func TestARefusedSignInSaysTheSameWhateverWasWrong(t *testing.T) {
	e := newEnv(t)
	known, disabled := e.Account(domain.RoleOperator), e.Account(domain.RoleOperator)
	e.Exec(t, `UPDATE users SET disabled = true WHERE id = $1`, disabled.ID)
	tests := []struct{ name, username, password string }{
		{"a wrong password", known.Username, "not the password at all"},
		{"an unknown user", apptest.Uniq("nobody"), "not the password at all"},
		{"a disabled account with its right password", disabled.Username, apptest.TestPassword},
	}
	var first string
	for _, tt := range tests {
		t.Run(tt.name+" gets 401 and the one message", func(t *testing.T) {
			c, _ := e.ClientFrom()
			doc := e.Doc(e.SignIn(c, tt.username, tt.password), http.StatusUnauthorized)
			msg := doc.Find("[role=alert]").Text()
			if first == "" {
				first = msg
			}
			if msg == "" || msg != first {
				t.Errorf("message %q; want %q for every refusal", msg, first)
			}
			if v, _ := doc.Find("#password").Attr("value"); v != "" {
				t.Error("the password was echoed back")
			}
		})
	}
}

func TestSignInsAreAuditedWithoutThePassword(t *testing.T) {
	e := newEnv(t)
	u := e.Account(domain.RoleOperator)
	c, addr := e.ClientFrom()
	wrong := "hunter2-wrong-" + apptest.Uniq("pw")
	e.SignIn(c, u.Username, wrong)
	e.SignIn(c, u.Username, apptest.TestPassword)
	rows := e.auditRows(t, u.Username)
	if len(rows) != 2 || rows[0][0] != string(domain.AuditLoginFailed) || rows[0][1] != "failure" ||
		rows[1][0] != string(domain.AuditLogin) || rows[1][1] != "success" {
		t.Fatalf("audit entries %v; want login_failed (failure) then login (success)", rows)
	}
	var diff map[string]domain.FieldChange
	if err := json.Unmarshal([]byte(rows[0][2]), &diff); err != nil || diff["reason"].After == nil {
		t.Errorf("the failure's diff %s has no reason (%v)", rows[0][2], err)
	}
	var leaks int
	err := e.St.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log
		WHERE strpos(diff || actor || target_name || user_agent, $1) > 0 OR strpos(diff || actor, $2) > 0`, wrong, apptest.TestPassword).Scan(&leaks)
	if err != nil || leaks != 0 {
		t.Errorf("%d audit entries contain a password typed (%v)", leaks, err)
	}
	var src string
	_ = e.St.Pool().QueryRow(context.Background(), `SELECT source_addr FROM audit_log WHERE actor = $1 ORDER BY id DESC LIMIT 1`, u.Username).Scan(&src)
	if src != addr {
		t.Errorf("source address %q, want %q", src, addr)
	}
}

// otherProcess is a second console on the same database with its own cookie
// keys, as another ccsub process started after a key rotation would be.
func TestSessionsWorkOnEveryProcessAndSurviveAKeyRotation(t *testing.T) {
	e := newEnv(t)
	old := [][]byte{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")}
	fresh := [][]byte{[]byte("a new hash key of thirty-two b.."), []byte("a new block key of thirty-two b.")}
	rotated := e.OtherProcess(append(slices.Clone(fresh), old...)...)
	unrotated := e.OtherProcess(old...)
	at := func(ts *httptest.Server, c *http.Client) int {
		t.Helper()
		res, err := c.Get(ts.URL + "/history")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	c, _ := e.User(domain.RoleAuditor) // signed in on the first process, old key
	if got := at(rotated, c); got != http.StatusOK {
		t.Errorf("a cookie signed with the old key on a process that signs with the new one: %d, want 200", got)
	}
	newer := e.Anonymous()
	u := e.Account(domain.RoleAuditor)
	res, err := newer.PostForm(rotated.URL+"/login", url.Values{"username": {u.Username}, "password": {apptest.TestPassword}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in on the rotated process: %v, %v", res, err)
	}
	res.Body.Close()
	if got := at(rotated, newer); got != http.StatusOK {
		t.Errorf("a cookie signed with the new key where it was made: %d, want 200", got)
	}
	if got := at(unrotated, newer); got != http.StatusSeeOther {
		t.Errorf("a cookie signed with the new key on a process without it: %d, want 303 (the newest key signs)", got)
	}
	copied := e.SessionCookie(c)
	e.Post(c, "/logout", nil)
	if got := at(rotated, e.WithCookie(copied)); got != http.StatusSeeOther {
		t.Errorf("a session ended on one process still works on another: %d", got)
	}
}
