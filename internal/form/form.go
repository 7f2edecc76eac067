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
// character in s, or "" when there is none.
func badChar(s string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for i, r := range s {
		if unicode.IsControl(r) || isInvisible(r) {
			return fmt.Sprintf("an invisible or control character (U+%04X at position %d)", r, utf8.RuneCountInString(s[:i])+1)
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
// returns a message, or "".
func checkHTTPSURL(raw string, maxLen int) string {
	if n := utf8.RuneCountInString(raw); n > maxLen {
		return fmt.Sprintf("At most %d characters; this one has %d.", maxLen, n)
	}
	if c := badChar(raw); c != "" {
		return "Contains " + c + "."
	}
	if strings.ContainsAny(raw, " \t") {
		return "Must not contain spaces."
	}
	if i := strings.IndexFunc(raw, notURIChar); i >= 0 {
		return fmt.Sprintf("Contains %q, which is not allowed in an address; percent-encode it (for example %%22 for a quote).", raw[i:i+utf8.RuneLen([]rune(raw[i:])[0])])
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "Must be a full address starting with https://, for example https://crm.example.com/cc."
	}
	if u.Scheme != "https" {
		return fmt.Sprintf("Must start with https:// (the gateway only pushes over TLS); this one uses %q.", u.Scheme)
	}
	if u.User != nil {
		return "Must not contain a user name or password (the part before @)."
	}
	if u.Host == "" || u.Hostname() == "" {
		return "Must name a host, for example https://crm.example.com/cc."
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "Must not contain a # fragment."
	}
	if strings.HasSuffix(u.Host, ":") {
		return "The port after the colon is missing; give a number from 1 to 65535, or leave out the colon for 443."
	}
	if p := u.Port(); p != "" {
		if msg := checkPort(p); msg != "" {
			return msg
		}
	}
	if msg := checkHost(u.Hostname()); msg != "" {
		return msg
	}
	return checkDecoded(u)
}

// checkHost refuses hosts that are never a gateway or a callback target, and
// numeric spellings that resolvers read differently (2130706433 and 0x7f.1
// are both 127.0.0.1 to some of them), so what is shown is what is called.
func checkHost(host string) string {
	if strings.Contains(host, "%") {
		return "Must not contain an IPv6 zone (the %… part); give the address without it."
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		switch {
		case ip.IsUnspecified():
			return "Must not be the unspecified address (0.0.0.0 or ::), which means this machine itself."
		case ip.IsLinkLocalUnicast():
			return "Must not be a link-local address (169.254.x.x or fe80::), where cloud metadata services live."
		case ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			return "Must not be a multicast or broadcast address."
		}
		return ""
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if last != "" && (strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x")) {
		return "Write an IP address as four decimal numbers (for example 10.1.2.3), or use a host name."
	}
	return ""
}

// checkDecoded refuses control characters hidden behind percent-encoding
// (%0d%0a, %00): the platform would decode them into its own requests.
func checkDecoded(u *url.URL) string {
	q, err := url.QueryUnescape(u.RawQuery)
	if err != nil {
		return "The query contains a malformed percent-encoding (% must be followed by two hex digits)."
	}
	for _, part := range []string{u.Path, q} {
		if c := badChar(part); c != "" {
			return "Contains, once percent-decoded, " + c + "."
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

func checkPort(p string) string {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return "The port must be a number."
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			break
		}
	}
	if n < 1 || n > 65535 {
		return "The port must be between 1 and 65535."
	}
	return ""
}

func get(v url.Values, name string) string { return strings.TrimSpace(v.Get(name)) }
