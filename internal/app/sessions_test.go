package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/password"
	"ccsub/internal/secret"
)

// console is one ccsub process on the package's database whose sessions
// end after idle unused.
type console struct {
	app *app.App
	srv *httptest.Server
}

func newConsole(t *testing.T, idle time.Duration) console {
	t.Helper()
	keys, err := secret.ParseKeys(apptest.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	cfg := apptest.Config(srv.URL)
	cfg.SessionIdle = idle
	a := app.New(app.Parts{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: dbtest.Pool(t), Keys: keys})
	srv.Config.Handler = a.Handler(apptest.SessionKeys)
	return console{app: a, srv: srv}
}

// signIn signs a new auditor in on c and returns the session cookie.
func (c console) signIn(t *testing.T) (*http.Cookie, int64) {
	t.Helper()
	hash, err := password.Hash(apptest.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.app.Store.CreateUser(context.Background(), apptest.Uniq("user"), domain.RoleAuditor, hash)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(c.srv.URL+"/login", url.Values{"username": {u.Username}, "password": {apptest.TestPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "ccsub_session" {
			return ck, u.ID
		}
	}
	t.Fatalf("sign-in on %s: status %d, no session cookie", c.srv.URL, res.StatusCode)
	return nil, 0
}

// signedIn reports whether the cookie's session lets it see a page on c.
func (c console) signedIn(t *testing.T, ck *http.Cookie) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+"/history", nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	t.Fatalf("GET /history on %s: status %d", c.srv.URL, res.StatusCode)
	return false
}

// Idle expiry is a property of each session, set by the process that
// signed the user in: a process with a shorter CCSUB_SESSION_IDLE neither
// refuses nor prunes the sessions of a process with a longer one, and a
// process with a longer one does not keep alive a session of the shorter.
func TestASessionKeepsTheIdleLimitOfTheProcessThatStartedIt(t *testing.T) {
	long, short := newConsole(t, 2*time.Hour), newConsole(t, 5*time.Minute)
	ctx := context.Background()
	age := func(userID int64, ago string) {
		t.Helper()
		if _, err := dbtest.Pool(t).Exec(ctx, `UPDATE sessions SET last_seen_at = now() - $2::interval WHERE user_id = $1`, userID, ago); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(userID int64) bool {
		t.Helper()
		var n int
		if err := dbtest.Pool(t).QueryRow(ctx, `SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	longCookie, longUser := long.signIn(t)
	shortCookie, shortUser := short.signIn(t)
	// Both unused for an hour: past the short limit, within the long one.
	age(longUser, "1 hour")
	age(shortUser, "1 hour")

	short.app.Prune(ctx)
	if !exists(longUser) {
		t.Fatal("the short-idle process pruned a session the long-idle one started")
	}
	if !short.signedIn(t, longCookie) {
		t.Error("the short-idle process refused a session the long-idle one started, an hour idle of its two")
	}
	age(longUser, "1 hour") // the lookup above refreshed it
	if !long.signedIn(t, longCookie) {
		t.Error("the long-idle process refused its own session")
	}
	if long.signedIn(t, shortCookie) {
		t.Error("the long-idle process accepted a session the short-idle one started, idle for longer than its 5 minutes")
	}
	long.app.Prune(ctx)
	if exists(shortUser) {
		t.Error("pruning kept a session past its own idle limit")
	}
	if !exists(longUser) {
		t.Error("the long-idle process pruned its own live session")
	}
}
