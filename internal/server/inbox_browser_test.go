package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/chromedp"
)

// TestInboxInABrowser: in headless Chromium, with the CSP in force, the
// inbox shows an accepted push, and a push that arrives while the page is
// open appears on top without a reload (app.js polling), as text.
func TestInboxInABrowser(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	e.mustPush(s, apptest.PushJSON(s.ServerID, "call-browser-1", "good morning"), apptest.RightToken(s), 200)
	_, name := e.User(domain.RoleAuditor) // password: see testEnv.user
	problems := &browsertest.Problems{}
	ctx := browsertest.New(t, chrome, problems.Listen)

	browsertest.Do(t, ctx,
		chromedp.Navigate(e.Srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery staple"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
		chromedp.Navigate(fmt.Sprintf("%s/subscriptions/%d/inbox", e.Srv.URL, s.ID)),
		chromedp.WaitVisible(chromedp.ID("inbox")),
	)
	t.Run("the inbox shows the accepted push", func(t *testing.T) {
		rows, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("inbox-rows")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"call-browser-1", "good morning", "customer", "accepted", "normal, final result"} {
			if !strings.Contains(rows, want) {
				t.Errorf("the inbox does not show %q:\n%s", want, rows)
			}
		}
	})
	t.Run("a new push appears on top without a reload, as text", func(t *testing.T) {
		// A full reload would drop this marker.
		browsertest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.inboxMarker = "still here"`))
		payload := `<img src=x id=injected> hello`
		e.mustPush(s, apptest.PushJSON(s.ServerID, "call-browser-2", payload), apptest.RightToken(s), 200)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](
			`document.querySelectorAll("#inbox-rows tr").length === 2 &&
			 document.querySelector("#inbox-rows tr").textContent.includes("call-browser-2")`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			rows, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("inbox-rows")))
			t.Fatalf("the new push did not appear on top: %v\n%s", err, rows)
		}
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`[window.inboxMarker, String(document.getElementById("injected") === null),
			  document.querySelector("#inbox-rows tr td:nth-child(5)").textContent.trim()].join("|")`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "still here|true|" + payload; !strings.HasPrefix(state, want) {
			t.Errorf("page state %q, want %q (no reload, no markup from the text)", state, want)
		}
	})
	t.Run("the browser reported no error or CSP violation", func(t *testing.T) {
		if p := problems.List(); len(p) > 0 {
			t.Errorf("the browser reported:\n%s", strings.Join(p, "\n"))
		}
	})
}
