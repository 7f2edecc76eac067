package gatewaysim

import (
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config configures a simulator. Zero values give a usable default.
type Config struct {
	Accounts map[int64]string // agentId -> password; nil => {100001: "simulator-password"}
	Clock    Clock            // nil => real time
	Expiry   time.Duration    // 0 => 5 * time.Minute (drop a subscription after this long without a handshake)
	Node     string           // Guid suffix node name; "" => "AgentGateway1"
	Logger   *slog.Logger     // nil => discard

	// PushRoots verifies the certificates of https:// callback URIs when
	// pushing recognition results; nil => the system roots.
	PushRoots *x509.CertPool
	// PushTimeout bounds one push from dial to the answer's end; 0 =>
	// DefaultPushTimeout.
	PushTimeout time.Duration
	// PushLoopbackOnly makes PushToActive skip subscriptions whose callback
	// host is not a loopback IP literal or "localhost", so a simulator
	// built into a console never resolves or calls outside hosts.
	PushLoopbackOnly bool

	// The switchable strictness, each as in Rules (which documents them):
	// the zero values are the strictest gateway we know of. New panics on
	// an invalid ExpiredCode, GuidIn or SubscriptionServers entry.
	GuidIdle            time.Duration // 0 => DefaultGuidIdle (30m); negative => Guids never expire
	ExpiredCode         string        // "" => "107-000"; or "107-007", "000-003", "100-006"
	GuidIn              string        // "" => GuidInBody; see GuidInModes
	LaxAgentID          bool          // accept any integer agentId and any non-empty password
	IFSubConfigureOff   bool          // IF_SUB_CONFIGURE is not ON: every register answers 107-026
	SubscriptionServers []string      // callback hosts (names or IPs) register/modify accept, else 107-027; "*" = any
	AllowHTTPLoopback   bool          // also accept http:// callbacks to a loopback IP literal or localhost
	LaxCallbacks        bool          // accept any absolute http(s) callback of at most 200 characters
	LaxHandshakeToken   bool          // do not check a GET handshake's service_token header
}

// Validate reports what New would panic on: an ExpiredCode, GuidIn or
// SubscriptionServers entry that is not accepted.
func (c Config) Validate() error {
	_, err := c.rules().normalized()
	return err
}

// rules returns the switchable part of the configuration.
func (c Config) rules() Rules {
	return Rules{GuidIdle: c.GuidIdle, ExpiredCode: c.ExpiredCode, GuidIn: c.GuidIn, LaxAgentID: c.LaxAgentID,
		IFSubConfigureOff: c.IFSubConfigureOff, SubscriptionServers: c.SubscriptionServers,
		AllowHTTPLoopback: c.AllowHTTPLoopback, LaxCallbacks: c.LaxCallbacks, LaxHandshakeToken: c.LaxHandshakeToken}
}

// Defaults applied by New.
const (
	DefaultAgentID     int64 = 100001
	DefaultPassword          = "simulator-password"
	DefaultExpiry            = 5 * time.Minute
	DefaultNode              = "AgentGateway1"
	DefaultPushTimeout       = 10 * time.Second
	DefaultPushEvery         = time.Second // between pushes of a stream when none is given
)

// Sim is one simulated gateway node. All methods are safe for concurrent use.
type Sim struct {
	accounts map[int64]string
	clock    Clock
	logger   *slog.Logger
	state    *state
	faults   *faultSet
	log      *reqLog
	control  http.Handler
	pusher   *pusher
	pushes   *pushLog
	bg       *background // streams started through /_sim/push
	calls    callIDs
	loopOnly bool // PushToActive pushes to loopback callbacks only
	rules    ruleBox

	// closed is closed by Close/Shutdown so delayed and hung requests stop
	// waiting even when the handler is served by someone else's server.
	closed    chan struct{}
	closeOnce sync.Once

	mu    sync.Mutex // guards the fields set by Start
	srv   *http.Server
	ln    net.Listener
	url   string
	caPEM []byte
}

// New returns a simulator; call Start to serve it over HTTPS, or mount
// Handler yourself.
func New(cfg Config) *Sim {
	cfg = withDefaults(cfg)
	rules, err := cfg.rules().normalized()
	if err != nil {
		panic("gatewaysim.New: " + err.Error())
	}
	s := &Sim{
		accounts: cfg.Accounts,
		clock:    cfg.Clock,
		logger:   cfg.Logger,
		state:    newState(cfg.Clock, cfg.Expiry, cfg.Node),
		faults:   newFaultSet(),
		log:      newReqLog(),
		closed:   make(chan struct{}),
		pusher:   newPusher(cfg.PushRoots, cfg.PushTimeout),
		pushes:   newPushLog(),
		bg:       newBackground(),
		loopOnly: cfg.PushLoopbackOnly,
	}
	s.rules.r = rules
	s.control = s.controlRoutes()
	return s
}

func withDefaults(cfg Config) Config {
	if cfg.Accounts == nil {
		cfg.Accounts = map[int64]string{DefaultAgentID: DefaultPassword}
	} else {
		// A private copy: the caller may keep editing its map.
		accounts := make(map[int64]string, len(cfg.Accounts))
		for id, pw := range cfg.Accounts {
			accounts[id] = pw
		}
		cfg.Accounts = accounts
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.Node == "" {
		cfg.Node = DefaultNode
	}
	if cfg.PushTimeout <= 0 {
		cfg.PushTimeout = DefaultPushTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg
}

// Handler serves the gateway API and, under /_sim/, the control endpoints.
func (s *Sim) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not an http.ServeMux: it would redirect unclean paths and answer
		// wrong methods in plain text before the request reaches the log.
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			s.control.ServeHTTP(w, r)
			return
		}
		s.serveGateway(w, r)
	})
}
