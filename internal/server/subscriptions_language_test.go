package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// TestSubscriptionPagesSpeakChinese: a browser asking for Chinese gets the
// list, the register form (its errors and the flash after it), the
// subscription page and the cancel confirmation in Chinese, with the API
// names kept as they are.
func TestSubscriptionPagesSpeakChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	zh := speaking(c, "zh-CN")
	has := func(t *testing.T, d *goquery.Document, sel, want string) {
		t.Helper()
		if lang := htmlLang(d); lang != "zh-Hans" {
			t.Errorf("<html lang=%q>, want zh-Hans", lang)
		}
		if got := d.Find(sel).Text(); !strings.Contains(got, want) {
			t.Errorf("%s reads %q, want it to contain %q", sel, got, want)
		}
	}

	// The package's tests share one database: the list is never known to
	// be empty, but a search for nothing is.
	t.Run("an empty list says what to do next", func(t *testing.T) {
		d := e.Page(zh, "/subscriptions?q=nothing-matches-this", http.StatusOK)
		has(t, d, "h1", "订阅")
		has(t, d, ".card.empty", "没有符合这些筛选条件的订阅。")
		has(t, d, `.card.empty a[href="/subscriptions"]`, "显示所有订阅。")
	})

	t.Run("register form", func(t *testing.T) {
		d := e.Page(zh, "/subscriptions/new", http.StatusOK)
		has(t, d, "h1", "注册订阅")
		has(t, d, "label[for=serviceCallBackUri]", "回调地址")
		has(t, d, "label[for=serviceCallBackUri] small.api", "serviceCallBackUri")
		has(t, d, "label[for=nlpFlag]", "语义分析")
		has(t, d, "button[type=submit]", "向网关注册")
		if d.Find("#useReceiver").AttrOr("data-disables", "") != "serviceCallBackUri" {
			t.Error("the receiver checkbox does not name the callback field it replaces")
		}
	})

	t.Run("register form errors", func(t *testing.T) {
		f := e.RegisterForm()
		f.Set("serviceCallBackUri", "")
		d := e.Doc(e.Post(zh, "/subscriptions", f), http.StatusUnprocessableEntity)
		has(t, d, "#serviceCallBackUri-error", "请输入平台推送结果的地址。")
		has(t, d, ".flash.error", "未向网关发送任何内容")
	})

	sub := e.Registered(c, nil)
	t.Run("list", func(t *testing.T) {
		d := e.Page(zh, "/subscriptions", http.StatusOK)
		has(t, d, "#subscriptions th", "回调地址")
		has(t, d, "#state-counts", "所有网关")
	})

	t.Run("subscription page", func(t *testing.T) {
		d := e.Page(zh, subURL(sub, ""), http.StatusOK)
		has(t, d, "h1", "订阅")
		has(t, d, "h2", "最近 24 小时")
		has(t, d, "h2", "更换令牌")
		has(t, d, "dl.facts", "是") // nlpFlag is on in the register form
	})

	t.Run("cancel confirmation and its flash", func(t *testing.T) {
		d := e.Page(zh, subURL(sub, "cancel"), http.StatusOK)
		has(t, d, "h1", "取消订阅 "+sub.ServerID)
		has(t, d, "a.button.secondary", "保留")
		res := e.Post(zh, subURL(sub, "cancel"), url.Values{"confirmServerId": {sub.ServerID}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: status %d", res.StatusCode)
		}
		d = e.Page(zh, res.Header.Get("Location"), http.StatusOK)
		has(t, d, ".flash.ok", "已取消。")
	})
}
