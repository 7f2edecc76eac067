package form

import (
	"context"
	"net"
	"net/url"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
)

// validReceiverKey accepts the base64url keys ccsub generates.
func validReceiverKey(k string) bool {
	if len(k) < 16 || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkReceiverURL applies the callback rules to ccsub's own receiver URL,
// with one exception: plain http on a loopback address, which only the
// built-in simulator can reach, so the zero-configuration console works.
func checkReceiverURL(ctx context.Context, raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
			return ""
		}
		return i18n.T(ctx, "form.receiver.not_https")
	}
	if msg := checkHTTPSURL(ctx, raw, domain.MaxCallbackURI); msg != "" {
		return i18n.Tf(ctx, "form.receiver.unusable", i18n.D{"URL": raw, "Problem": msg})
	}
	return ""
}
