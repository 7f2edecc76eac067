package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/chromedp"
)

// TestNoPageScrollsSidewaysOnAPhoneOrADesktop loads every kind of page in
// Chromium at a phone's width (390 px) and a desktop's (1280 px), with the
// long values that used to widen them (a long callback address, a state
// reason with a long unbroken list, a long unbroken recognised text and
// audit value), and fails when a page is wider than the window. On the
// phone the navigation is behind its Menu button, and opens from it.
func TestNoPageScrollsSidewaysOnAPhoneOrADesktop(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	ctx := context.Background()
	admin, name := e.User(domain.RoleAdmin)

	long := "https://cb.example.com/" + strings.Repeat("callback-path-segment/", 7) + strings.Repeat("x", 20)
	sub := e.Registered(admin, func(v url.Values) { v.Set("serviceCallBackUri", long) })
	reason := "handshake failed: refused to connect to 192.0.2.11: the address is not in the gateway networks " +
		"(CCSUB_GATEWAY_NETWORKS=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,fc00::/7,::1/128,203.0.113.0/24)"
	e.Exec(t, `UPDATE subscriptions SET state_reason = $1 WHERE id = $2`, reason, sub.ID)
	rs := e.NewReceiverSub(apptest.Uniq("tok"))
	e.mustPush(rs, apptest.PushJSON(rs.ServerID, "call-"+strings.Repeat("7", 60), strings.Repeat("unbroken", 40)), apptest.RightToken(rs), 200)
	if _, err := e.St.AppendAudit(ctx, domain.AuditEntry{Actor: name, Action: domain.AuditGatewayUpdate, TargetType: domain.TargetGateway,
		TargetID: fmt.Sprint(e.Gw.ID), TargetName: e.Gw.Name, Diff: map[string]domain.FieldChange{"baseUrl": {Before: long, After: long + "/v2"}}}); err != nil {
		t.Fatal(err)
	}
	call := fmt.Sprint(sub.RegisterCallID)

	pages := []struct{ name, path string }{
		{"subscriptions", "/subscriptions"},
		{"a subscription", fmt.Sprintf("/subscriptions/%d", sub.ID)},
		{"cancel a subscription", fmt.Sprintf("/subscriptions/%d/cancel", sub.ID)},
		{"register", "/subscriptions/new"},
		{"history", "/history"},
		{"a call", "/calls/" + call},
		{"inbox", "/inbox"},
		{"gateways", "/gateways"},
		{"a gateway", fmt.Sprintf("/gateways/%d", e.Gw.ID)},
		{"new gateway", "/gateways/new"},
		{"audit", "/audit"},
		{"users", "/users"},
		{"tokens", "/tokens"},
		{"retention", "/retention"},
		{"error page", "/subscriptions/987654321"},
	}
	problems := &browsertest.Problems{}
	bctx := browsertest.New(t, chrome, problems.Listen)
	check := func(t *testing.T, path string) {
		t.Helper()
		browsertest.Do(t, bctx, chromedp.Navigate(e.Srv.URL+path), chromedp.WaitReady(chromedp.ID("main")))
		msg, err := chromedp.Run(bctx, chromedp.Evaluate[string](browsertest.Sideways))
		if err != nil {
			t.Fatal(err)
		}
		if msg != "" {
			t.Errorf("%s: %s", path, msg)
		}
	}
	for _, w := range []int64{390, 1280} {
		browsertest.Do(t, bctx, chromedp.EmulateViewport(w, 844))
		t.Run(fmt.Sprintf("%d px, sign-in page", w), func(t *testing.T) { check(t, "/login") })
	}
	browsertest.Do(t, bctx,
		chromedp.Navigate(e.Srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), apptest.TestPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS("header.top .who")),
	)
	for _, w := range []int64{390, 1280} {
		browsertest.Do(t, bctx, chromedp.EmulateViewport(w, 844))
		for _, p := range pages {
			t.Run(fmt.Sprintf("%d px, %s", w, p.name), func(t *testing.T) { check(t, p.path) })
		}
	}

	navShown := `document.querySelector("header.top nav").checkVisibility()`
	open := func(t *testing.T, w, h int64, path string) {
		t.Helper()
		browsertest.Do(t, bctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(e.Srv.URL+path))
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.readyState === "complete"`)); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("on a phone the navigation is behind the Menu button and opens from it", func(t *testing.T) {
		open(t, 390, 844, "/history")
		if shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](navShown)); err != nil || shown {
			t.Fatalf("the navigation is shown before the Menu button is pressed (%v)", err)
		}
		browsertest.Do(t, bctx, chromedp.Focus(chromedp.CSS("#menu > summary")), chromedp.KeyEvent("\r"))
		if shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](navShown)); err != nil || !shown {
			t.Fatalf("Enter on the Menu button does not show the navigation (%v)", err)
		}
		check(t, "/history")
	})
	t.Run("on a desktop the navigation is shown and the Menu button is not", func(t *testing.T) {
		open(t, 1280, 800, "/history")
		ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](navShown+` && getComputedStyle(document.querySelector("#menu > summary")).display === "none"`))
		if err != nil || !ok {
			t.Fatalf("nav shown and Menu hidden: %v (%v)", ok, err)
		}
	})
	t.Run("the skip link leads to the main content", func(t *testing.T) {
		ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector("a.skip-link").getAttribute("href") === "#main" && document.getElementById("main").tagName === "MAIN"`))
		if err != nil || !ok {
			t.Fatalf("skip link to <main id=main>: %v (%v)", ok, err)
		}
	})
	t.Run("no script error or CSP violation", func(t *testing.T) {
		for _, p := range problems.List() {
			if strings.Contains(p, "/subscriptions/987654321") && strings.Contains(p, "status of 404") {
				continue // the error page's own status
			}
			t.Errorf("the browser complained: %s", p)
		}
	})
}
