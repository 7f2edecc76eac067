package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/browsertest"
	"ccsub/internal/domain"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// dialogs records every JavaScript dialog (alert, confirm, prompt) a page
// opens: an injected script's first act in these payloads.
type dialogs struct {
	mu   sync.Mutex
	seen []string
}

func (d *dialogs) listen(ev any) {
	if ev, ok := ev.(*page.EventJavascriptDialogOpening); ok {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.seen = append(d.seen, string(ev.Type)+": "+ev.Message)
	}
}

func (d *dialogs) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// xssPayload is markup that would add an element with id and open an alert
// if a page ever put it into the DOM as HTML.
func xssPayload(id string) string {
	return fmt.Sprintf(`<img id=%s src=x onerror=alert('%s')><script>alert('%s')</script>`, id, id, id)
}

// TestStoredScriptPayloadsRenderAsTextInTheBrowser stores markup where users,
// the gateway or the platform can put text (a gateway name, a callback URI,
// recognised speech, an audit entry) and checks in Chromium that every page
// shows it literally: no element is created and no dialog opens.
func TestStoredScriptPayloadsRenderAsTextInTheBrowser(t *testing.T) {
	chrome := browsertest.Chromium(t)
	e := newEnv(t)
	ctx := context.Background()
	gwName := xssPayload("xss-gw")
	gw := e.AddGateway(gwName, e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
	callback := "https://cb.example.com/?q=" + xssPayload("xss-cb")
	sub, err := e.St.CreateSubscription(ctx, domain.NewSubscription{GatewayID: gw.ID, ServerID: apptest.Uniq("srv"), SubscribeType: "1",
		CallbackURI: callback, CreatedBy: xssPayload("xss-by"), RegisterCallID: 1})
	if err != nil {
		t.Fatal(err)
	}
	rs := e.NewReceiverSub(apptest.Uniq("tok"))
	spoken := xssPayload("xss-inbox")
	e.mustPush(rs, apptest.PushJSON(rs.ServerID, "call-xss", spoken), apptest.RightToken(rs), 200)
	auditName := xssPayload("xss-audit")
	diffValue := xssPayload("xss-diff")
	if _, err := e.St.AppendAudit(ctx, domain.AuditEntry{Actor: "test", Action: domain.AuditGatewayUpdate, TargetType: domain.TargetGateway,
		TargetID: fmt.Sprint(gw.ID), TargetName: auditName, Diff: map[string]domain.FieldChange{"name": {Before: "plain", After: diffValue}}}); err != nil {
		t.Fatal(err)
	}

	_, name := e.User(domain.RoleAdmin)
	problems, dlg := &browsertest.Problems{}, &dialogs{}
	bctx := browsertest.New(t, chrome, problems.Listen)
	if err := chromedp.Listen(bctx, dlg.listen); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, bctx,
		chromedp.Navigate(e.Srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery staple"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("header.top .who")),
	)
	pages := []struct {
		name, path string
		texts      []string
		ids        []string
	}{
		{"the gateway list shows a gateway name as text", "/gateways", []string{gwName}, []string{"xss-gw"}},
		{"the subscription page shows the callback URI and creator as text", fmt.Sprintf("/subscriptions/%d", sub.ID),
			[]string{callback, gwName}, []string{"xss-cb", "xss-gw", "xss-by"}},
		{"the inbox shows recognised speech as text", fmt.Sprintf("/subscriptions/%d/inbox", rs.ID), []string{spoken}, []string{"xss-inbox"}},
		{"the audit trail shows a target name and a diff as text", "/audit?" + url.Values{"target_type": {"gateway"}, "target_id": {fmt.Sprint(gw.ID)}}.Encode(),
			[]string{auditName, diffValue}, []string{"xss-audit", "xss-diff"}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			browsertest.Do(t, bctx, chromedp.Navigate(e.Srv.URL+p.path), chromedp.WaitReady(chromedp.CSS("main")))
			text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range p.texts {
				if !strings.Contains(text, want) {
					t.Errorf("the page does not show %q literally", want)
				}
			}
			for _, id := range p.ids {
				found, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%q) !== null`, id)))
				if err != nil {
					t.Fatal(err)
				}
				if found {
					t.Errorf("the payload created element #%s", id)
				}
			}
		})
	}
	t.Run("no dialog opened on any page", func(t *testing.T) {
		if d := dlg.list(); len(d) > 0 {
			t.Errorf("dialogs opened: %v", d)
		}
	})
}
