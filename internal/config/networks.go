package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// networksEnv lists the networks gateways may live in; the gateway client
// refuses to dial anywhere else.
const networksEnv = "CCSUB_GATEWAY_NETWORKS"

// ParseNetworks reads CCSUB_GATEWAY_NETWORKS: comma-separated CIDRs (a bare
// address means that one host). Empty means the defaults (nil).
func ParseNetworks(s string) ([]netip.Prefix, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []netip.Prefix
	for i, part := range strings.Split(s, ",") {
		p, err := parseNetwork(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d %q: %w", networksEnv, i+1, part, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseNetwork(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty (remove the extra comma)")
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("want a CIDR such as 10.20.0.0/16 or an IP address")
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("want a CIDR such as 10.20.0.0/16")
	}
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("has host bits set; did you mean %s?", p.Masked())
	}
	return p, nil
}

// formatNetworks lists prefixes as CCSUB_GATEWAY_NETWORKS spells them.
func formatNetworks(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
