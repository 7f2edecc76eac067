// Package browsertest starts headless Chromium for the tests that only a
// real browser can answer (CSP, scripts, cross-site forms), with the flags
// this kind of machine needs, and collects what the browser complains about.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeout bounds one browser's whole life in a test.
const Timeout = 2 * time.Minute

// Chromium returns the browser's path. Without one the test is skipped,
// except in CI (env CI set), where a missing browser is a failure.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH, and CI is set: the browser tests must run in CI")
	}
	t.Skip("skipping a browser test: no chromium on PATH (apt-get install -y chromium)")
	return ""
}

// New starts a headless Chromium with a fresh profile and returns a tab's
// context; every listener sees every browser event. The browser is
// stopped when the test ends.
func New(t testing.TB, execPath string, listeners ...func(ev any)) context.Context {
	t.Helper()
	return NewWithin(t, execPath, Timeout, listeners...)
}

// NewWithin is New for a browser that may live up to limit, for a test
// that walks many pages.
func NewWithin(t testing.TB, execPath string, limit time.Duration, listeners ...func(ev any)) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox, // tests may run as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these Chromium reaches for the network at start, which this
		// machine refuses, many connections at a time.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		for _, l := range listeners {
			l(ev)
		}
	}))
	// Registered after TempDir: the browser exits before its profile goes.
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	return tabCtx
}

// Do runs browser steps and fails the test on the first error.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// Problems records uncaught exceptions, console errors and browser log
// errors or warnings (CSP violations are log entries). Pass its Listen to New.
type Problems struct {
	mu  sync.Mutex
	got []string
}

// Listen is a chromedp listener.
func (b *Problems) Listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			msg = "console.error"
		}
	case *cdplog.EventEntryAdded:
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

// List returns what was recorded so far.
func (b *Problems) List() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// String joins the problems for a failure message.
func (b *Problems) String() string { return strings.Join(b.List(), "\n") }
