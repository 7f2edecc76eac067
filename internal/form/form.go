// Package form parses and validates what people type into ccsub's forms.
// Parsing never fails (values are trimmed and kept for re-display);
// Validate fills per-field errors in plain words.
package form

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"ccsub/internal/i18n"
)

// Errors maps a field name (as in the HTML form) to its message.
type Errors map[string]string

// Add records msg for field unless the field already has a message, so the
// first (most basic) problem is the one shown.
func (e Errors) Add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// duplicated reports fields sent more than once: a browser never does that
// for our forms, so it is a crafted request and gets a specific message, in
// the language of ctx. (Forms whose area is not yet in the catalogs pass
// context.TODO(), which is English.)
func duplicated(ctx context.Context, v url.Values, errs Errors, fields ...string) {
	for _, f := range fields {
		if len(v[f]) > 1 {
			errs.Add(f, i18n.T(ctx, "form.duplicated"))
		}
	}
}

// badChar returns a description of the first control or invisible
// character in s in the language of ctx, or "" when there is none.
func badChar(ctx context.Context, s string) string {
	if !utf8.ValidString(s) {
		return i18n.T(ctx, "form.char.invalid_utf8")
	}
	for i, r := range s {
		if unicode.IsControl(r) || isInvisible(r) {
			return i18n.Tf(ctx, "form.char.invisible", i18n.D{"Code": fmt.Sprintf("U+%04X", r), "Pos": utf8.RuneCountInString(s[:i]) + 1})
		}
	}
	return ""
}

// isInvisible catches format characters (zero-width spaces, bidi overrides,
// BOM) that make two different values look identical on screen.
func isInvisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// checkHTTPSURL validates an absolute https URL for outbound calls and
// returns a message in the language of ctx, or "". The API's context has
// no language: it gets English.
func checkHTTPSURL(ctx context.Context, raw string, maxLen int) string {
	if n := utf8.RuneCountInString(raw); n > maxLen {
		return i18n.Tf(ctx, "form.url.too_long", i18n.D{"Max": maxLen, "N": n})
	}
	if c := badChar(ctx, raw); c != "" {
		return i18n.Tf(ctx, "form.url.contains", i18n.D{"What": c})
	}
	if strings.ContainsAny(raw, " \t") {
		return i18n.T(ctx, "form.url.spaces")
	}
	if i := strings.IndexFunc(raw, notURIChar); i >= 0 {
		return i18n.Tf(ctx, "form.url.bad_char", i18n.D{"Char": fmt.Sprintf("%q", raw[i:i+utf8.RuneLen([]rune(raw[i:])[0])])})
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return i18n.T(ctx, "form.url.not_absolute")
	}
	if u.Scheme != "https" {
		return i18n.Tf(ctx, "form.url.not_https", i18n.D{"Scheme": fmt.Sprintf("%q", u.Scheme)})
	}
	if u.User != nil {
		return i18n.T(ctx, "form.url.userinfo")
	}
	if u.Host == "" || u.Hostname() == "" {
		return i18n.T(ctx, "form.url.no_host")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return i18n.T(ctx, "form.url.fragment")
	}
	if strings.HasSuffix(u.Host, ":") {
		return i18n.T(ctx, "form.url.port_missing")
	}
	if p := u.Port(); p != "" {
		if msg := checkPort(ctx, p); msg != "" {
			return msg
		}
	}
	if msg := checkHost(ctx, u.Hostname()); msg != "" {
		return msg
	}
	return checkDecoded(ctx, u)
}

// checkHost refuses hosts that are never a gateway or a callback target, and
// numeric spellings that resolvers read differently (2130706433 and 0x7f.1
// are both 127.0.0.1 to some of them), so what is shown is what is called.
func checkHost(ctx context.Context, host string) string {
	if strings.Contains(host, "%") {
		return i18n.T(ctx, "form.url.zone")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		switch {
		case ip.IsUnspecified():
			return i18n.T(ctx, "form.url.unspecified")
		case ip.IsLinkLocalUnicast():
			return i18n.T(ctx, "form.url.link_local")
		case ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			return i18n.T(ctx, "form.url.multicast")
		}
		return ""
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if last != "" && (strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x")) {
		return i18n.T(ctx, "form.url.numeric_host")
	}
	return ""
}

// checkDecoded refuses control characters hidden behind percent-encoding
// (%0d%0a, %00): the platform would decode them into its own requests.
func checkDecoded(ctx context.Context, u *url.URL) string {
	q, err := url.QueryUnescape(u.RawQuery)
	if err != nil {
		return i18n.T(ctx, "form.url.bad_percent")
	}
	for _, part := range []string{u.Path, q} {
		if c := badChar(ctx, part); c != "" {
			return i18n.Tf(ctx, "form.url.contains_decoded", i18n.D{"What": c})
		}
	}
	return ""
}

// notURIChar reports characters RFC 3986 does not allow unencoded.
func notURIChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r)
}

func checkPort(ctx context.Context, p string) string {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return i18n.T(ctx, "form.url.port_not_number")
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			break
		}
	}
	if n < 1 || n > 65535 {
		return i18n.T(ctx, "form.url.port_range")
	}
	return ""
}

func get(v url.Values, name string) string { return strings.TrimSpace(v.Get(name)) }
