package server_test

import (
	"context"
	"strconv"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestARetcodeMessageIsCopiedWithTheKeyboard: in Chromium, in Chinese, a
// rejected register's retcode page is reached from its call page; its copy
// button follows the message in the tab order, is named for screen
// readers, copies the message on Enter and says so; the retcode pages do
// not scroll sideways on a phone or a desktop.
func TestARetcodeMessageIsCopiedWithTheKeyboard(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	op, _ := e.User(domain.RoleOperator)
	e.Sim.Inject(gatewayFault("register", "107-026"))
	callID := e.RegisterCallFrom(t, e.Post(op, "/subscriptions", e.RegisterForm()))
	_, name := e.User(domain.RoleAuditor)

	problems := &browsertest.Problems{}
	ctx := browsertest.New(t, chrome, problems.Listen)
	eval := func(js string) string {
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
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), apptest.TestPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
		chromedp.Navigate(e.Srv.URL+"/calls/"+strconv.FormatInt(callID, 10)),
		chromedp.Click(chromedp.ID("call-retcode-page")),
		chromedp.WaitVisible(chromedp.ID("retcode-message")),
	)
	want := "/retcodes/107-026?call=" + strconv.FormatInt(callID, 10)
	if got := eval(`location.pathname + location.search`); got != want {
		t.Fatalf("the call page's link went to %q, want %q", got, want)
	}
	screenshot(t, ctx, "retcode-zh")

	// The clipboard itself needs a permission headless Chromium does not
	// grant; what app.js hands it is what is copied.
	eval(`navigator.clipboard.writeText = function (s) { window.copied = s; return Promise.resolve(); }; ""`)
	browsertest.Do(t, ctx, chromedp.Focus(chromedp.ID("retcode-message")), chromedp.KeyEvent("\t"))
	if got := eval(`document.activeElement.getAttribute("data-copy") + "|" + document.activeElement.getAttribute("aria-label")`); got != "retcode-message|复制消息" {
		t.Fatalf("after the message, Tab reaches %q, want the copy button named 复制消息", got)
	}
	browsertest.Do(t, ctx, chromedp.KeyEvent("\r"))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.copied !== undefined`)); err != nil {
		t.Fatal(err)
	}
	if got, msg := eval(`window.copied`), eval(`document.getElementById("retcode-message").value.trim()`); got != msg || got == "" {
		t.Errorf("copied %q, want the message %q", got, msg)
	}
	if got := eval(`document.activeElement.textContent + "|" + document.activeElement.getAttribute("aria-label")`); got != "已复制|已复制" {
		t.Errorf("after copying the button says %q", got)
	}

	for _, w := range []int64{390, 1280} {
		for _, path := range []string{"/retcodes", want, "/retcodes/E_UNHEARD_OF"} {
			browsertest.Do(t, ctx, chromedp.EmulateViewport(w, 844), chromedp.Navigate(e.Srv.URL+path), chromedp.WaitReady(chromedp.ID("main")))
			if w == 1280 && path == "/retcodes" {
				screenshot(t, ctx, "retcodes-list")
			}
			if msg := eval(browsertest.Sideways); msg != "" {
				t.Errorf("%d px, %s: %s", w, path, msg)
			}
		}
	}
	if p := problems.String(); p != "" {
		t.Errorf("the browser reported problems:\n%s", p)
	}
}
