package i18n_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"ccsub/internal/i18n"
)

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "en",
		"zh-CN,zh;q=0.9,en;q=0.8": "zh-Hans",
		"zh":                      "zh-Hans",
		"zh-Hans":                 "zh-Hans",
		"zh-TW":                   "zh-Hans",
		"zh-Hant-HK":              "zh-Hans",
		"en-US,en;q=0.9":          "en",
		"en-GB,zh-CN;q=0.5":       "en",
		"fr-FR,zh;q=0.8":          "zh-Hans",
		"de-DE,fr;q=0.5":          "en",
		"*":                       "en",
		"en;q=0.1, zh-CN;q=0.9":   "zh-Hans",
		"garbage;;;q=x":           "en",
		"zh-CN;q=0, en":           "en",
	} {
		if got := i18n.FromAcceptLanguage(header); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestChooseCookieBeatsHeader(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", "zh-CN")
	r.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: "en"})
	if got := i18n.Choose(r); got != "en" {
		t.Errorf("Choose with cookie en and Accept-Language zh-CN = %q, want en", got)
	}
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", "zh-CN")
	r.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: "klingon"})
	if got := i18n.Choose(r); got != "zh-Hans" {
		t.Errorf("Choose with an unknown cookie value = %q, want the header's zh-Hans", got)
	}
}

func TestTranslate(t *testing.T) {
	en := i18n.WithLanguage(context.Background(), "en", "/")
	zh := i18n.WithLanguage(context.Background(), "zh-Hans", "/")
	if got := i18n.T(context.Background(), "layout.nav.history"); got != "History" {
		t.Errorf("T without a language = %q, want English", got)
	}
	if got := i18n.T(zh, "layout.nav.history"); got != "调用历史" {
		t.Errorf("T(zh, layout.nav.history) = %q", got)
	}
	for n, want := range map[int]string{
		1: "Too many failed sign-ins. Try again in 1 minute.",
		5: "Too many failed sign-ins. Try again in 5 minutes.",
	} {
		if got := i18n.Tf(en, "auth.signin.throttled", i18n.D{"Count": n}); got != want {
			t.Errorf("Tf(en, throttled, %d) = %q, want %q", n, got, want)
		}
	}
	if got := i18n.Tf(zh, "auth.signin.throttled", i18n.D{"Count": 1}); got != "登录失败次数过多，请 1 分钟后再试。" {
		t.Errorf("Tf(zh, throttled, 1) = %q", got)
	}
	if got := i18n.T(zh, "no.such.message"); got != "no.such.message" {
		t.Errorf("T of a missing message = %q, want its ID", got)
	}
	if got := i18n.InEnglish("problem.not_found.title", nil); got != "Not found" {
		t.Errorf("InEnglish = %q", got)
	}
}

func TestFormats(t *testing.T) {
	en := i18n.WithLanguage(context.Background(), "en", "/")
	zh := i18n.WithLanguage(context.Background(), "zh-Hans", "/")
	if got := i18n.Number(en, 1234567); got != "1,234,567" {
		t.Errorf("Number(en) = %q", got)
	}
	if got := i18n.Number(zh, -1234567); got != "-1,234,567" {
		t.Errorf("Number(zh) = %q", got)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CST", 8*3600))
	if got := i18n.DateTime(en, at); got != "2026-03-03 21:06:07 UTC" {
		t.Errorf("DateTime(en) = %q", got)
	}
	if got := i18n.DateTime(zh, at); got != "2026年3月3日 21:06:07 UTC" {
		t.Errorf("DateTime(zh) = %q", got)
	}
	if got := i18n.Date(zh, at); got != "2026年3月3日" {
		t.Errorf("Date(zh) = %q", got)
	}
}

func TestHere(t *testing.T) {
	var got []string
	h := i18n.Middleware(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, i18n.Here(r.Context())+" "+i18n.Lang(r.Context()))
	}))
	r := httptest.NewRequest(http.MethodGet, "/history?q=a%20b", nil)
	r.Header.Set("Accept-Language", "zh-CN")
	h.ServeHTTP(httptest.NewRecorder(), r)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/subscriptions?x=1", nil))
	if want := []string{"/history?q=a%20b zh-Hans", "/ en"}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Here, Lang = %q, want %q", got, want)
	}
}

func TestLoadZone(t *testing.T) {
	for name, ok := range map[string]bool{"Asia/Shanghai": true, "UTC": true, "America/Argentina/Buenos_Aires": true,
		"": false, "Local": false, "Mars/Olympus": false, "../etc/passwd": false, "/etc/localtime": false, " Asia/Shanghai": false} {
		loc, got := i18n.LoadZone(name)
		if got != ok || ok && loc.String() != name {
			t.Errorf("LoadZone(%q) = %v, %v; want ok=%v", name, loc, got, ok)
		}
		if _, again := i18n.LoadZone(name); again != ok {
			t.Errorf("LoadZone(%q) a second time (cached) = %v", name, again)
		}
	}
}

func TestOffset(t *testing.T) {
	for _, tc := range []struct {
		zone, want string
	}{{"UTC", "UTC"}, {"Asia/Shanghai", "UTC+08:00"}, {"Asia/Kathmandu", "UTC+05:45"}, {"America/St_Johns", "UTC-03:30"},
		{"Pacific/Kiritimati", "UTC+14:00"}, {"Pacific/Pago_Pago", "UTC-11:00"}} {
		loc, _ := i18n.LoadZone(tc.zone)
		if got := i18n.Offset(time.Date(2026, 12, 3, 12, 0, 0, 0, loc)); got != tc.want {
			t.Errorf("Offset in %s = %q, want %q", tc.zone, got, tc.want)
		}
	}
}
