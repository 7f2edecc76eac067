package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"

	"github.com/PuerkitoBio/goquery"
)

// acceptLanguage is a transport that sends a browser's Accept-Language.
type acceptLanguage struct {
	header string
	next   http.RoundTripper
}

func (a acceptLanguage) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", a.header)
	return a.next.RoundTrip(r)
}

// speaking makes c send header as its Accept-Language.
func speaking(c *http.Client, header string) *http.Client {
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = acceptLanguage{header, next}
	return c
}

func htmlLang(d *goquery.Document) string { v, _ := d.Find("html").Attr("lang"); return v }

func TestSignInPageSpeaksTheBrowsersLanguage(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ header, lang, heading, user, other string }{
		{"", "en", "Sign in to ccsub", "User name", "简体中文"},
		{"en-US,en;q=0.9", "en", "Sign in to ccsub", "User name", "简体中文"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans", "登录 ccsub", "用户名", "English"},
		{"zh-TW", "zh-Hans", "登录 ccsub", "用户名", "English"},
		{"fr-FR", "en", "Sign in to ccsub", "User name", "简体中文"},
	} {
		d := e.Page(speaking(e.Anonymous(), tc.header), "/login", http.StatusOK)
		if got := htmlLang(d); got != tc.lang {
			t.Errorf("Accept-Language %q: <html lang=%q>, want %q", tc.header, got, tc.lang)
		}
		if got := d.Find("h1").Text(); got != tc.heading {
			t.Errorf("Accept-Language %q: heading %q, want %q", tc.header, got, tc.heading)
		}
		if got := d.Find("label[for=username]").Text(); got != tc.user {
			t.Errorf("Accept-Language %q: label %q, want %q", tc.header, got, tc.user)
		}
		// The switcher offers the other language, named in itself.
		if got := d.Find("form[action='/language'] button[name=lang]").Text(); got != tc.other {
			t.Errorf("Accept-Language %q: switcher offers %q, want %q", tc.header, got, tc.other)
		}
		if got, _ := d.Find("form[action='/language'] input[name=next]").Attr("value"); got != "/login" {
			t.Errorf("Accept-Language %q: switcher comes back to %q, want /login", tc.header, got)
		}
	}
}

func TestSignInMessagesInChinese(t *testing.T) {
	e := newEnv(t)
	c := speaking(e.Anonymous(), "zh-CN")
	d := e.Doc(e.Post(c, "/login", url.Values{"username": {""}, "password": {""}}), http.StatusUnprocessableEntity)
	if got := d.Find("#username-error").Text(); got != "请输入用户名。" {
		t.Errorf("empty user name: %q", got)
	}
	if got := d.Find("#password-error").Text(); got != "请输入密码。" {
		t.Errorf("empty password: %q", got)
	}
	d = e.Doc(e.Post(c, "/login", url.Values{"username": {"nobody-" + t.Name()}, "password": {"wrong"}}), http.StatusUnauthorized)
	if got := d.Find("[role=alert]").Text(); got != "用户名或密码不正确，或该账户已停用。" {
		t.Errorf("refused sign-in: %q", got)
	}
}

func TestConsoleFrameInChinese(t *testing.T) {
	e := newEnv(t)
	c, name := e.User(domain.RoleAdmin)
	d := e.Page(speaking(c, "zh-CN,zh;q=0.9"), "/history", http.StatusOK)
	if got := htmlLang(d); got != "zh-Hans" {
		t.Errorf("<html lang=%q>, want zh-Hans", got)
	}
	nav := d.Find("header.top nav")
	if got, _ := nav.Attr("aria-label"); got != "主导航" {
		t.Errorf("nav label %q", got)
	}
	for _, want := range []string{"订阅", "注册订阅", "调用历史", "收件箱", "网关", "审计", "用户", "API 令牌", "数据保留"} {
		if !strings.Contains(nav.Text(), want) {
			t.Errorf("navigation %q lacks %q", nav.Text(), want)
		}
	}
	if got := d.Find("header.top .who span").Text(); got != name+"（管理员）" {
		t.Errorf("who: %q", got)
	}
	if got := d.Find("form[action='/logout'] button").Text(); got != "退出登录" {
		t.Errorf("log out button: %q", got)
	}
	// Signing out leaves the flash in Chinese on the sign-in page.
	res := e.Post(c, "/logout", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if got := e.Page(c, "/login", http.StatusOK).Find("[role=status]").Text(); got != "您已退出登录。" {
		t.Errorf("signed-out flash: %q", got)
	}
}

func TestErrorPageInChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	zh := speaking(c, "zh-CN")
	d := e.Page(zh, "/no/such/page", http.StatusNotFound)
	if got := d.Find("h1").Text(); got != "未找到" {
		t.Errorf("404 heading %q", got)
	}
	if got := d.Find("main a[href='/']").Text(); got != "返回控制台" {
		t.Errorf("back link %q", got)
	}
	if got := e.Page(zh, "/users", http.StatusForbidden).Find("h1").Text(); got != "无权操作" {
		t.Errorf("403 heading %q", got)
	}
	// The JSON API keeps its English words whatever the header says.
	req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/api/v1/gateways", nil)
	req.Header.Set("Accept-Language", "zh-CN")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "An API token is required") {
		t.Errorf("API without token, Accept-Language zh-CN: %d %s", res.StatusCode, body)
	}
}

func langCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == i18n.CookieName {
			return c
		}
	}
	return nil
}

func TestLanguageChoiceIsRememberedAndBeatsTheHeader(t *testing.T) {
	e := newEnv(t)
	c := speaking(e.Anonymous(), "zh-CN")
	res := e.Post(c, "/language", url.Values{"lang": {"en"}, "next": {"/login?next=%2Fhistory"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fhistory" {
		t.Fatalf("POST /language: %d to %q, want 303 to the page it came from", res.StatusCode, res.Header.Get("Location"))
	}
	ck := langCookie(res)
	if ck == nil || ck.Value != "en" || ck.MaxAge < 30*24*3600 || !ck.HttpOnly || ck.Path != "/" {
		t.Fatalf("language cookie %+v, want a long-lived HttpOnly ccsub_lang=en on /", ck)
	}
	d := e.Page(c, "/login", http.StatusOK)
	if got := htmlLang(d); got != "en" {
		t.Errorf("after choosing English with Accept-Language zh-CN: <html lang=%q>", got)
	}
	// The choice survives signing in and out: it is not the session.
	c2 := speaking(e.Anonymous(), "en-US")
	e.Post(c2, "/language", url.Values{"lang": {"zh-Hans"}, "next": {"/login"}})
	u := e.Account(domain.RoleOperator)
	if res := e.Post(c2, "/login", url.Values{"username": {u.Username}, "password": {"correct horse battery staple"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	if got := htmlLang(e.Page(c2, "/subscriptions", http.StatusOK)); got != "zh-Hans" {
		t.Errorf("signed in after choosing Chinese: <html lang=%q>", got)
	}
}

func TestLanguageSwitchRefusesHostileInput(t *testing.T) {
	e := newEnv(t)
	c := e.Anonymous()
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
		"http:evil.example", "", "evil.example"} {
		res := e.Post(c, "/language", url.Values{"lang": {"zh-Hans"}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Errorf("next=%q: %d to %q, want 303 to / (never off the site)", next, res.StatusCode, res.Header.Get("Location"))
		}
	}
	c = e.Anonymous()
	for _, lang := range []string{"fr", "zh", "ZH-HANS", " en", "en\r\nSet-Cookie: x=1", ""} {
		res := e.Post(c, "/language", url.Values{"lang": {lang}, "next": {"/login"}})
		d := e.Doc(res, http.StatusBadRequest)
		if ck := langCookie(res); ck != nil {
			t.Errorf("lang=%q set the cookie %q", lang, ck.Value)
		}
		if !strings.Contains(d.Find("main").Text(), "This language is not offered") {
			t.Errorf("lang=%q: page says %q", lang, d.Find("main").Text())
		}
	}
	// Sent from another site, the switch is refused like any other form.
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/language", strings.NewReader("lang=en&next=%2F"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Accept-Language", "zh-CN")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	d := e.Doc(res, http.StatusForbidden)
	if langCookie(res) != nil || !strings.Contains(d.Find("main").Text(), "已拒绝跨站请求") {
		t.Errorf("cross-site POST /language: cookie %v, page %q", langCookie(res), d.Find("main").Text())
	}
}
