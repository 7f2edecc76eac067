package apptest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
)

// ClientFrom is a cookie-keeping client that does not follow redirects and
// connects from a loopback address of its own (127.x.y.z), so the
// per-address sign-in throttle one test provokes does not reach the others,
// which all come from 127.0.0.1.
func (e *Env) ClientFrom() (*http.Client, string) {
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

// SignIn posts the login form as c and returns the answer.
func (e *Env) SignIn(c *http.Client, username, pw string) *http.Response {
	e.T.Helper()
	return e.Post(c, "/login", url.Values{"username": {username}, "password": {pw}})
}

// SessionCookie returns the client's session cookie for the console.
func (e *Env) SessionCookie(c *http.Client) *http.Cookie {
	e.T.Helper()
	u, _ := url.Parse(e.Srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ccsub_session" {
			return ck
		}
	}
	e.T.Fatal("no session cookie")
	return nil
}

// WithCookie is a fresh client that presents only the given cookie, as an
// attacker replaying a copied cookie would.
func (e *Env) WithCookie(ck *http.Cookie) *http.Client {
	c := e.Anonymous()
	u, _ := url.Parse(e.Srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	return c
}

// SignedIn reports whether c's session lets it see a page that needs one.
func (e *Env) SignedIn(c *http.Client) bool {
	e.T.Helper()
	res := e.Get(c, "/history")
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	e.T.Fatalf("GET /history: status %d", res.StatusCode)
	return false
}

// Token issues an API token with the role straight into the store and
// returns it in clear, as an admin would have copied it.
func (e *Env) Token(role domain.Role) string {
	e.T.Helper()
	return e.TokenExpiring(role, time.Now().Add(time.Hour))
}

// TokenExpiring is Token with an expiry.
func (e *Env) TokenExpiring(role domain.Role, expires time.Time) string {
	e.T.Helper()
	is, err := apitoken.Generate()
	if err != nil {
		e.T.Fatal(err)
	}
	_, err = e.St.CreateAPIToken(context.Background(), domain.NewAPIToken{Name: Uniq("script"), Hash: is.Hash,
		Prefix: is.Prefix, Role: role, CreatedBy: "test", ExpiresAt: expires})
	if err != nil {
		e.T.Fatal(err)
	}
	return is.Plain
}

// Reply is one API answer, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the answer into a generic map (numbers as float64).
func (a Reply) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, a.Body)
	}
	return m
}

// FieldError returns the answer's message for field, failing when the
// answer is not the API's error shape.
func (a Reply) FieldError(t *testing.T, field string) string {
	t.Helper()
	m := a.JSON(t)
	if msg, _ := m["error"].(string); msg == "" {
		t.Fatalf("no error message in %s", a.Body)
	}
	errs, _ := m["errors"].(map[string]any)
	msg, _ := errs[field].(string)
	return msg
}

// Want fails unless the answer has the status and is JSON.
func (a Reply) Want(t *testing.T, status int) Reply {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status %d, want %d: %s", a.Status, status, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON", ct)
	}
	return a
}

// Call sends one API request with a bearer token ("" sends none), a JSON
// body ("" sends none) and extra headers as name, value pairs.
func (e *Env) Call(token, method, path, body string, headers ...string) Reply {
	e.T.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.Srv.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Content-Type" { // a test's own type replaces JSON
			req.Header.Del("Content-Type")
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return Reply{Status: res.StatusCode, Header: res.Header, Body: b}
}
