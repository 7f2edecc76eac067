package gateway

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"ccsub/internal/domain"
)

// Target is one gateway as a call needs it. The password is in clear only
// for the duration of the call.
type Target struct {
	GatewayID int64  // key of the per-process Guid cache
	BaseURL   string // "https://host:port"
	AgentID   int64
	Password  string
	CAPEM     []byte // PEM bundle to verify the gateway; empty: system roots
	// RefusalsEnded is how many login refusals of this gateway the caller's
	// shared record (the database) says were ended on purpose. A refusal
	// this client remembers from before a later end is not repeated: the
	// record, which every process shares, has the last word.
	RefusalsEnded int64
}

// Config tunes the client. Zero values take the documented defaults.
type Config struct {
	ConnectTimeout time.Duration // dial + TLS handshake; 0 => 5s
	CallTimeout    time.Duration // one operation incl. login and the one retry; 0 => 15s
	MaxBodyBytes   int64         // response body cap; 0 => 1 MiB
	Logger         *slog.Logger  // nil => discard
	// Networks are the only networks a connection may go to, checked on the
	// resolved address at dial time (CCSUB_GATEWAY_NETWORKS); empty =>
	// DefaultNetworks. Link-local, metadata, unspecified and multicast
	// addresses are refused whatever this says.
	Networks []netip.Prefix
}

// withDefaults returns cfg with every zero value replaced by its default.
func (cfg Config) withDefaults() Config {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = defaultCallTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg
}

// Result is the outcome of one operation as ccsub records it.
type Result struct {
	Outcome      domain.Outcome // success | rejected | failed | unknown (never pending)
	Retcode      string         // as answered, numbers turned into strings
	Message      string         // the gateway's message, or ours for a refused login
	ServerID     string         // register: result.serverId
	HTTPStatus   int            // of the last HTTP answer, 0 if none
	RequestBody  string         // the operation's JSON as sent, secrets redacted
	ResponseBody string         // last response body (capped), secrets redacted
	Err          error          // nil for success/rejected; plain words otherwise
	Attempts     int            // HTTP requests this call made, logins included
	// LoginRefused: the gateway itself refused this call's login (sent by
	// this call or by one it joined) with 107-003 or 107-004, so whoever
	// keeps gateway state beyond this process must not send the password
	// again. A refusal the client only remembered does not set it.
	LoginRefused bool
}

// Client talks to any number of gateways. It is safe for concurrent use and
// keeps, per gateway, one HTTP transport and the cached Guid.
type Client struct {
	cfg      Config
	log      *slog.Logger
	macKey   []byte // per-process random key for refusal.passwordMAC
	guard    *networkGuard
	resolver *net.Resolver // nil: the system's; tests point it at their own DNS server
	mu       sync.Mutex
	gateways map[int64]*gatewayState
}

// gatewayState is what the client remembers about one gateway. It is
// replaced as a whole when the gateway's address, account or CA changes, so
// an in-flight login for the old settings can never fill the new cache.
type gatewayState struct {
	fingerprint [sha256.Size]byte
	http        *http.Client
	addr        string // host:port, for messages
	customCA    bool   // verified against Target.CAPEM, not the system roots
	guid        string
	flight      *loginFlight // the login in progress, if any
	refused     *refusal     // the last locking refusal, if any
}

// refusal remembers a login refused with 107-003/107-004, keyed by a MAC of
// the password it was made with, so later calls with the same password are
// not sent: every new try counts towards locking the account.
type refusal struct {
	passwordMAC [sha256.Size]byte
	res         Result
	ended       int64 // Target.RefusalsEnded when the refusal came
}

// New returns a client with cfg's defaults applied.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	return &Client{cfg: cfg, log: cfg.Logger, macKey: randomKey(), guard: newNetworkGuard(cfg.Networks), gateways: map[int64]*gatewayState{}}
}

func randomKey() []byte {
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand documents it)
	return k
}

// passwordMAC lets the client recognise a password it saw refused without
// keeping the password or a plain hash of it.
func (c *Client) passwordMAC(password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.macKey)
	m.Write([]byte(password))
	var out [sha256.Size]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Forget drops the cached Guid and transport of a gateway, e.g. after it
// was edited. The next call logs in again over a new connection.
func (c *Client) Forget(gatewayID int64) {
	c.mu.Lock()
	st := c.gateways[gatewayID]
	delete(c.gateways, gatewayID)
	c.mu.Unlock()
	if st != nil {
		st.http.CloseIdleConnections()
	}
}

// state returns the gateway's state, building it when absent or when the
// target no longer matches (another process may have edited the gateway).
func (c *Client) state(t Target) (*gatewayState, error) {
	fp := fingerprint(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.gateways[t.GatewayID]; st != nil && st.fingerprint == fp {
		return st, nil
	}
	hc, addr, err := c.newHTTPClient(t)
	if err != nil {
		return nil, err
	}
	if old := c.gateways[t.GatewayID]; old != nil {
		old.http.CloseIdleConnections()
	}
	st := &gatewayState{fingerprint: fp, http: hc, addr: addr, customCA: hasPEM(t.CAPEM)}
	c.gateways[t.GatewayID] = st
	return st, nil
}

// fingerprint identifies what a Guid and a transport depend on. The password
// is left out on purpose: no secret-derived value is kept, and a Guid stays
// valid when only the password changed.
func fingerprint(t Target) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", t.BaseURL, t.AgentID)
	h.Write(t.CAPEM)
	var fp [sha256.Size]byte
	copy(fp[:], h.Sum(nil))
	return fp
}

// newHTTPClient builds the per-gateway HTTP client: TLS 1.2+ verified
// against the gateway's CA bundle, HTTP/1.1 only, no proxy, no redirects.
func (c *Client) newHTTPClient(t Target) (*http.Client, string, error) {
	addr, err := gatewayAddr(t.BaseURL)
	if err != nil {
		return nil, "", err
	}
	tlsCfg, err := tlsConfig(t.CAPEM)
	if err != nil {
		return nil, addr, err
	}
	// HTTP/1.1 only: HTTP/2 has retry rules of its own, and one connection
	// per exchange keeps a Guid on the node behind a load balancer that
	// issued it for as long as the connection lives.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	tr := &http.Transport{
		Proxy: nil, // gateways are reached directly; proxies also drop service_token
		// The guard judges every resolved address before connect(2).
		DialContext:         (&net.Dialer{Timeout: c.cfg.ConnectTimeout, Resolver: c.resolver, ControlContext: c.guard.control}).DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: c.cfg.ConnectTimeout,
		Protocols:           protocols,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		// No Accept-Encoding: the contract's requests carry only its own
		// headers, and answers are a few hundred bytes.
		DisableCompression: true,
	}
	hc := &http.Client{
		Transport: tr,
		// A gateway that redirects is misconfigured; following it could send
		// the Guid elsewhere. The 3xx answer is classified as failed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return hc, addr, nil
}

// gatewayAddr checks the base URL and returns its host:port.
func gatewayAddr(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || u.Host == "" {
		return "", errors.New(domain.NotSentAddressInvalid.Say())
	}
	if u.Scheme != "https" {
		return "", errors.New(domain.NotSentAddressScheme.Say(u.Scheme + "://"))
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", errors.New(domain.NotSentAddressPort.Say(port))
	}
	return net.JoinHostPort(host, port), nil
}

// tlsConfig verifies the gateway against caPEM, or the system roots when
// caPEM is empty. There is deliberately no way to skip verification.
func tlsConfig(caPEM []byte) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if !hasPEM(caPEM) {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New(domain.NotSentCABundle.Say())
	}
	cfg.RootCAs = pool
	return cfg, nil
}

func hasPEM(caPEM []byte) bool { return len(bytes.TrimSpace(caPEM)) > 0 }

// endpoint joins the gateway's base URL and a path (and query).
func endpoint(base, pathAndQuery string) string {
	return strings.TrimRight(strings.TrimSpace(base), "/") + pathAndQuery
}
