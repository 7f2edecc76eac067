package form

import (
	"fmt"
	"net"
	"net/url"

	"ccsub/internal/domain"
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
func checkReceiverURL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() || u.Hostname() == "localhost" {
			return ""
		}
		return "CCSUB_PUBLIC_URL is not https, and the platform only pushes over TLS: serve ccsub over https and set CCSUB_PUBLIC_URL."
	}
	if msg := checkHTTPSURL(raw, domain.MaxCallbackURI); msg != "" {
		return fmt.Sprintf("ccsub's receiver address %s cannot be used: %s Check CCSUB_PUBLIC_URL.", raw, msg)
	}
	return ""
}
