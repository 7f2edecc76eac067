package gateway

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"ccsub/internal/domain"

	"golang.org/x/net/dns/dnsmessage"
)

// dialLog records every address the guard let through to connect(2).
type dialLog struct {
	mu    sync.Mutex
	addrs []netip.AddrPort
}

func (d *dialLog) add(ap netip.AddrPort) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, ap)
}

func (d *dialLog) list() []netip.AddrPort {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]netip.AddrPort(nil), d.addrs...)
}

// guardedClient is a client whose connection attempts are recorded.
func guardedClient(t *testing.T, networks []netip.Prefix) (*Client, *dialLog, *logBuffer) {
	t.Helper()
	c, logs := newClient(Config{Networks: networks})
	dials := &dialLog{}
	c.guard.connecting = dials.add
	return c, dials, logs
}

func TestOutboundConnectionsAreCheckedAtDialTime(t *testing.T) {
	sim := startSim(t)
	port := sim.URL()[strings.LastIndex(sim.URL(), ":"):]
	anywhere := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	tests := []struct {
		name     string
		baseURL  string
		networks []netip.Prefix
		wantErr  []string
	}{
		{"the cloud metadata address is refused", "https://169.254.169.254", nil,
			[]string{"refused to connect to 169.254.169.254", "link-local", "nothing was sent"}},
		{"the metadata address is refused even when every network is allowed", "https://169.254.169.254:8043", anywhere,
			[]string{"refused to connect to 169.254.169.254", "never calls"}},
		{"an IPv4-mapped IPv6 metadata address is refused", "https://[::ffff:169.254.169.254]", anywhere,
			[]string{"refused to connect to 169.254.169.254", "link-local"}},
		{"IPv6 link-local is refused", "https://[fe80::1]", anywhere, []string{"refused to connect to fe80::1", "link-local"}},
		{"the unspecified IPv4 address is refused", "https://0.0.0.0" + port, anywhere, []string{"refused to connect to 0.0.0.0", "unspecified"}},
		{"the unspecified IPv6 address is refused", "https://[::]" + port, anywhere, []string{"refused to connect to ::", "unspecified"}},
		{"a multicast address is refused", "https://224.0.0.1", anywhere, []string{"refused to connect to 224.0.0.1", "multicast"}},
		{"a public address is refused by default", "https://8.8.8.8", nil,
			[]string{"refused to connect to 8.8.8.8", "not in the gateway networks", "CCSUB_GATEWAY_NETWORKS=10.0.0.0/8,"}},
		{"loopback is refused when the allow-list leaves it out", sim.URL(), []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
			[]string{"refused to connect to 127.0.0.1", "CCSUB_GATEWAY_NETWORKS=10.0.0.0/8"}},
		{"a host name resolving to loopback is refused when loopback is not allowed", "https://localhost" + port,
			[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, []string{"refused to connect to", "not in the gateway networks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dials, logs := guardedClient(t, tt.networks)
			tg := simTarget(sim)
			tg.BaseURL = tt.baseURL
			before := len(sim.Requests())
			res := c.Register(context.Background(), tg, validRegister())
			wantOutcome(t, res, domain.OutcomeFailed)
			for _, w := range tt.wantErr {
				if !strings.Contains(errString(res.Err), w) {
					t.Errorf("err %q, want it to contain %q", errString(res.Err), w)
				}
			}
			if got := dials.list(); len(got) != 0 {
				t.Errorf("connections were attempted to %v", got)
			}
			if n := len(sim.Requests()) - before; n != 0 {
				t.Errorf("the simulator received %d requests", n)
			}
			if strings.Contains(logs.String(), testPassword) {
				t.Errorf("logs contain the password")
			}
		})
	}
}

func TestTheLoopbackSimulatorIsReachableWithTheDefaults(t *testing.T) {
	sim := startSim(t)
	c, dials, _ := guardedClient(t, nil)
	res := c.Register(context.Background(), simTarget(sim), validRegister())
	wantOutcome(t, res, domain.OutcomeSuccess)
	got := dials.list()
	if len(got) == 0 || !got[0].Addr().IsLoopback() {
		t.Errorf("connections attempted to %v, want the loopback simulator", got)
	}
}

// A DNS answer is judged like a literal: the check runs on the resolved
// address, so a name that resolves to the metadata service is refused.
func TestADNSAnswerCannotRedirectTheClient(t *testing.T) {
	sim := startSim(t)
	dns := startDNS(t, netip.MustParseAddr("169.254.169.254"))
	c, dials, _ := guardedClient(t, nil)
	c.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", dns)
	}}
	tg := simTarget(sim)
	tg.BaseURL = "https://gateway.ccsub.test:8043"
	res := c.Login(context.Background(), tg)
	wantOutcome(t, res, domain.OutcomeFailed)
	if !strings.Contains(errString(res.Err), "refused to connect to 169.254.169.254") {
		t.Errorf("err %q, want the metadata address refused", errString(res.Err))
	}
	if got := dials.list(); len(got) != 0 {
		t.Errorf("connections were attempted to %v", got)
	}
}

// startDNS answers every A question with addr and every other question with
// no records, on a loopback UDP port; it returns that address.
func startDNS(t *testing.T, addr netip.Addr) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out, err := dnsAnswer(buf[:n], addr); err == nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func dnsAnswer(query []byte, addr netip.Addr) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	if q.Type == dnsmessage.TypeA {
		_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.AResource{A: addr.As4()})
	}
	return b.Finish()
}
