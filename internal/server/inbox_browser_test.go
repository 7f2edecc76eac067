package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestInboxInABrowser: in headless Chromium, with the CSP in force, the
// inbox shows an accepted push, and a push that arrives while the page is
// open appears on top without a reload (app.js polling), as text.
func TestInboxInABrowser(t *testing.T) {
	chrome := inboxChromium(t)
	e := newEnv(t)
	s := e.newReceiverSub(uniq("tok"))
	e.mustPush(s, pushJSON(s.ServerID, "call-browser-1", "good morning"), rightToken(s), 200)
	_, name := e.user(domain.RoleAuditor) // password: see testEnv.user
	problems := &browserProblems{}
	ctx := inboxBrowser(t, chrome, problems)

	inboxDo(t, ctx,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery staple"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
		chromedp.Navigate(fmt.Sprintf("%s/subscriptions/%d/inbox", e.srv.URL, s.ID)),
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
		inboxDo(t, ctx, chromedp.Evaluate[chromedp.Void](`window.inboxMarker = "still here"`))
		payload := `<img src=x id=injected> hello`
		e.mustPush(s, pushJSON(s.ServerID, "call-browser-2", payload), rightToken(s), 200)
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
		if p := problems.list(); len(p) > 0 {
			t.Errorf("the browser reported:\n%s", strings.Join(p, "\n"))
		}
	})
}

// inboxChromium returns the browser's path, or skips (fails in CI).
func inboxChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH, and CI is set: the browser test must run in CI")
	}
	t.Skip("skipping the browser test: no chromium on PATH (apt-get install -y chromium)")
	return ""
}

// inboxBrowser starts a headless Chromium with a fresh profile and returns
// a tab's context, bounded to two minutes.
func inboxBrowser(t *testing.T, execPath string, problems *browserProblems) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox, // tests may run as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(problems.listen))
	// Registered after TempDir: the browser exits before its profile goes.
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	return tabCtx
}

func inboxDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// browserProblems records uncaught exceptions, console errors and browser
// log errors or warnings (CSP violations are log entries).
type browserProblems struct {
	mu  sync.Mutex
	got []string
}

func (b *browserProblems) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			msg = "console.error"
		}
	case *cdplog.EventEntryAdded:
		// The browser asks for /favicon.ico on its own; ccsub has none.
		if strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
			return
		}
		if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
			msg = fmt.Sprintf("log %s %s: %s", ev.Entry.Source, ev.Entry.URL, ev.Entry.Text)
		}
	}
	if msg != "" {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.got = append(b.got, msg)
	}
}

func (b *browserProblems) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}
