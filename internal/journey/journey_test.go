package journey_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/dbtest"
	"ccsub/internal/keepalive"

	"github.com/chromedp/chromedp"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// walkLimit bounds one combo's browser, its whole walk included.
const walkLimit = 5 * time.Minute

// TestJourneys walks the console's main journeys in each language, at a
// desktop's and a phone's width, light and dark: eight combos, each a
// console of its own on a database of its own (so its first start really
// has no user), in a browser of its own, two at a time (the test's
// -parallel, GOMAXPROCS by default). See the package comment for what it
// walks and checks.
func TestJourneys(t *testing.T) {
	chrome := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	shots := os.Getenv(ShotsEnv)
	for _, lang := range []string{"en", "zh-Hans"} {
		for _, width := range []int64{1280, 390} {
			for _, scheme := range []string{"light", "dark"} {
				c := combo{lang: lang, width: width, scheme: scheme}
				t.Run(c.dir(), func(t *testing.T) {
					t.Parallel()
					w := start(t, chrome, axe, shots, c)
					journey(w)
				})
			}
		}
	}
}

// start is a console as on its first start and a browser in the combo,
// with a keep-alive engine that handshakes every second, so a
// subscription is seen alive within the walk.
func start(t *testing.T, chrome, axe, shots string, c combo) *walk {
	pool, _ := dbtest.Isolated(t)
	e := apptest.NewEmpty(t, pool)
	engine := keepalive.New(e.St, e.Svc, keepalive.Config{Interval: time.Second, CallTimeout: 2 * time.Second,
		Lease: 3 * time.Second, Grace: 2 * time.Second, Owner: apptest.Uniq("journey")})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- engine.Run(ctx) }()
	stopEngine := sync.OnceFunc(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("keep-alive engine: %v", err)
		}
	})
	t.Cleanup(stopEngine)

	problems := &browsertest.Problems{}
	w := &walk{t: t, e: e, c: c, axe: axe != "" && c.checksAxe(), stopEngine: stopEngine}
	w.ctx = browsertest.NewWithin(t, chrome, walkLimit, problems.Listen)
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(c.width, 900), browsertest.ColorScheme(c.scheme)}
	if w.axe {
		steps = append(steps, browsertest.InjectOnEveryPage(axe))
	}
	w.do(steps...)
	if shots != "" {
		w.shots = filepath.Join(shots, c.dir())
		if err := os.MkdirAll(w.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, p := range problems.List() {
			if !browsertest.Expected(p, 403, 422) { // the refused writes and the form sent back
				t.Errorf("the browser complained: %s", p)
			}
		}
	})
	return w
}

// journey is the walk, in the order a new installation is used.
func journey(w *walk) {
	firstSignIn(w)
	addAndTestGateway(w)
	sub := register(w)
	seeAlive(w, sub)
	receiveNotification(w, sub)
	modify(w, sub)
	next := replaceToken(w, sub)
	cancel(w, next)
	findInHistory(w, next)
	readAudit(w)
	auditor := addAuditor(w)
	signOut(w)
	signIn(w, auditor, auditorPassword)
	auditorReads(w, next)
}

// firstSignIn is the real first start: the console creates "admin" with a
// one-time password, as `ccsub` prints it, and the user signs in with it,
// after choosing the language on the sign-in page; then switches to the
// other language and back with the switch in the header.
func firstSignIn(w *walk) {
	pw, err := w.e.App.Access.FirstAdmin(context.Background())
	if err != nil || pw == "" {
		w.t.Fatalf("first admin: %q, %v", pw, err)
	}
	if st := w.open("/"); st != 200 {
		w.t.Fatalf("the console's address: status %d", st)
	}
	w.must(`form[action="/login"]`, "the console's address leads to the sign-in page")
	if eval[string](w, "document.documentElement.lang") != w.c.lang {
		w.clickOK(`form.lang button[value="` + w.c.lang + `"]`)
	}
	w.arrive("sign-in")
	signIn(w, "admin", pw)
	other := map[string]string{"en": "zh-Hans", "zh-Hans": "en"}[w.c.lang]
	switchLanguage(w, other)
	switchLanguage(w, w.c.lang)
	w.arrive("overview")
}

// switchLanguage uses the switch in the header, which comes back to the
// same page in the other language.
func switchLanguage(w *walk, lang string) {
	w.menu()
	w.clickOK(`header.top form.lang button[value="` + lang + `"]`)
	if got := eval[string](w, "document.documentElement.lang"); got != lang {
		w.t.Fatalf("the header's language switch to %s leads to a page in %q", lang, got)
	}
}

func signIn(w *walk, username, password string) {
	w.must(`form[action="/login"]`, "the sign-in form")
	w.do(chromedp.SendKeys(chromedp.ID("username"), username), chromedp.SendKeys(chromedp.ID("password"), password))
	w.clickOK(`form[action="/login"] button[type=submit]`)
	w.must("header.top .who", "signed in, the header names who is")
}

func signOut(w *walk) {
	w.menu()
	w.clickOK(`form[action="/logout"] button[type=submit]`)
}

// addAndTestGateway adds the simulator as a gateway from the form, then
// tests it from the list.
func addAndTestGateway(w *walk) {
	w.nav("/gateways")
	w.arrive("gateways-empty")
	w.clickOK(`a[href="/gateways/new"]`)
	w.arrive("gateway-new")
	w.fill("name", "cc-gateway-1")
	w.fill("baseUrl", w.e.Sim.URL())
	w.fill("agentId", strconv.Itoa(apptest.SimAgent))
	w.fill("password", apptest.SimPassword)
	w.fill("caPem", string(w.e.Sim.CAPEM()))
	w.clickOK(`main form[action="/gateways"] button[type=submit]`)
	w.must(".flash.ok", "the gateway is saved")
	w.must("#gateways", "the list shows the gateway")
	w.clickOK(`#gateways form[action$="/test"] button[type=submit]`)
	w.must(".flash.ok", "the gateway's test (a login) succeeds")
	w.arrive("gateway-tested")
}

// registered is a subscription the walk registered.
type registered struct {
	id              int64
	serverID, token string
}

// register first sends the form with a callback address that is not one,
// sees it sent back with the field's error, then registers with ccsub's
// own receiver as the callback.
func register(w *walk) registered {
	w.nav("/subscriptions/new")
	w.arrive("register-form")
	token := "tok-" + apptest.Uniq("journey")
	w.tick("useReceiver", false)
	w.fill("serviceCallBackUri", "not an address")
	w.fill("serviceToken", token)
	if st := w.click(`form[action="/subscriptions"] button[type=submit]`); st != 422 {
		w.t.Fatalf("register with a bad callback address: status %d, want 422", st)
	}
	w.must(`#serviceCallBackUri[aria-invalid="true"]`, "the callback field is marked invalid")
	w.must("#serviceCallBackUri-error", "the callback field says what is wrong")
	w.arrive("register-error")

	w.tick("useReceiver", true)
	w.fill("serviceToken", token)
	w.clickOK(`form[action="/subscriptions"] button[type=submit]`)
	path := w.where()
	id, err := strconv.ParseInt(strings.TrimPrefix(path, "/subscriptions/"), 10, 64)
	if err != nil {
		w.t.Fatalf("a granted register leads to %s, want the subscription's page", path)
	}
	sub := registered{id: id, serverID: w.text("#sub-server-id"), token: token}
	if sub.serverID == "" || sub.serverID == "—" {
		w.t.Fatalf("the new subscription's page shows no serverId")
	}
	w.must("#receiver-url", "the subscription pushes to ccsub's own receiver")
	w.arrive("registered")
	return sub
}

// seeAlive waits, in the browser, until the subscription's page shows a
// successful handshake in its heartbeat strip, then loads it. The engine
// has done its part then, and stops.
func seeAlive(w *walk, sub registered) {
	w.await("a handshake on the subscription's page", `fetch(location.href).then(function (r) { return r.text(); }).then(function (t) {
		return new DOMParser().parseFromString(t, "text/html").querySelector(".strip .cell.ok") !== null; })`,
		chromedp.WithPollingInterval(250*time.Millisecond))
	w.stopEngine()
	if st := w.open(fmt.Sprintf("/subscriptions/%d", sub.id)); st != 200 {
		w.t.Fatalf("the subscription's page: status %d", st)
	}
	w.must(".badge.active", "the subscription is active")
	w.must(".strip .cell.ok", "its heartbeat strip shows the handshake")
	w.arrive("alive")
}

// receiveNotification has the platform push a recognition result to the
// subscription's receiver, as the simulator would, and finds it in the
// inbox.
func receiveNotification(w *walk, sub registered) {
	s, err := w.e.St.Subscription(context.Background(), sub.id)
	if err != nil {
		w.t.Fatal(err)
	}
	text := "journey " + w.c.dir() + ": 您好，请问有什么可以帮您？"
	path := "/receiver/" + s.ReceiverKey + "/v100/subscribe/asrevent/asrresult"
	if r := w.e.SendPush(path, apptest.PushJSON(sub.serverID, "call-journey-1", text), apptest.PushOpts{Tokens: []string{sub.token}}); r.Status != 200 {
		w.t.Fatalf("push to the receiver: status %d, retcode %q", r.Status, r.Retcode)
	}
	w.nav("/inbox")
	w.await("the notification in the inbox", `(document.getElementById("inbox") || {textContent: ""}).textContent.includes(`+strconv.Quote(text)+`)`)
	w.arrive("inbox")
}

// modify turns on semantic analysis with a flow access code, from the
// subscription's page.
func modify(w *walk, sub registered) {
	w.nav("/subscriptions")
	w.arrive("subscriptions")
	w.clickOK(fmt.Sprintf(`main a[href="/subscriptions/%d"]`, sub.id))
	w.tick("nlpFlag", true) // the flow access code goes with semantic analysis
	w.fill("flowAccessCode", "8002")
	w.clickOK(fmt.Sprintf(`form[action="/subscriptions/%d/modify"] button[type=submit]`, sub.id))
	w.must(".flash.ok", "the gateway granted the modify")
	if v := eval[string](w, `document.getElementById("flowAccessCode").value`); v != "8002" {
		w.t.Errorf("after the modify the form shows flow access code %q, want 8002", v)
	}
	w.arrive("modified")
}

// replaceToken registers a new subscription with a new token and cancels
// the old one; it lands on the new one's page.
func replaceToken(w *walk, sub registered) registered {
	token := "tok-" + apptest.Uniq("replaced")
	w.fill("newToken", token)
	w.clickOK(fmt.Sprintf(`form[action="/subscriptions/%d/replace"] button[type=submit]`, sub.id))
	w.must(".flash.ok", "the token is replaced")
	path := w.where()
	id, err := strconv.ParseInt(strings.TrimPrefix(path, "/subscriptions/"), 10, 64)
	if err != nil || id == sub.id {
		w.t.Fatalf("a replaced token leads to %s, want the new subscription's page", path)
	}
	w.must(fmt.Sprintf(`main a[href="/subscriptions/%d"]`, sub.id), "the new subscription links to the one it replaces")
	w.arrive("token-replaced")
	return registered{id: id, serverID: w.text("#sub-server-id"), token: token}
}

// cancel cancels the subscription after the page that names it.
func cancel(w *walk, sub registered) {
	w.clickOK(fmt.Sprintf(`main a[href="/subscriptions/%d/cancel"]`, sub.id))
	w.arrive("cancel-confirm")
	w.clickOK(fmt.Sprintf(`form[action="/subscriptions/%d/cancel"] button[type=submit]`, sub.id))
	w.must(".flash.ok", "the gateway granted the cancel")
	w.must(".badge.cancelled", "the subscription shows as cancelled")
	w.arrive("cancelled")
}

// findInHistory filters the history by the start of the serverId, opens a
// call, and exports what the filter shows.
func findInHistory(w *walk, sub registered) {
	w.nav("/history")
	prefix := sub.serverID[:len(sub.serverID)-2]
	w.fill("f-serverId", prefix+"*")
	w.clickOK(`main form[action="/history"] button[type=submit]`)
	ids := eval[[]string](w, `Array.from(document.querySelectorAll("#history tbody .server-id")).map(function (e) { return e.textContent.trim(); })`)
	if len(ids) == 0 {
		w.t.Fatalf("the history filtered by %s* shows no call", prefix)
	}
	found := false
	for _, id := range ids {
		found = found || id == sub.serverID
		if !strings.HasPrefix(id, prefix) {
			w.t.Errorf("the history filtered by %s* shows a call of %s", prefix, id)
		}
	}
	if !found {
		w.t.Errorf("the history filtered by %s* does not show %s: %v", prefix, sub.serverID, ids)
	}
	w.arrive("history-filtered")
	exportCSV(w, sub.serverID, len(ids))
	w.clickOK(`#history tbody a[href^="/calls/"]`)
	w.must("main pre", "the call's page shows the request and the response")
	w.arrive("call")
}

// exportCSV fetches the filtered history's CSV export, as its link gives
// it, and checks it holds the calls the page shows.
func exportCSV(w *walk, serverID string, calls int) {
	got := eval[[]string](w, `(async function () {
		var r = await fetch(document.getElementById("export-csv").href);
		return [String(r.status), r.headers.get("Content-Type") || "", await r.text()];
	})()`)
	if got[0] != "200" || !strings.HasPrefix(got[1], "text/csv") {
		w.t.Fatalf("the CSV export: status %s, type %q", got[0], got[1])
	}
	lines := strings.Split(strings.TrimSpace(got[2]), "\n")
	if len(lines) != calls+1 || !strings.Contains(got[2], serverID) {
		w.t.Errorf("the CSV export has %d lines, want a header and the %d calls shown, with %s:\n%s", len(lines), calls, serverID, got[2])
	}
}

// readAudit reads the audit trail and verifies its chain.
func readAudit(w *walk) {
	w.nav("/audit")
	w.must("main table", "the audit trail lists what was done")
	w.arrive("audit")
	w.clickOK(`main a[href="/audit/verify"]`)
	w.must(`#verify-result[data-intact="true"]`, "the audit chain is intact")
	w.arrive("audit-verified")
}

const auditorPassword = "an auditor's long passphrase"

// addAuditor creates a user with the auditor role.
func addAuditor(w *walk) string {
	name := "auditor-" + strings.ReplaceAll(w.c.dir(), "-", "")
	w.nav("/users")
	w.clickOK(`main a[href="/users/new"]`)
	w.fill("username", name)
	w.do(chromedp.SetValue(chromedp.ID("role"), "auditor"))
	w.fill("password", auditorPassword)
	w.clickOK(`main form[action="/users"] button[type=submit]`)
	w.must(".flash.ok", "the user is added")
	w.arrive("user-added")
	return name
}

// auditorReads is what an auditor may and may not do: read, never write.
func auditorReads(w *walk, sub registered) {
	if w.has(`header.top a[href="/subscriptions/new"]`) {
		w.t.Error("an auditor is offered Register")
	}
	w.must(`header.top a[href="/audit"]`, "an auditor is offered the audit trail")
	w.arrive("auditor-overview")
	w.nav("/gateways")
	if w.has(`a[href="/gateways/new"]`) || w.has(`form[action$="/test"]`) {
		w.t.Error("an auditor is offered to add or test a gateway")
	}
	if st := w.open("/subscriptions/new"); st != 403 {
		w.t.Errorf("an auditor opens the register form: status %d, want 403", st)
	}
	w.arrive("auditor-refused")
	if st := eval[int](w, fmt.Sprintf(`fetch("/subscriptions/%d/modify", {method: "POST", body: new URLSearchParams({flowAccessCode: "9"})}).then(function (r) { return r.status; })`, sub.id)); st != 403 {
		w.t.Errorf("an auditor's modify: status %d, want 403", st)
	}
	w.nav("/audit")
	w.arrive("auditor-audit")
}
