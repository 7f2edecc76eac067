package gateway

import (
	"context"
	"net/netip"
	"strings"
	"syscall"

	"ccsub/internal/domain"
)

// NetworksEnv is the setting that lists the networks gateways may live in.
const NetworksEnv = "CCSUB_GATEWAY_NETWORKS"

// DefaultNetworks are where gateways live when CCSUB_GATEWAY_NETWORKS is not
// set: the private ranges and loopback. A public address must be allowed
// explicitly, so a crafted URL cannot make ccsub call the internet.
func DefaultNetworks() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("::1/128"),
	}
}

// neverDialed are addresses no allow-list can admit: cloud metadata services
// (Huawei Cloud, AWS, OpenStack use 169.254.169.254; AWS's IPv6 one sits
// inside fc00::/7; Alibaba's sits in 100.64/10) answer with credentials to
// whoever asks from the host.
var neverDialed = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata lives here)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata service"},
	{netip.MustParsePrefix("100.100.100.200/32"), "a cloud metadata service"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
}

// networkGuard decides, at dial time, whether an address may be connected
// to. It checks the address the resolver actually returned, so neither a
// crafted URL nor a DNS answer can point the client elsewhere.
type networkGuard struct {
	allowed []netip.Prefix
	// connecting is called after an address passed the check, right before
	// connect(2); tests use it to prove refused addresses were never dialed.
	connecting func(netip.AddrPort)
}

func newNetworkGuard(allowed []netip.Prefix) *networkGuard {
	if len(allowed) == 0 {
		allowed = DefaultNetworks()
	}
	return &networkGuard{allowed: allowed}
}

// check returns nil when addr (the resolved "ip:port") may be dialed, or an
// error in plain words naming the address and the setting to change.
func (g *networkGuard) check(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return plainErrorf(err, "%s", domain.NotSentNotIPPort.Say(addr))
	}
	// An IPv4-mapped IPv6 address (::ffff:169.254.169.254) is the IPv4
	// address in disguise: judge what it really is.
	ip := ap.Addr().Unmap().WithZone("")
	if why := neverReason(ip); why != "" {
		return plainErrorf(nil, "%s", domain.NotSentNeverCalled.Say(ip, why, NetworksEnv))
	}
	for _, p := range g.allowed {
		if p.Contains(ip) {
			return nil
		}
	}
	return plainErrorf(nil, "%s", domain.NotSentNotInNetworks.Say(ip, NetworksEnv, FormatNetworks(g.allowed), NetworksEnv))
}

// neverReason says why ip may never be dialed, or "".
func neverReason(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified (0.0.0.0 or ::, which reaches this host)"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsLinkLocalUnicast():
		return "link-local (cloud metadata lives here)"
	}
	for _, n := range neverDialed {
		if n.prefix.Contains(ip) {
			return n.why
		}
	}
	return ""
}

// control is the net.Dialer hook: it runs for every address the dialer
// tries, after resolution and before connect(2), so a refusal means no
// packet was sent to that address.
func (g *networkGuard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	if err := g.check(address); err != nil {
		return err
	}
	if g.connecting != nil {
		ap, _ := netip.ParseAddrPort(address)
		g.connecting(ap)
	}
	return nil
}

// FormatNetworks lists prefixes as CCSUB_GATEWAY_NETWORKS spells them.
func FormatNetworks(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
