package gatewaysim

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// Where the login answer carries the Guid (Config.GuidIn, Rules.GuidIn).
const (
	GuidInBody              = "body"                // result.guid only (the default, as the vendor's example shows)
	GuidInBodyAndHeader     = "body+header"         // result.guid and a "Guid" response header
	GuidInHeader            = "header"              // a "Guid" response header only; result has no guid
	GuidInSetGUIDJSessionID = "set-guid-jsessionid" // "Set-GUID: JSESSIONID=<guid>" only; result has no guid
	GuidInSetGUIDGuid       = "set-guid-guid"       // "Set-GUID: Guid=<guid>" only; result has no guid
)

// GuidInModes lists every accepted Rules.GuidIn, the default first.
var GuidInModes = []string{GuidInBody, GuidInBodyAndHeader, GuidInHeader, GuidInSetGUIDJSessionID, GuidInSetGUIDGuid}

// ExpiredCodes are the retcodes a gateway version may use for an expired or
// unknown Guid (docs/gateway-contract.md §9); Rules.ExpiredCode is one of
// them, the default first.
var ExpiredCodes = []string{"107-000", "107-007", "000-003", "100-006"}

// Defaults of the switchable rules.
const (
	DefaultGuidIdle    = 30 * time.Minute
	DefaultExpiredCode = "107-000"
	DefaultGuidIn      = GuidInBody
)

// Agent-id and password limits of the login (docs/gateway-contract.md §1):
// a configuration administrator's work ID is 1–999999, a VDN account is
// the VDN ID + 100000 or + 1000000, so every valid agentId is in
// [MinAgentID, MaxAgentID].
const (
	MinAgentID  int64 = 1
	MaxAgentID  int64 = 1_999_999
	maxPassword       = 256
)

// AnyServer in SubscriptionServers lists every callback host.
const AnyServer = "*"

// Rules are the simulator's switchable behaviours. The zero value is the
// strictest gateway we know of: every rule the vendor documents is
// enforced, and no callback host is a subscription server. New takes them
// from Config; Rules, SetRules, UpdateRules, SetExpiredCode and
// /_sim/config read and change them while the simulator runs, and each
// request is judged by the rules in force when it arrives.
type Rules struct {
	// GuidIdle: a Guid not used for this long on the Clock expires (at
	// exactly GuidIdle it is gone). 0 => DefaultGuidIdle; negative =>
	// never.
	GuidIdle time.Duration
	// ExpiredCode answers (HTTP 200) a call whose Guid expired or was never
	// issued: one of ExpiredCodes; "" => DefaultExpiredCode.
	ExpiredCode string
	// GuidIn is where the login's answer carries the Guid: one of
	// GuidInModes; "" => GuidInBody.
	GuidIn string
	// LaxAgentID accepts any integer agentId and any non-empty password,
	// instead of an agentId in [MinAgentID, MaxAgentID] (else 107-004) and
	// a password of at most 256 characters (else 107-002).
	LaxAgentID bool
	// IFSubConfigureOff is basic.properties without IF_SUB_CONFIGURE=ON:
	// every register answers 107-026.
	IFSubConfigureOff bool
	// SubscriptionServers is the "Manage Subscription Server" page: the
	// host names and IP addresses (no port) callbacks may point at. A
	// register or modify whose callback host is not listed answers
	// 107-027. Empty lists nothing; AnyServer ("*") lists every host.
	SubscriptionServers []string
	// AllowHTTPLoopback also accepts plain http:// callbacks whose host is
	// a loopback IP literal or "localhost", for a console or a test whose
	// receiver is not served over TLS.
	AllowHTTPLoopback bool
	// LaxCallbacks accepts any absolute http(s) callback of at most 200
	// characters, query strings, fragments and user info included.
	LaxCallbacks bool
	// LaxHandshakeToken stops checking the service_token header of a GET
	// handshake; the extended POST handshake is always checked.
	LaxHandshakeToken bool
}

// normalized resolves the defaults and checks every value; the server
// list is cleaned (trimmed, lower-cased, brackets and a trailing dot
// removed) and copied.
func (r Rules) normalized() (Rules, error) {
	if r.GuidIdle == 0 {
		r.GuidIdle = DefaultGuidIdle
	}
	if r.ExpiredCode == "" {
		r.ExpiredCode = DefaultExpiredCode
	}
	if r.GuidIn == "" {
		r.GuidIn = DefaultGuidIn
	}
	var errs []error
	if !slices.Contains(ExpiredCodes, r.ExpiredCode) {
		errs = append(errs, fmt.Errorf("expired code %q is not one of %s", r.ExpiredCode, strings.Join(ExpiredCodes, ", ")))
	}
	if !slices.Contains(GuidInModes, r.GuidIn) {
		errs = append(errs, fmt.Errorf("guid-in %q is not one of %s", r.GuidIn, strings.Join(GuidInModes, ", ")))
	}
	servers := make([]string, 0, len(r.SubscriptionServers))
	for _, h := range r.SubscriptionServers {
		clean, err := cleanServer(h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(servers, clean) {
			servers = append(servers, clean)
		}
	}
	r.SubscriptionServers = servers
	return r, errors.Join(errs...)
}

// cleanServer normalises one subscription server entry.
func cleanServer(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == AnyServer {
		return h, nil
	}
	h = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), "."))
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), nil
	}
	if h == "" || strings.ContainsAny(h, ":/@?# \t[]") {
		return "", fmt.Errorf("subscription server %q: give a host name or an IP address, without scheme or port", h)
	}
	return h, nil
}

// listed reports whether host (a callback URI's Hostname) is a
// subscription server.
func (r Rules) listed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip := net.ParseIP(host)
	for _, s := range r.SubscriptionServers {
		switch {
		case s == AnyServer:
			return true
		case ip != nil:
			if other := net.ParseIP(s); other != nil && other.Equal(ip) {
				return true
			}
		case s == host:
			return true
		}
	}
	return false
}

// guidIdle is how long an unused Guid lives; 0 means forever.
func (r Rules) guidIdle() time.Duration { return max(r.GuidIdle, 0) }

// ruleBox holds the rules in force.
type ruleBox struct {
	mu sync.Mutex
	r  Rules
}

func (b *ruleBox) get() Rules {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.r
	r.SubscriptionServers = slices.Clone(r.SubscriptionServers)
	return r
}

// update applies f to a copy and keeps it if f succeeds and the result is
// valid.
func (b *ruleBox) update(f func(*Rules) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.r
	r.SubscriptionServers = slices.Clone(r.SubscriptionServers)
	if err := f(&r); err != nil {
		return err
	}
	r, err := r.normalized()
	if err != nil {
		return err
	}
	b.r = r
	return nil
}

// Rules returns the rules in force, defaults resolved.
func (s *Sim) Rules() Rules { return s.rules.get() }

// SetRules replaces every rule; zero fields take their defaults, so
// SetRules(Rules{}) restores the strictest gateway. An invalid rule
// changes nothing and is returned as an error.
func (s *Sim) SetRules(r Rules) error {
	if err := s.rules.update(func(cur *Rules) error { *cur = r; return nil }); err != nil {
		return fmt.Errorf("gatewaysim.SetRules: %w", err)
	}
	return nil
}

// UpdateRules changes the rules in force through f, atomically; an invalid
// result changes nothing and is returned as an error.
func (s *Sim) UpdateRules(f func(*Rules)) error {
	if err := s.rules.update(func(r *Rules) error { f(r); return nil }); err != nil {
		return fmt.Errorf("gatewaysim.UpdateRules: %w", err)
	}
	return nil
}

// SetExpiredCode sets the retcode answered for an expired or unknown Guid
// (one of ExpiredCodes; "" => DefaultExpiredCode).
func (s *Sim) SetExpiredCode(code string) error {
	if err := s.rules.update(func(r *Rules) error { r.ExpiredCode = code; return nil }); err != nil {
		return fmt.Errorf("gatewaysim.SetExpiredCode: %w", err)
	}
	return nil
}

// expiredMessages are the gateway's words for each expired-Guid code.
var expiredMessages = map[string]string{
	"107-000": "login cache expired, log in again",
	"107-007": "authentication failed before configuration, log in again",
	"000-003": "no permission for the interface: authentication expired",
	"100-006": "not signed in",
}
