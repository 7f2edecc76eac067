package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/browsertest"
	"ccsub/internal/dbtest"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserJourney drives the console in headless Chromium the way an
// operator would, with the page's JavaScript and CSP in force: sign in,
// register with a generated token, read the serverId, find it in the
// history, and no console error or CSP violation on the way.
func TestBrowserJourney(t *testing.T) {
	chrome := browsertest.Chromium(t)
	env := map[string]string{
		"DATABASE_URL": dbtest.URL(t), "CCSUB_SIMULATOR": "on", "CCSUB_DATA_DIR": t.TempDir(),
		"CCSUB_SECRET_KEY": testSecretKey, "LISTEN_ADDR": "127.0.0.1:0",
	}
	name, pw := uniq("alice"), "alice's long browser password"
	if _, _, err := runCLI(t, env, pw+"\n", "user", "add", "--username", name, "--role", "operator", "--password-stdin"); err != nil {
		t.Fatalf("ccsub user add: %v", err)
	}
	c := startConsole(t, env)
	watch := &consoleWatch{changed: make(chan struct{})}
	ctx := browsertest.New(t, chrome, watch.listen)
	callback := "https://crm.example.com/" + uniq("browser")
	var serverID string

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"the operator signs in on the login page", func(t *testing.T) {
			browsertest.Do(t, ctx,
				chromedp.Navigate(c.URL+"/login"),
				chromedp.SendKeys(chromedp.ID("username"), name),
				chromedp.SendKeys(chromedp.ID("password"), pw),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS("header.top .who")),
			)
			if who := text(t, ctx, chromedp.CSS("header.top .who span")); !strings.Contains(who, name+" (operator)") {
				t.Errorf("signed in as %q, want %s (operator)", who, name)
			}
		}},
		{"the register form fills a generated token and lands on the new subscription, which links to its call", func(t *testing.T) {
			browsertest.Do(t, ctx,
				chromedp.Navigate(c.URL+"/subscriptions/new"),
				chromedp.WaitVisible(chromedp.ID("serviceCallBackUri")),
			)
			selectGateway(t, ctx, "simulator")
			// The button is hidden until app.js runs: waiting for it shows the
			// script loaded under the CSP.
			token := fillGeneratedToken(t, ctx)
			browsertest.Do(t, ctx,
				chromedp.SendKeys(chromedp.ID("serviceCallBackUri"), callback),
				chromedp.Click(chromedp.ID("nlpFlag")),
				chromedp.Click(chromedp.CSS(`form[action="/subscriptions"] button[type=submit]`)),
				chromedp.WaitVisible(chromedp.ID("sub-server-id")),
			)
			serverID = strings.TrimSpace(text(t, ctx, chromedp.ID("sub-server-id")))
			if flash := text(t, ctx, chromedp.CSS(".flash.ok")); !strings.Contains(flash, serverID) {
				t.Errorf("the flash %q does not name serverId %s", flash, serverID)
			}
			browsertest.Do(t, ctx,
				chromedp.Click(chromedp.ID("sub-register-call")),
				chromedp.WaitVisible(chromedp.ID("call-server-id")),
			)
			if got := strings.TrimSpace(text(t, ctx, chromedp.ID("call-server-id"))); got != serverID {
				t.Errorf("the register call shows serverId %q, want %q", got, serverID)
			}
			page := text(t, ctx, chromedp.CSS("main"))
			if serverID == "" || serverID == "—" {
				t.Fatalf("no serverId on the call page:\n%s", page)
			}
			for _, want := range []string{callback, "Semantic analysis\nyes", "set; stored encrypted"} {
				if !strings.Contains(page, want) {
					t.Errorf("the call page does not show %q:\n%s", want, page)
				}
			}
			if strings.Contains(page, token) {
				t.Error("the call page shows the service token")
			}
		}},
		{"the history lists the call with its serverId and actor", func(t *testing.T) {
			browsertest.Do(t, ctx,
				chromedp.Navigate(c.URL+"/history"),
				chromedp.WaitVisible(chromedp.ID("history")),
			)
			table := text(t, ctx, chromedp.ID("history"))
			if !strings.Contains(table, serverID) || !strings.Contains(table, name) {
				t.Errorf("the history table lacks serverId %s or actor %s:\n%s", serverID, name, table)
			}
		}},
		{"no page logged a console error or a CSP violation", func(t *testing.T) {
			problems := watch.problems()
			if len(problems) > 0 {
				t.Errorf("the browser reported:\n%s", strings.Join(problems, "\n"))
			}
		}},
		{"the console watch does see a CSP violation (so its silence above means something)", func(t *testing.T) {
			// An inline style is refused by style-src 'self'.
			browsertest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](
				`document.body.insertAdjacentHTML("beforeend", "<style>body{color:red}</style>")`))
			if err := watch.waitFor(ctx, "Content Security Policy"); err != nil {
				t.Fatalf("no CSP violation reported: %v; saw:\n%s", err, strings.Join(watch.all(), "\n"))
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// selectGateway chooses the gateway option whose label starts with name;
// the shared test database may hold other gateways too.
func selectGateway(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	value, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(Array.from(document.querySelectorAll("#gateway option")).find(o => o.textContent.startsWith(%q + " — ")) || {value: ""}).value`, name)))
	if err != nil || value == "" {
		t.Fatalf("no gateway %q in the list (err %v)", name, err)
	}
	browsertest.Do(t, ctx, chromedp.SetValue(chromedp.ID("gateway"), value))
}

// fillGeneratedToken clicks "Use a generated strong token" and checks the
// field now holds the suggested token, shown in clear to be copied.
func fillGeneratedToken(t *testing.T, ctx context.Context) string {
	t.Helper()
	button := chromedp.CSS(`button[data-fill-token="serviceToken"]`)
	browsertest.Do(t, ctx, chromedp.WaitVisible(button), chromedp.Click(button))
	suggested, err := chromedp.Run(ctx, chromedp.AttributeValue(button, "data-token"))
	if err != nil || suggested.Value == "" {
		t.Fatalf("the button carries no token (err %v)", err)
	}
	value, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("serviceToken")))
	if err != nil {
		t.Fatal(err)
	}
	kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("serviceToken").type`))
	if err != nil {
		t.Fatal(err)
	}
	if value != suggested.Value || kind != "text" {
		t.Fatalf("after the click the token field holds %d characters of type %q; want the %d-character suggestion, shown as text",
			len(value), kind, len(suggested.Value))
	}
	return value
}

// consoleWatch records what the tab reports in its console: console API
// calls, uncaught exceptions and browser log entries (CSP violations are
// log entries).
type consoleWatch struct {
	mu      sync.Mutex
	entries []consoleEntry
	changed chan struct{}
}

type consoleEntry struct {
	problem bool
	text    string
}

// listen runs in the tab's event loop: it only records.
func (w *consoleWatch) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value)+a.Description)
		}
		bad := ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert
		w.add(bad, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		w.add(true, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		bad := e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning || e.Source == cdplog.EntrySourceSecurity
		w.add(bad, fmt.Sprintf("log %s/%s %s: %s", e.Source, e.Level, e.URL, e.Text))
	}
}

func (w *consoleWatch) add(problem bool, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.entries = append(w.entries, consoleEntry{problem, text})
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *consoleWatch) problems() []string { return w.filter(true) }
func (w *consoleWatch) all() []string      { return w.filter(false) }

func (w *consoleWatch) filter(onlyProblems bool) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, e := range w.entries {
		if e.problem || !onlyProblems {
			out = append(out, e.text)
		}
	}
	return out
}

// waitFor waits until a problem containing substr is reported.
func (w *consoleWatch) waitFor(ctx context.Context, substr string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		w.mu.Lock()
		changed := w.changed
		for _, e := range w.entries {
			if e.problem && strings.Contains(e.text, substr) {
				w.mu.Unlock()
				return nil
			}
		}
		w.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return errors.New("timed out")
		}
	}
}
