package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// section is the text of the paragraph with id on a retcode page.
func section(d *goquery.Document, id string) string {
	return strings.TrimSpace(d.Find("#" + id).Text())
}

// TestRetcodePagesSpeakPlainly: a known and an unknown code each have a
// page in both languages that says what happened, the likely cause, what
// to check, whom to ask and what to tell them.
func TestRetcodePagesSpeakPlainly(t *testing.T) {
	e := newEnv(t)
	en, _ := e.User(domain.RoleAuditor)
	zh, _ := e.User(domain.RoleAuditor)
	zh = speaking(zh, "zh-CN")
	for _, tc := range []struct {
		name, code string
		c          *http.Client
		want       map[string]string // section id → a phrase it holds
		notInList  bool
	}{
		{"a known code in English", "107-026", en, map[string]string{
			"retcode-meaning": "subscription failed", "retcode-happened": "refused to create the subscription",
			"retcode-cause": "not set up for subscriptions", "retcode-check": "IF_SUB_CONFIGURE=ON",
			"retcode-who": "platform team", "retcode-message": "107-026"}, false},
		{"a known code in Chinese", "107-026", zh, map[string]string{
			"retcode-meaning": "订阅失败", "retcode-happened": "网关拒绝创建订阅", "retcode-cause": "没有开启订阅功能",
			"retcode-check": "IF_SUB_CONFIGURE=ON", "retcode-who": "平台团队", "retcode-message": "返回码：107-026"}, false},
		{"an unknown code in English", "107-999", en, map[string]string{
			"retcode-meaning": "not in the contract", "retcode-cause": "start with 107-", "retcode-who": "platform team",
			"retcode-message": "107-999"}, true},
		{"an unknown code in Chinese", "000-999", zh, map[string]string{
			"retcode-meaning": "不在接口约定", "retcode-cause": "以 000- 开头", "retcode-who": "平台团队",
			"retcode-message": "返回码：000-999"}, true},
		{"a code of no known family", "E_BUSY", en, map[string]string{"retcode-cause": "does not recognise this code's prefix"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Page(tc.c, "/retcodes/"+tc.code, http.StatusOK)
			for id, phrase := range tc.want {
				if got := section(d, id); !strings.Contains(got, phrase) {
					t.Errorf("#%s = %q, want it to hold %q", id, got, phrase)
				}
			}
			if got := d.Find("#retcode-not-in-contract").Length() == 1; got != tc.notInList {
				t.Errorf("says the code is not in the list: %v, want %v", got, tc.notInList)
			}
			btn := d.Find(`button[data-copy="retcode-message"]`)
			if name, _ := btn.Attr("aria-label"); btn.Length() != 1 || name == "" {
				t.Error("the message has no copy button with an accessible name")
			}
		})
	}
	t.Run("a string that is not shaped like a code is not found", func(t *testing.T) {
		e.Page(en, "/retcodes/"+strings.Repeat("9", 40), http.StatusNotFound)
		e.Page(en, "/retcodes/a%20b", http.StatusNotFound)
	})
}

// TestRetcodeListGroupsEveryCodeByFamily: /retcodes lists every code of the
// table once, under its family, linked to its page; its search opens any
// well-formed code's page and refuses anything else.
func TestRetcodeListGroupsEveryCodeByFamily(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	d := e.Page(c, "/retcodes", http.StatusOK)
	for _, r := range domain.Retcodes() {
		link := d.Find("#family-" + string(r.Family) + ` a[href="/retcodes/` + r.Code + `"]`)
		if link.Length() != 1 {
			t.Errorf("%s is not linked once under its family %s", r.Code, r.Family)
		}
	}
	res := e.Get(c, "/retcodes?code=+107-031+")
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/retcodes/107-031" {
		t.Errorf("search for 107-031: %d to %q", res.StatusCode, loc)
	}
	d = e.Page(speaking(c, "zh-CN"), "/retcodes?code=%3Cx%3E", http.StatusBadRequest)
	if got := d.Find("#code-error").Text(); !strings.Contains(got, "返回码") {
		t.Errorf("a malformed search says %q", got)
	}
}

// TestACallLinksToItsRetcodePageWithItsDetails: the call page and the
// history link the call's retcode to its page, naming the call; that page's
// message names the call's time, operation, serverId and gateway.
func TestACallLinksToItsRetcodePageWithItsDetails(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub := e.Registered(c, nil)
	e.Sim.Inject(gatewayFault("unregister", "107-031"))
	e.Post(c, "/subscriptions/"+strconv.FormatInt(sub.ID, 10)+"/cancel", url.Values{"confirmServerId": {sub.ServerID}}).Body.Close()
	calls, err := e.St.ListCalls(t.Context(), domain.CallFilter{ServerID: sub.ServerID, Operation: domain.OpUnregister}, domain.PageRequest{Limit: 5})
	if err != nil || len(calls.Calls) != 1 {
		t.Fatalf("the cancel's call: %v, %d calls", err, len(calls.Calls))
	}
	call := calls.Calls[0]
	zh, _ := e.User(domain.RoleAuditor)
	zh = speaking(zh, "zh-CN")
	want := "/retcodes/107-031?call=" + strconv.FormatInt(call.ID, 10)
	callPage := e.Page(c, "/calls/"+strconv.FormatInt(call.ID, 10), http.StatusOK)
	if callPage.Find(`a[href="`+want+`"]`).Length() == 0 {
		t.Fatalf("the call page does not link to %s", want)
	}
	if e.Page(c, "/history?serverId="+sub.ServerID, http.StatusOK).Find(`a[href="`+want+`"]`).Length() != 1 {
		t.Errorf("the history row does not link to %s", want)
	}
	for _, tc := range []struct {
		c    *http.Client
		want []string
	}{
		{c, []string{"107-031", "Operation: unregister", "serverId: " + sub.ServerID, "Gateway: " + call.GatewayName,
			"ccsub call number: " + strconv.FormatInt(call.ID, 10), "Time: " + call.StartedAt.UTC().Format("2006-01-02 15:04:05")}},
		{zh, []string{"返回码：107-031", "serverId：" + sub.ServerID, "网关：" + call.GatewayName,
			"时间：" + call.StartedAt.UTC().Format("2006年1月2日 15:04:05")}},
	} {
		d := e.Page(tc.c, want, http.StatusOK)
		msg := d.Find("#retcode-message").Text()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("the message lacks %q:\n%s", w, msg)
			}
		}
		if href, _ := d.Find("#retcode-call a").Attr("href"); href != "/calls/"+strconv.FormatInt(call.ID, 10) {
			t.Errorf("the page links back to %q", href)
		}
	}
	// A call that is not there leaves the page without call details.
	d := e.Page(c, "/retcodes/107-031?call=999999999", http.StatusOK)
	if d.Find("#retcode-call").Length() != 0 || strings.Contains(d.Find("#retcode-message").Text(), "serverId") {
		t.Error("a missing call shows details")
	}
}

// TestASubscriptionLinksTheRetcodeOfItsStateReason: a subscription whose
// handshakes failed with a retcode says so in the viewer's language and
// links the code to its page; its serverId and receiver address have copy
// buttons.
func TestASubscriptionLinksTheRetcodeOfItsStateReason(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	c = speaking(c, "zh-CN")
	rs := e.NewReceiverSub("")
	reason := domain.ReasonLapsed.Say("5m0s", domain.ReasonHandshakeCode.Say(domain.OutcomeRejected, "107-032", "handshake failed"))
	e.Exec(t, `UPDATE subscriptions SET state = 'lapsed', state_reason = $1 WHERE id = $2`, reason, rs.ID)
	d := e.Page(c, "/subscriptions/"+strconv.FormatInt(rs.ID, 10), http.StatusOK)
	if got := section(d, "sub-state-reason"); got != "已有 5 分钟 没有成功握手（超过这个时间平台会丢弃订阅）：握手结果：被拒绝，107-032（握手失败）" {
		t.Errorf("state reason %q", got)
	}
	if href, _ := d.Find("#sub-state-retcode").Attr("href"); href != "/retcodes/107-032" {
		t.Errorf("the reason's retcode links to %q", href)
	}
	for _, target := range []string{"sub-server-id", "receiver-url"} {
		btn := d.Find(`button[data-copy="` + target + `"]`)
		if name, _ := btn.Attr("aria-label"); btn.Length() != 1 || !strings.HasPrefix(name, "复制") {
			t.Errorf("%s: copy button named %q (%d)", target, name, btn.Length())
		}
	}
}
