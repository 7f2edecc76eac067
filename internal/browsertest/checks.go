package browsertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Sideways is what makes a page scroll sideways: the document wider than
// the window, and, for the failure message, the outermost elements that
// stick out on the right (an element inside a scrolling box does not count:
// that box scrolls, not the page). It evaluates to "" when nothing does.
const Sideways = `(function () {
	var d = document.documentElement, cw = d.clientWidth;
	if (d.scrollWidth <= cw) { return ""; }
	var out = [];
	document.querySelectorAll("body *").forEach(function (e) {
		if (e.getBoundingClientRect().right <= cw + 0.5) { return; }
		var p = e.parentElement;
		if (p && p !== document.body && p.getBoundingClientRect().right > cw + 0.5) { return; }
		out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
			" (right edge " + Math.round(e.getBoundingClientRect().right) + ")");
	});
	return "the page is " + d.scrollWidth + " px wide in a " + cw + " px window; sticking out: " + out.slice(0, 8).join(", ");
})()`

// AxeEnv names the file of axe-core's axe.min.js (.ci/run installs it
// from npm and sets it).
const AxeEnv = "CCSUB_AXE_JS"

// AxeSource returns axe-core's script, read from the file AxeEnv names.
// Without one it returns "" after a notice, so the accessibility checks are
// skipped locally; in CI (env CI set) a missing file is a failure.
func AxeSource(t testing.TB) string {
	t.Helper()
	path := os.Getenv(AxeEnv)
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is set: the accessibility checks must run in CI (npm install axe-core@4)", AxeEnv)
		}
		t.Logf("notice: skipping the accessibility checks: set %s to axe-core's axe.min.js (npm install axe-core@4)", AxeEnv)
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", AxeEnv, err)
	}
	return string(b)
}

// InjectOnEveryPage has the browser run src in every document it loads,
// before the page's own scripts. What DevTools injects is not subject to
// the page's Content-Security-Policy, so the console's CSP stays as it is.
func InjectOnEveryPage(src string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	})
}

// axeRun runs every axe rule on the page and keeps the serious and
// critical violations, each with the first few elements it found.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
	return r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
		return v.impact + " " + v.id + ": " + v.help + " — " + v.nodes.slice(0, 4).map(function (n) {
			return n.target.join(" ") + (n.failureSummary ? " (" + n.failureSummary.replace(/\s+/g, " ") + ")" : "");
		}).join("; ");
	});
})`

// AxeViolations runs axe-core, which InjectOnEveryPage must have put in
// the page, and returns its serious and critical violations.
func AxeViolations(ctx context.Context) ([]string, error) {
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`)); err != nil || !ok {
		return nil, fmt.Errorf("axe-core is not in the page (%v)", err)
	}
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](axeRun, chromedp.EvalAwaitPromise))
}

// ColorScheme emulates prefers-color-scheme: "light" or "dark".
func ColorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// Expected reports whether a browser problem is only the log line of a
// status the test asked for (a refused write, a form sent back).
func Expected(problem string, statuses ...int) bool {
	for _, s := range statuses {
		if strings.Contains(problem, fmt.Sprintf("status of %d", s)) {
			return true
		}
	}
	return false
}
