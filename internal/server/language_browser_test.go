package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// screenshot saves a full-page PNG (quality 100 is PNG; less is JPEG) into $CCSUB_SCREENSHOTS, when set, for a
// person to look at; tests assert on the page, not on pixels.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CCSUB_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestChineseInABrowser: a browser asking for Chinese gets the sign-in page
// and the console in Chinese, at 1280 px, with the CSP in force; the
// switcher in the header turns the console to English and back, and the
// choice holds on the next page.
func TestChineseInABrowser(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	_, name := e.User(domain.RoleAdmin)
	problems := &browsertest.Problems{}
	ctx := browsertest.New(t, chrome, problems.Listen)
	text := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	browsertest.Do(t, ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders,
				network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}})
			return err
		}),
		chromedp.Navigate(e.Srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if got := text(`document.documentElement.lang + "|" + document.querySelector("h1").textContent`); got != "zh-Hans|登录 ccsub" {
		t.Errorf("sign-in page: %q", got)
	}
	screenshot(t, ctx, "login-zh")
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery staple"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
		chromedp.Navigate(e.Srv.URL+"/history"),
		chromedp.WaitVisible(chromedp.CSS("header.top nav")),
	)
	if got := text(`document.querySelector("header.top nav").innerText`); !strings.Contains(got, "调用历史") || !strings.Contains(got, "数据保留") {
		t.Errorf("navigation in Chinese: %q", got)
	}
	screenshot(t, ctx, "history-zh")

	browsertest.Do(t, ctx,
		chromedp.Click(chromedp.CSS(`header.top form[action="/language"] button[value=en]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.top form[action="/language"] button[value=zh-Hans]`)),
	)
	if got := text(`location.pathname + "|" + document.documentElement.lang + "|" + document.querySelector("form[action='/logout'] button").textContent`); got != "/history|en|Log out" {
		t.Errorf("after switching to English: %q, want the same page in English", got)
	}
	browsertest.Do(t, ctx, chromedp.Navigate(e.Srv.URL+"/subscriptions"), chromedp.WaitVisible(chromedp.CSS("header.top nav")))
	if got := text(`document.documentElement.lang`); got != "en" {
		t.Errorf("the next page, Accept-Language still zh-CN: lang %q, want the chosen en", got)
	}
	browsertest.Do(t, ctx,
		chromedp.Click(chromedp.CSS(`header.top form[action="/language"] button[value=zh-Hans]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.top form[action="/language"] button[value=en]`)),
	)
	if got := text(`location.pathname + "|" + document.documentElement.lang`); got != "/subscriptions|zh-Hans" {
		t.Errorf("after switching back to Chinese: %q", got)
	}
	screenshot(t, ctx, "subscriptions-zh")
	if p := problems.List(); len(p) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(p, "\n"))
	}
}
