package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"ccsub/internal/browsertest"

	"github.com/chromedp/chromedp"
)

// TestChecksFindWhatTheyLookFor shows that the checks the journey suite
// relies on can fail: on a page with an image without a text, grey text on
// grey and a box wider than a phone, axe-core reports the first two and
// Sideways the third; on a plain page neither reports anything.
func TestChecksFindWhatTheyLookFor(t *testing.T) {
	chrome := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	pages := map[string]string{
		"/bad": `<img src="/pixel.png"><p style="color:#777;background:#888">grey on grey</p><div style="width:900px">wide</div>`,
		"/ok":  `<h1>Fine</h1><p>Black on white, nothing wider than the window.</p>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta name="viewport" content="width=device-width"><title>t</title></head><body><main>%s</main></body></html>`, pages[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t, chrome)
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(390, 800), browsertest.ColorScheme("dark")}
	if axe != "" {
		steps = append(steps, browsertest.InjectOnEveryPage(axe))
	}
	browsertest.Do(t, ctx, steps...)
	for path, want := range map[string][]string{"/bad": {"image-alt", "color-contrast"}, "/ok": nil} {
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+path))
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](browsertest.Sideways))
		if err != nil || (wide != "") != (path == "/bad") {
			t.Errorf("%s: Sideways says %q (%v)", path, wide, err)
		}
		if axe == "" {
			continue
		}
		vs, err := browsertest.AxeViolations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(vs, "\n")
		if len(want) == 0 && len(vs) > 0 {
			t.Errorf("%s: axe reports %s", path, all)
		}
		for _, id := range want {
			if !strings.Contains(all, " "+id+": ") {
				t.Errorf("%s: axe does not report %s; it reports:\n%s", path, id, all)
			}
		}
	}
}
