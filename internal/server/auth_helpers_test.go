package server_test

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/password"
)

// testPassword is the password of every user the harness creates.
const testPassword = "correct horse battery staple"

// account creates a user with the role and testPassword, without signing
// in.
func (e *testEnv) account(role domain.Role) domain.User {
	e.t.Helper()
	hash, err := password.Hash(testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), uniq("user"), role, hash)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// clientFrom is a cookie-keeping client that does not follow redirects and
// connects from a loopback address of its own (127.x.y.z), so the
// per-address sign-in throttle one test provokes does not reach the others,
// which all come from 127.0.0.1.
func (e *testEnv) clientFrom() (*http.Client, string) {
	var b [3]byte
	_, _ = rand.Read(b[:])
	ip := net.IPv4(127, b[0]|1, b[1], b[2]|1) // never 127.0.0.1
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, ip.String()
}

// signIn posts the login form as c and returns the answer.
func (e *testEnv) signIn(c *http.Client, username, pw string) *http.Response {
	e.t.Helper()
	return e.post(c, "/login", url.Values{"username": {username}, "password": {pw}})
}

// sessionCookie returns the client's session cookie for the console.
func (e *testEnv) sessionCookie(c *http.Client) *http.Cookie {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ccsub_session" {
			return ck
		}
	}
	e.t.Fatal("no session cookie")
	return nil
}

// withCookie is a fresh client that presents only the given cookie, as an
// attacker replaying a copied cookie would.
func (e *testEnv) withCookie(ck *http.Cookie) *http.Client {
	c := e.anonymous()
	u, _ := url.Parse(e.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	return c
}

// signedIn reports whether c's session lets it see a page that needs one.
func (e *testEnv) signedIn(c *http.Client) bool {
	e.t.Helper()
	res := e.get(c, "/history")
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	e.t.Fatalf("GET /history: status %d", res.StatusCode)
	return false
}

// exec runs SQL behind the server's back, to age a session or a failure
// instead of waiting.
func (e *testEnv) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.st.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}
