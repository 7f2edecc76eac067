package server_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestABrowserInShanghaiGetsItsZone: a browser whose clock is in
// Asia/Shanghai reports it (app.js, the ccsub_tz cookie) on the sign-in
// page, so the first list after signing in is in +08:00 and says so; the
// times are the server's (no script rewrites them).
func TestABrowserInShanghaiGetsItsZone(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	op, name := e.User(domain.RoleOperator)
	sub := e.Registered(op, nil)
	problems := &browsertest.Problems{}
	ctx := browsertest.New(t, chrome, problems.Listen)
	browsertest.Do(t, ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Shanghai"})
			return err
		}),
		chromedp.Navigate(e.Srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), apptest.TestPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
		chromedp.Navigate(e.Srv.URL+"/history?serverId="+url.QueryEscape(sub.ServerID)),
		chromedp.WaitVisible(chromedp.ID("zone-line")),
	)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("zone-line").innerText + "|" +
		document.querySelector("#history tbody time").getAttribute("datetime") + "|" +
		document.querySelector("#history tbody time").title`))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(got, "|")
	if len(parts) != 3 || !strings.Contains(parts[0], "Asia/Shanghai (UTC+08:00)") || !strings.HasSuffix(parts[1], "+08:00") ||
		!strings.HasSuffix(parts[2], "UTC+08:00") {
		t.Errorf("zone line | datetime | title = %q, want Asia/Shanghai and +08:00 throughout", got)
	}
	screenshot(t, ctx, "history-shanghai")
	browsertest.Do(t, ctx, chromedp.Navigate(e.Srv.URL+"/subscriptions/"+strconv.FormatInt(sub.ID, 10)), chromedp.WaitVisible(chromedp.ID("zone-line")))
	screenshot(t, ctx, "subscription-shanghai")
	browsertest.Do(t, ctx, chromedp.Navigate(e.Srv.URL+"/preferences"), chromedp.WaitVisible(chromedp.ID("time_zone")))
	screenshot(t, ctx, "preferences")
	if p := problems.List(); len(p) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(p, "\n"))
	}
}
