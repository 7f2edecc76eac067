package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/chromedp"
)

// TestACrossSiteFormPostInABrowserIsRefused: a signed-in admin's Chromium
// visits a page on another site (localhost against the console's
// 127.0.0.1) whose form posts a new gateway to the console. The browser
// marks the request cross-site and the console refuses it with 403 before
// any handler runs. (Signing in, a same-origin form post, works.)
func TestACrossSiteFormPostInABrowserIsRefused(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	_, name := e.User(domain.RoleAdmin)
	gwName := apptest.Uniq("planted")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><form method="post" action="%s/gateways">
			<input name="name" value="%s"><input name="baseUrl" value="https://10.9.9.9:8043">
			<input name="agentId" value="100001"><input name="password" value="x">
			<button id="go" type="submit">Win a prize</button></form>`, e.Srv.URL, gwName)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	ctx := browsertest.New(t, chrome, (&browsertest.Problems{}).Listen)
	browsertest.Do(t, ctx,
		chromedp.Navigate(e.Srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), apptest.TestPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
		chromedp.Navigate(evilURL),
		chromedp.Click(chromedp.ID("go")),
	)
	// The poll fails while the navigation replaces the page; poll again.
	// The URL changes before the answer's page is loaded, so wait for a
	// complete document with text in it too.
	var err error
	for range 20 {
		if _, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`location.href.startsWith(%q) && `+
			`document.readyState === "complete" && document.body !== null && document.body.innerText.length > 0`, e.Srv.URL),
			chromedp.WithPollingTimeout(10*time.Second))); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the form did not reach the console: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "|" + document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the browser shows %q", got)
	if !strings.HasPrefix(got, e.Srv.URL+"/gateways|") || !strings.Contains(strings.ToLower(got), "cross-origin") {
		t.Errorf("after the cross-site submit the browser shows %q; want the console's cross-origin refusal", got)
	}
	if _, err := e.St.GatewayByName(context.Background(), gwName); err == nil {
		t.Error("the cross-site form created a gateway")
	}
}
