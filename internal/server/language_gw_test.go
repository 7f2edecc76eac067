package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// wantChinese checks that a page is marked zh-Hans and shows the words.
func wantChinese(t *testing.T, what string, d *goquery.Document, words ...string) {
	t.Helper()
	if got := htmlLang(d); got != "zh-Hans" {
		t.Errorf("%s: <html lang=%q>, want zh-Hans", what, got)
	}
	text := d.Find("main").Text()
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q in Chinese", what, w)
		}
	}
}

func TestGatewayPagesSpeakChinese(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	zh := speaking(admin, "zh-CN")
	operator, _ := e.User(domain.RoleOperator)
	opZh := speaking(operator, "zh-CN")

	t.Run("the list", func(t *testing.T) {
		d := e.Page(zh, "/gateways", http.StatusOK)
		wantChinese(t, "the gateway list", d, "网关", "座席工号", "最近一次连接测试", "测试连接")
		if got := d.Find("title").Text(); !strings.Contains(got, "网关") {
			t.Errorf("title %q", got)
		}
	})
	t.Run("the add form and its messages", func(t *testing.T) {
		wantChinese(t, "the add form", e.Page(zh, "/gateways/new", http.StatusOK), "添加网关", "CA 证书包", "保存")
		d := e.Doc(e.Post(zh, "/gateways", url.Values{"name": {""}, "baseUrl": {""}, "agentId": {"0"}}), http.StatusUnprocessableEntity)
		wantChinese(t, "the refused add form", d, "未保存任何内容", "请输入网关地址", "必须是 1 到 99999999 之间的整数", "请输入管理员密码或 VDN 互联密码")
	})
	t.Run("the edit page, disabling and its flash", func(t *testing.T) {
		g := e.AddGateway(apptest.Uniq("spare"), e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
		path := "/gateways/" + strconv.FormatInt(g.ID, 10)
		wantChinese(t, "the edit page", e.Page(zh, path, http.StatusOK), "编辑网关", "停用或移除", "查看已存储的密码")
		if res := e.Post(zh, path+"/disable", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", res.StatusCode)
		}
		d := e.Page(zh, "/gateways", http.StatusOK)
		if got := d.Find(".flash").Text(); !strings.Contains(got, "已停用") || !strings.Contains(got, g.Name) {
			t.Errorf("the disable flash reads %q in Chinese", got)
		}
	})
	t.Run("the refusal notice", func(t *testing.T) {
		g, _ := e.refusedGateway(operator)
		d := e.Page(opZh, "/gateways", http.StatusOK)
		notice := d.Find("#refused-" + strconv.FormatInt(g.ID, 10)).Text()
		for _, w := range []string{"拒绝了登录", "ccsub 的任何进程都不会向此网关发送任何请求", "请联系 ccsub 管理员"} {
			if !strings.Contains(notice, w) {
				t.Errorf("the refusal notice lacks %q: %s", w, notice)
			}
		}
	})
	t.Run("the reveal page", func(t *testing.T) {
		d := e.Doc(e.Post(zh, "/gateways/"+strconv.FormatInt(e.Gw.ID, 10)+"/reveal", nil), http.StatusOK)
		wantChinese(t, "the reveal page", d, "网关密码", "以下是机密的明文", "完成")
		if d.Find(`button[data-copy="revealed-secret"]`).Length() != 1 {
			t.Error("the reveal page has no copy button")
		}
	})
	// Last: registering logs in to the simulator, which the refusal counts.
	t.Run("a gateway in use is not disabled, in Chinese", func(t *testing.T) {
		g := e.AddGateway(apptest.Uniq("busy"), e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
		sub := e.Registered(operator, func(v url.Values) { v.Set("gateway", strconv.FormatInt(g.ID, 10)) })
		d := e.Doc(e.Post(zh, "/gateways/"+strconv.FormatInt(g.ID, 10)+"/disable", nil), http.StatusConflict)
		flash := d.Find(".flash.error").Text()
		if !strings.Contains(flash, "无法停用网关") || !strings.Contains(flash, sub.ServerID) || !strings.Contains(flash, "请先取消或关闭这些订阅") {
			t.Errorf("the in-use refusal reads %q in Chinese", flash)
		}
	})
}

// TestGatewayTestFlashSpeaksChinese: the flash after a gateway test names
// its outcome in the viewer's language (it was always the English word).
func TestGatewayTestFlashSpeaksChinese(t *testing.T) {
	e := newEnv(t)
	operator, _ := e.User(domain.RoleOperator)
	zh := speaking(operator, "zh-CN")
	if res := e.Post(zh, "/gateways/"+strconv.FormatInt(e.Gw.ID, 10)+"/test", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("test: %d", res.StatusCode)
	}
	got := e.Page(zh, "/gateways", http.StatusOK).Find(".flash").Text()
	if !strings.Contains(got, "成功") || strings.Contains(got, "success") {
		t.Errorf("the test flash reads %q in Chinese", got)
	}
}

func TestUserPagesSpeakChinese(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	zh := speaking(admin, "zh-CN")
	other := e.Account(domain.RoleOperator)

	wantChinese(t, "the user list", e.Page(zh, "/users", http.StatusOK), "用户名", "活动会话", "添加用户", "已启用")
	wantChinese(t, "the add form", e.Page(zh, "/users/new", http.StatusOK), "添加用户", "审计员（auditor）")
	d := e.Doc(e.Post(zh, "/users", url.Values{"username": {"a b"}, "role": {"boss"}, "password": {"short"}}), http.StatusUnprocessableEntity)
	wantChinese(t, "the refused add form", d, "包含空格", "请选择 admin、operator 或 auditor", "密码太短")
	path := "/users/" + strconv.FormatInt(other.ID, 10)
	wantChinese(t, "a user's page", e.Page(zh, path, http.StatusOK), "用户 "+other.Username, "更改角色", "重置密码", "操作员")
	if res := e.Post(zh, path+"/role", url.Values{"role": {"auditor"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("role change: %d", res.StatusCode)
	}
	if got := e.Page(zh, path, http.StatusOK).Find(".flash").Text(); !strings.Contains(got, "角色已从 操作员 改为 审计员") {
		t.Errorf("the role flash reads %q in Chinese", got)
	}
}

func TestTokenPageSpeaksChinese(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	zh := speaking(admin, "zh-CN")

	wantChinese(t, "the token page", e.Page(zh, "/tokens", http.StatusOK), "API 令牌", "还没有令牌", "有效期（天）", "只读：网关、订阅、调用历史、审计")
	d := e.Doc(e.Post(zh, "/tokens", url.Values{"name": {""}, "role": {"auditor"}, "days": {"0"}}), http.StatusUnprocessableEntity)
	wantChinese(t, "the refused token form", d, "未创建令牌", "请输入说明令牌用途的名称", "请选择 1 到 365 天的有效期")
	d = e.Doc(e.Post(zh, "/tokens", url.Values{"name": {apptest.Uniq("脚本")}, "role": {"auditor"}, "days": {"30"}}), http.StatusOK)
	wantChinese(t, "the issued token", d, "请立即复制", "有效", "从未使用")
	if d.Find(`#issued button[data-copy="issued-token"]`).Length() != 1 {
		t.Error("the issued token has no copy button")
	}
}
