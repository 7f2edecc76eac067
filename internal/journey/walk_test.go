package journey_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// ShotsEnv names the folder the suite saves a full-page picture of each
// step into (.ci/run sets it); unset, nothing is saved.
const ShotsEnv = "CCSUB_JOURNEY_SHOTS"

// combo is one way of seeing the console: a language, a window width and
// a colour scheme.
type combo struct {
	lang   string // an <html lang> the console speaks: "en" or "zh-Hans"
	width  int64
	scheme string // "light" or "dark"
}

// dir is the combo's folder of pictures, e.g. "zh-390-dark".
func (c combo) dir() string {
	return fmt.Sprintf("%s-%d-%s", strings.SplitN(c.lang, "-", 2)[0], c.width, c.scheme)
}

func (c combo) phone() bool { return c.width < 700 }

// checksAxe says whether axe-core runs in this combo. It runs in half of
// them, every page of each language and each scheme once, and each
// language and scheme at both widths: en light and zh dark on the desktop,
// en dark and zh light on the phone. axe is two thirds of a combo's time;
// the widths change the layout, never the colours or the words.
func (c combo) checksAxe() bool {
	return (c.lang == "en") == (c.scheme == "light") == (c.width == 1280)
}

// walk is one browser walking one console in one combo. Every step waits
// for a condition (a page loaded, an element present, a predicate true in
// the page), never for a time.
type walk struct {
	t     *testing.T
	e     *apptest.Env
	ctx   context.Context
	c     combo
	axe   bool   // axe-core is injected in every page
	shots string // the combo's folder of pictures, or ""
	step  int
	// stopEngine stops the keep-alive engine once the walk has seen a
	// handshake, so it does not handshake every second for the rest of
	// the walk.
	stopEngine func()
}

func (w *walk) url(path string) string { return w.e.Srv.URL + path }

// do runs browser steps, failing the test on the first error.
func (w *walk) do(steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	browsertest.Do(w.t, w.ctx, steps...)
}

// eval evaluates js in the page and decodes its value, awaiting a promise.
func eval[T any](w *walk, js string) T {
	w.t.Helper()
	v, err := chromedp.Run(w.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		w.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// await polls a predicate in the page until it holds, at every animation
// frame or with the options given.
func (w *walk) await(what, js string, opts ...chromedp.PollOption) {
	w.t.Helper()
	opts = append([]chromedp.PollOption{chromedp.WithPollingTimeout(browsertest.Timeout / 2)}, opts...)
	if _, err := chromedp.Run(w.ctx, chromedp.Poll[bool](js, opts...)); err != nil {
		w.t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

// has reports whether an element matches the CSS selector.
func (w *walk) has(sel string) bool {
	w.t.Helper()
	return eval[bool](w, "document.querySelector("+strconv.Quote(sel)+") !== null")
}

// text is the text of the first element the selector matches.
func (w *walk) text(sel string) string {
	w.t.Helper()
	return eval[string](w, "(document.querySelector("+strconv.Quote(sel)+") || {textContent: ''}).textContent.trim()")
}

// must fails the test unless the selector matches, saying what it means.
func (w *walk) must(sel, meaning string) {
	w.t.Helper()
	if !w.has(sel) {
		w.t.Fatalf("on %s: %s (nothing matches %s)", w.where(), meaning, sel)
	}
}

func (w *walk) where() string {
	return eval[string](w, "location.pathname + location.search")
}

// open loads a path the way a bookmark or the address bar would, and
// returns the document's HTTP status.
func (w *walk) open(path string) int64 {
	w.t.Helper()
	res, err := chromedp.Run(w.ctx, chromedp.NavigateResponse(w.url(path)))
	if err != nil {
		w.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// click clicks what the selector matches, which loads a page (a link, a
// form's button), and returns that page's HTTP status after redirects.
func (w *walk) click(sel string) int64 {
	w.t.Helper()
	res, err := chromedp.RunResponse(w.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		w.t.Fatalf("click %s on %s: %v", sel, w.where(), err)
	}
	return res.Status
}

// clickOK clicks and expects a page that answered 200.
func (w *walk) clickOK(sel string) {
	w.t.Helper()
	if st := w.click(sel); st != 200 {
		errs := eval[[]string](w, `Array.from(document.querySelectorAll(".flash, .error, [role=alert]")).map(function (e) { return e.textContent.trim(); })`)
		w.t.Fatalf("click %s: status %d, want 200 (now on %s; the page says %q)", sel, st, w.where(), errs)
	}
}

// menu opens the phone's Menu, where the navigation, the language switch
// and the sign-out button are; on a desktop they are always shown.
func (w *walk) menu() {
	w.t.Helper()
	if w.c.phone() && !eval[bool](w, `document.getElementById("menu").open`) {
		w.do(chromedp.Click(chromedp.CSS("#menu > summary")))
		w.await("the menu to open", `document.querySelector("header.top nav").checkVisibility()`)
	}
}

// nav follows a link of the header's navigation.
func (w *walk) nav(href string) {
	w.t.Helper()
	w.menu()
	w.clickOK(`header.top nav a[href="` + href + `"]`)
}

// fill sets a field's value.
func (w *walk) fill(id, value string) {
	w.t.Helper()
	w.do(chromedp.SetValue(chromedp.ID(id), value))
}

// tick sets a checkbox as a user would, by clicking it when it is not as
// wanted.
func (w *walk) tick(id string, want bool) {
	w.t.Helper()
	if eval[bool](w, "document.getElementById("+strconv.Quote(id)+").checked") != want {
		w.do(chromedp.Click(chromedp.ID(id)))
	}
}

// arrive checks the page the browser is on — it is in the combo's
// language, nothing makes it scroll sideways, axe-core finds no serious or
// critical violation — and saves its picture as the next step.
func (w *walk) arrive(name string) {
	w.t.Helper()
	w.step++
	w.do(chromedp.WaitReady(chromedp.ID("main")))
	where := w.where()
	if lang := eval[string](w, "document.documentElement.lang"); lang != w.c.lang {
		w.t.Errorf("step %d %s (%s): the page is in %q, want %q", w.step, name, where, lang, w.c.lang)
	}
	if msg := eval[string](w, browsertest.Sideways); msg != "" {
		w.t.Errorf("step %d %s (%s) scrolls sideways: %s", w.step, name, where, msg)
	}
	if w.axe {
		vs, err := browsertest.AxeViolations(w.ctx)
		if err != nil {
			w.t.Fatalf("step %d %s (%s): %v", w.step, name, where, err)
		}
		for _, v := range vs {
			w.t.Errorf("step %d %s (%s): axe: %s", w.step, name, where, v)
		}
	}
	if w.shots == "" {
		return
	}
	png, err := chromedp.Run(w.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		w.t.Fatalf("screenshot of %s: %v", where, err)
	}
	file := filepath.Join(w.shots, fmt.Sprintf("%02d-%s.png", w.step, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		w.t.Fatal(err)
	}
}
