package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// cellText is the trimmed text of a selection.
func cellText(s *goquery.Selection) string { return strings.TrimSpace(s.Text()) }

func TestInboxInChinese(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	call := apptest.Uniq("call-zh")
	e.mustPush(s, apptest.PushJSON(s.ServerID, call, "我想取消"), apptest.RightToken(s), 200)
	c, _ := e.User(domain.RoleAuditor)
	zh := speaking(c, "zh-CN")

	for _, page := range []string{"/inbox", fmt.Sprintf("/subscriptions/%d/inbox", s.ID)} {
		d := e.Page(zh, page, http.StatusOK)
		if got := htmlLang(d); got != "zh-Hans" {
			t.Errorf("%s: <html lang=%q>, want zh-Hans", page, got)
		}
		if h := d.Find("h1").Text(); !strings.Contains(h, "收件箱") {
			t.Errorf("%s: heading %q", page, h)
		}
		if th := d.Find("#inbox thead").Text(); !strings.Contains(th, "识别文本") || !strings.Contains(th, "说话方") {
			t.Errorf("%s: table header %q", page, th)
		}
		cells := inboxRow(d, call).Find("td")
		for i, want := range map[int]string{3: "客户", 5: "正常，最终结果", 6: "已接收"} {
			if got := cellText(cells.Eq(i)); !strings.Contains(got, want) {
				t.Errorf("%s: cell %d is %q, want it to contain %q", page, i, got, want)
			}
		}
		if v, _ := d.Find("#inbox-status").Attr("data-many-new"); v != "{n} 条新通知" {
			t.Errorf("%s: the live status's words are %q", page, v)
		}
	}
}

func TestAuditPagesInChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	zh := speaking(c, "zh-CN")
	actor := apptest.Uniq("zh-audit")
	e.appendAudit(domain.AuditEntry{Actor: actor, Action: domain.AuditGatewayTest, TargetType: domain.TargetGateway,
		TargetID: "1", TargetName: "gw-zh", Outcome: "success"})

	d := e.Page(zh, "/audit?actor="+actor, http.StatusOK)
	if got := htmlLang(d); got != "zh-Hans" {
		t.Errorf("<html lang=%q>, want zh-Hans", got)
	}
	if h := d.Find("h1").Text(); h != "审计日志" {
		t.Errorf("heading %q", h)
	}
	if l := d.Find("label[for=f-actor]").Text(); l != "操作人（用户名）" {
		t.Errorf("actor label %q", l)
	}
	row := d.Find("table.audit tbody tr")
	if row.Length() != 1 {
		t.Fatalf("%d rows for %s, want 1", row.Length(), actor)
	}
	for sel, want := range map[string]string{".action": "测试网关连接", ".target": "网关 gw-zh", ".badge": "成功"} {
		if got := cellText(row.Find(sel)); got != want {
			t.Errorf("%s reads %q, want %q", sel, got, want)
		}
	}

	bad := e.Page(zh, "/audit?action=drop_table", http.StatusBadRequest)
	if got := bad.Find("#action-error").Text(); got != "请从列表中选择一项操作。" {
		t.Errorf("bad action's message %q", got)
	}
	if got := bad.Find(".flash.error").Text(); !strings.Contains(got, "这些筛选条件无法使用") {
		t.Errorf("bad filters' flash %q", got)
	}

	v := e.Page(zh, "/audit/verify", http.StatusOK)
	if h := v.Find("h1").Text(); h != "校验审计日志" {
		t.Errorf("verify heading %q", h)
	}
	if got := v.Find("#verify-result").Text(); !strings.Contains(got, "哈希链完整。") || !strings.Contains(got, "已检查条目") {
		t.Errorf("verify result %q", got)
	}
}

func TestRetentionPageInChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAdmin)
	d := e.Page(speaking(c, "zh-CN"), "/retention", http.StatusOK)
	if got := htmlLang(d); got != "zh-Hans" {
		t.Errorf("<html lang=%q>, want zh-Hans", got)
	}
	if h := d.Find("h1").Text(); h != "数据保留" {
		t.Errorf("heading %q", h)
	}
	if got := cellText(d.Find(`#policy tr[data-kind="audit"] td`).First()); got != "审计日志" {
		t.Errorf("the audit kind reads %q", got)
	}
	if got := cellText(d.Find(`#policy tr[data-kind="audit"] .keep`)); got != "永久（未启用）" {
		t.Errorf("the audit window reads %q", got)
	}
	if got := cellText(d.Find(`form[action="/retention/run"] button`)); got != "立即执行" {
		t.Errorf("the Run now button reads %q", got)
	}
}
