package form

import (
	"context"
	"strings"
	"testing"

	"ccsub/internal/i18n"
)

func TestOutboundAddressRules(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // a part of the message; "" means accepted
	}{
		{"an https address with a port is accepted", "https://10.1.2.3:8043", ""},
		{"an https host name with a path and query is accepted", "https://crm.example.com/cc?tenant=a%20b", ""},
		{"an IPv6 literal is accepted", "https://[fd00::10]:8043", ""},
		{"plain http is refused", "http://10.1.2.3:8043", `this one uses "http"`},
		{"a javascript: address is refused", "javascript:alert(1)", `this one uses "javascript"`},
		{"a file: address is refused", "file:///etc/passwd", `this one uses "file"`},
		{"user-info is refused", "https://admin:pw@10.1.2.3", "user name or password"},
		{"a fragment is refused", "https://10.1.2.3/#x", "# fragment"},
		{"port 0 is refused", "https://10.1.2.3:0", "between 1 and 65535"},
		{"port 65536 is refused", "https://10.1.2.3:65536", "between 1 and 65535"},
		{"an empty port is refused", "https://10.1.2.3:", "port after the colon is missing"},
		{"a zero-width space is refused", "https://crm.exa\u200bmple.com", "U+200B"},
		{"a right-to-left override is refused", "https://crm.example.com/\u202egpj", "U+202E"},
		{"a tab is refused", "https://crm.example.com/\tx", "U+0009"},
		{"a percent-encoded line break is refused", "https://crm.example.com/a%0d%0aX-Evil:1", "once percent-decoded"},
		{"a percent-encoded NUL in the query is refused", "https://crm.example.com/a?x=%00", "once percent-decoded"},
		{"the metadata address is refused", "https://169.254.169.254/latest", "link-local"},
		{"an IPv6 link-local address is refused", "https://[fe80::1]", "link-local"},
		{"an IPv6 zone is refused", "https://[fe80::1%25eth0]", "zone"},
		{"the unspecified address is refused", "https://0.0.0.0:8043", "unspecified"},
		{"a multicast address is refused", "https://224.0.0.1", "multicast"},
		{"a decimal IPv4 spelling is refused", "https://2130706433", "four decimal numbers"},
		{"a hex IPv4 spelling is refused", "https://0x7f.1", "four decimal numbers"},
		{"a quote is refused", `https://x.example.com/"onmouseover=`, "percent-encode it"},
		{"an overlong address is refused", "https://x.example.com/" + strings.Repeat("a", 300), "At most 200 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkHTTPSURL(context.Background(), tt.raw, 200)
			if tt.want == "" {
				if got != "" {
					t.Errorf("refused with %q", got)
				}
				return
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("message %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// TestOutboundAddressRulesSpeakChinese: the same checks word their
// messages in the viewer's language; the API (a context without one) keeps
// English.
func TestOutboundAddressRulesSpeakChinese(t *testing.T) {
	zh := i18n.WithLanguage(context.Background(), i18n.Chinese, "")
	for raw, want := range map[string]string{
		"http://crm.example.com/cc":      "必须以 https:// 开头",
		"https://crm.example.com:0/":     "端口必须在 1 到 65535 之间",
		"https://0.0.0.0/cc":             "未指定地址",
		"https://a b/":                   "不能包含空格",
		"https://crm.example.com/\u200b": "不可见字符或控制字符（U+200B，第 25 个字符）",
	} {
		if got := checkHTTPSURL(zh, raw, 200); !strings.Contains(got, want) {
			t.Errorf("%q: %q, want it to say %q", raw, got, want)
		}
	}
	if got := checkHTTPSURL(context.Background(), "http://crm.example.com/cc", 200); !strings.Contains(got, "Must start with https://") {
		t.Errorf("without a language: %q", got)
	}
}
