package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// TestHistoryInChinese: the history list speaks Chinese to a Chinese
// browser: its heading, columns, operations, filter messages, empty state
// and the damaged page link.
func TestHistoryInChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	zh := speaking(c, "zh-CN")
	serverID, _ := searchCalls(t, e)

	d := e.Page(zh, "/history?serverId="+url.QueryEscape(serverID+"*"), http.StatusOK)
	if got := htmlLang(d); got != "zh-Hans" {
		t.Errorf("<html lang=%q>, want zh-Hans", got)
	}
	if got := d.Find("h1").Text(); got != "调用历史" {
		t.Errorf("heading %q", got)
	}
	if got := d.Find("title").Text(); !strings.Contains(got, "调用历史") {
		t.Errorf("title %q", got)
	}
	if got := d.Find("#history thead").Text(); !strings.Contains(got, "操作人") || !strings.Contains(got, "回调地址") {
		t.Errorf("column headers %q", got)
	}
	if rows := historyRowTexts(d); len(rows) != 2 || !strings.Contains(rows[0], "注册") {
		t.Errorf("rows %q, want two register calls named 注册", rows)
	}
	if got := d.Find("#export-excel").Text(); got != "CSV（适用于 Excel）" {
		t.Errorf("Excel export link %q", got)
	}

	for _, tc := range []struct{ query, field, want string }{
		{"retcode=" + strings.Repeat("1", 201), "retcode", "最多 200 个字符"},
		{"serverId=*", "serverId", "请输入完整的 serverId"},
		{"outcome=maybe", "outcome", "请从列表中选择结果"},
		{"from=2026-13-01", "from", "请使用 2026-11-26 这样的日期格式"},
		{"from=2026-02-02&to=2026-02-01", "to", "不能早于“起始日期”"},
		{"gateway=999999999", "gateway", "没有此 id 的网关"},
	} {
		d := e.Page(zh, "/history?"+tc.query, http.StatusBadRequest)
		if got := d.Find("#" + tc.field + "-error").Text(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s's message %q, want %q", tc.query, tc.field, got, tc.want)
		}
	}
	if got := e.Page(zh, "/history?before=yesterday", http.StatusBadRequest).Find(".flash").Text(); !strings.Contains(got, "此分页链接已损坏") {
		t.Errorf("damaged page link: %q", got)
	}
	if got := e.Page(zh, "/history?serverId=no-such-"+serverID, http.StatusOK).Find(".card.empty").Text(); !strings.Contains(got, "没有符合这些筛选条件的调用") ||
		!strings.Contains(got, "查看全部调用") {
		t.Errorf("empty state %q", got)
	}
	// Without the header the same page is English (speaking changed c).
	en, _ := e.User(domain.RoleAuditor)
	if got := e.Page(en, "/history", http.StatusOK).Find("h1").Text(); got != "History" {
		t.Errorf("English heading %q", got)
	}
}

// TestCallPageInChinese: the page of one call in Chinese, its JSON bodies
// indented.
func TestCallPageInChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	call, err := e.St.BeginCall(t.Context(), domain.NewCall{GatewayID: e.Gw.ID, GatewayName: e.Gw.Name, Actor: "alice",
		Operation: domain.OpRegister, CallbackURI: "https://crm.example.com/asr", SubscribeType: "1", TokenPresent: true,
		RequestBody: `{"subscribeType":"1","serviceCallBackUri":"https://crm.example.com/asr"}`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.CompleteCall(t.Context(), call.ID, domain.CallResult{Outcome: domain.OutcomeRejected, HTTPStatus: 200,
		Retcode: "107-027", Message: "no", ResponseBody: `{"retcode":"107-027","message":"no"}`}); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(call.ID, 10)
	d := e.Page(speaking(c, "zh-CN"), "/calls/"+id, http.StatusOK)
	if got := htmlLang(d); got != "zh-Hans" {
		t.Errorf("<html lang=%q>, want zh-Hans", got)
	}
	if got := d.Find("h1").Text(); got != "注册调用 #"+id {
		t.Errorf("heading %q", got)
	}
	facts := d.Find("dl.facts").Text()
	for _, want := range []string{"返回码（retcode）", "回调地址", "服务令牌", "••••••••（已设置；加密保存，从不显示）", "HTTP 状态码"} {
		if !strings.Contains(facts, want) {
			t.Errorf("the facts lack %q: %q", want, facts)
		}
	}
	if got := d.Find("h2").First().Text(); got != "发送的请求（已隐去机密信息）" {
		t.Errorf("request heading %q", got)
	}
	if got := d.Find("#call-request").Text(); !strings.Contains(got, "{\n  \"subscribeType\": \"1\",\n  \"serviceCallBackUri\"") {
		t.Errorf("the request is not indented:\n%s", got)
	}
	if got := d.Find("#call-response").Text(); !strings.Contains(got, "\n  \"retcode\": \"107-027\"") {
		t.Errorf("the response is not indented:\n%s", got)
	}
	if got := d.Find(`main a[href="/history"]`).Last().Text(); got != "返回调用历史" {
		t.Errorf("back link %q", got)
	}
}
