// Package config builds ccsub's one immutable Config from the environment
// and command-line flags (flags win), and validates it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SimulatorMode says when the built-in gateway simulator runs.
type SimulatorMode string

const (
	SimAuto SimulatorMode = "auto" // only with the private database and no other gateway
	SimOn   SimulatorMode = "on"
	SimOff  SimulatorMode = "off"
)

// Config is everything ccsub needs to run. Secrets in it are redacted by
// LogValue.
type Config struct {
	ListenAddr            string
	PublicURL             string
	DatabaseURL           string // empty: run a private PostgreSQL in DataDir
	DataDir               string
	SecretKey             string
	RequireSecretKey      bool // refuse to generate a key (set in the container image)
	Simulator             SimulatorMode
	GatewayConnectTimeout time.Duration
	GatewayCallTimeout    time.Duration
	TLSCertFile           string
	TLSKeyFile            string
	SessionMaxAge         time.Duration
	SessionIdle           time.Duration // a session unused this long ends
	HandshakeInterval     time.Duration
	LogLevel              slog.Level
	LogFormat             string // text or json
	// GatewayNetworks are the networks outbound gateway connections may go
	// to (CCSUB_GATEWAY_NETWORKS); nil means the gateway client's defaults.
	GatewayNetworks []netip.Prefix
	// MetricsAddr is where GET /metrics is served (CCSUB_METRICS_ADDR);
	// empty means nowhere. It is a listener of its own because metrics are
	// unauthenticated, as Prometheus expects, and must not share the
	// console's port.
	MetricsAddr string
	// DBMaxConns is the size of the database pool (CCSUB_DB_MAX_CONNS);
	// 0 means DefaultDBMaxConns. pgx's own default (4 on a 2-core host)
	// lets four slow searches hold every connection.
	DBMaxConns int
	// DBReservedConns is the size of a second pool, of its own, for the
	// work that must go on while every interactive connection is busy: the
	// keep-alive engine, the receiver, the completion of gateway calls
	// (CCSUB_DB_RESERVED_CONNS). DBStatementTimeout stops an interactive
	// statement that runs longer, and bounds how long a request waits for
	// an interactive connection (CCSUB_DB_STATEMENT_TIMEOUT). Parse sets
	// the defaults; zero, as in a Config built in code, means no timeout
	// and no wait bound.
	DBReservedConns    int
	DBStatementTimeout time.Duration
	// APIRate and APIBurst limit the requests of each API token
	// (CCSUB_API_RATE a second, CCSUB_API_BURST at once); PushRefusedRate
	// and PushRefusedBurst limit the receiver's refused pushes per receiver
	// key and source address (CCSUB_PUSH_REFUSED_RATE, _BURST). Parse sets
	// the defaults; a zero rate or burst, as in a Config built in code,
	// limits nothing. The limits are per process.
	APIRate          float64
	APIBurst         int
	PushRefusedRate  float64
	PushRefusedBurst int
	// Retention is how long each kind of row is kept (CCSUB_RETAIN_*;
	// see retention.go).
	Retention Retention
}

// DefaultDBMaxConns is the pool size when CCSUB_DB_MAX_CONNS is not set:
// room for many interactive requests and the background work beside them,
// well under PostgreSQL's default of 100 connections for two replicas.
const DefaultDBMaxConns = 20

// Getenv is os.Getenv's shape, passed in so tests control the environment.
type Getenv func(string) string

// Parse reads the environment, then flags from args (for `ccsub serve`).
func Parse(getenv Getenv, fs *flag.FlagSet, args []string) (Config, error) {
	c := fromEnv(getenv)
	errs := c.envDurations(getenv)
	errs = append(errs, c.envLimits(getenv)...)
	errs = append(errs, c.envDB(getenv)...)
	errs = append(errs, c.envRetention(getenv)...)
	if v := getenv("CCSUB_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 1000 {
			errs = append(errs, fmt.Errorf("CCSUB_DB_MAX_CONNS=%q: want a whole number from 2 to 1000", v))
		}
		c.DBMaxConns = n
	}
	if c.DBMaxConns == 0 {
		c.DBMaxConns = DefaultDBMaxConns
	}
	var err error
	if c.GatewayNetworks, err = ParseNetworks(getenv(networksEnv)); err != nil {
		errs = append(errs, err)
	}
	fs.StringVar(&c.ListenAddr, "listen", c.ListenAddr, "address to serve the console on (LISTEN_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the private database, the generated secret key and the journal of answers waiting for the database (CCSUB_DATA_DIR)")
	sim := fs.String("simulator", string(c.Simulator), "run the built-in gateway simulator: auto, on or off (CCSUB_SIMULATOR)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	c.Simulator = SimulatorMode(*sim)
	if c.PublicURL == "" {
		c.PublicURL = c.scheme() + "://" + c.ListenAddr
	}
	if err := errors.Join(append(errs, c.Validate())...); err != nil {
		return Config{}, err
	}
	return c, nil
}

func fromEnv(getenv Getenv) Config {
	return Config{
		ListenAddr:  or(getenv("LISTEN_ADDR"), "127.0.0.1:8080"),
		PublicURL:   strings.TrimRight(getenv("CCSUB_PUBLIC_URL"), "/"),
		DatabaseURL: getenv("DATABASE_URL"),
		DataDir:     or(getenv("CCSUB_DATA_DIR"), ".ccsub"),
		SecretKey:   getenv("CCSUB_SECRET_KEY"),
		// A container's data dir is usually thrown away with it: a key
		// generated there would be lost, and every sealed secret with it.
		RequireSecretKey: getenv("CCSUB_REQUIRE_SECRET_KEY") == "true",
		Simulator:        SimulatorMode(or(getenv("CCSUB_SIMULATOR"), string(SimAuto))),
		TLSCertFile:      getenv("CCSUB_TLS_CERT"),
		TLSKeyFile:       getenv("CCSUB_TLS_KEY"),
		LogFormat:        or(getenv("CCSUB_LOG_FORMAT"), "text"),
		LogLevel:         parseLevel(getenv("CCSUB_LOG_LEVEL")),
		MetricsAddr:      getenv("CCSUB_METRICS_ADDR"),
	}
}

func (c *Config) envDurations(getenv Getenv) []error {
	var errs []error
	dur := func(name string, def time.Duration, dst *time.Duration) {
		*dst = def
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 15s", name, v))
				return
			}
			*dst = d
		}
	}
	dur("CCSUB_GATEWAY_CONNECT_TIMEOUT", 5*time.Second, &c.GatewayConnectTimeout)
	dur("CCSUB_GATEWAY_TIMEOUT", 15*time.Second, &c.GatewayCallTimeout)
	dur("CCSUB_SESSION_MAX_AGE", 12*time.Hour, &c.SessionMaxAge)
	dur("CCSUB_SESSION_IDLE", 30*time.Minute, &c.SessionIdle)
	dur("CCSUB_HANDSHAKE_INTERVAL", 120*time.Second, &c.HandshakeInterval)
	return errs
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN_ADDR=%q: want host:port such as 127.0.0.1:8080", c.ListenAddr))
	}
	switch c.Simulator {
	case SimAuto, SimOn, SimOff:
	default:
		errs = append(errs, fmt.Errorf("CCSUB_SIMULATOR=%q: want auto, on or off", c.Simulator))
	}
	if c.RequireSecretKey && c.SecretKey == "" {
		errs = append(errs, errors.New("CCSUB_SECRET_KEY must be set (CCSUB_REQUIRE_SECRET_KEY=true, as in the container image): "+
			"a key generated into a disposable data dir would be lost on restart, and every stored secret with it; "+
			"make one with: head -c 32 /dev/urandom | base64"))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("CCSUB_TLS_CERT and CCSUB_TLS_KEY must be set together"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("CCSUB_PUBLIC_URL=%q: want an absolute http(s) URL", c.PublicURL))
	}
	if c.HandshakeInterval >= 5*time.Minute {
		errs = append(errs, fmt.Errorf("CCSUB_HANDSHAKE_INTERVAL=%s: must be under the platform's 5-minute limit (the vendor recommends 2m)", c.HandshakeInterval))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("CCSUB_LOG_FORMAT=%q: want text or json", c.LogFormat))
	}
	if c.MetricsAddr != "" && !validHostPort(c.MetricsAddr) {
		errs = append(errs, fmt.Errorf("CCSUB_METRICS_ADDR=%q: want host:port such as 127.0.0.1:9090, or leave it empty to serve no metrics", c.MetricsAddr))
	}
	return errors.Join(errs...)
}

// validHostPort accepts what net.Listen("tcp", …) takes with a numeric
// port; a missing or named port is refused so a typo fails at start-up.
func validHostPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// TLS reports whether the console itself serves HTTPS.
func (c Config) TLS() bool { return c.TLSCertFile != "" }

// SecureCookies reports whether cookies must carry the Secure flag: when we
// serve TLS or sit behind a TLS-terminating proxy named by CCSUB_PUBLIC_URL.
func (c Config) SecureCookies() bool { return c.TLS() || strings.HasPrefix(c.PublicURL, "https://") }

func (c Config) scheme() string {
	if c.TLS() {
		return "https"
	}
	return "http"
}

// LogValue keeps secrets out of logs.
func (c Config) LogValue() slog.Value {
	db := "(private PostgreSQL in " + c.DataDir + ")"
	if c.DatabaseURL != "" {
		db = redactURL(c.DatabaseURL)
	}
	key := "(generated in data dir)"
	if c.SecretKey != "" {
		key = "(set, redacted)"
	}
	return slog.GroupValue(
		slog.String("listen", c.ListenAddr), slog.String("public_url", c.PublicURL),
		slog.String("database", db), slog.String("secret_key", key),
		slog.String("simulator", string(c.Simulator)),
		slog.Duration("gateway_timeout", c.GatewayCallTimeout), slog.Bool("tls", c.TLS()),
		slog.String("gateway_networks", c.gatewayNetworks()),
		slog.String("metrics", or(c.MetricsAddr, "(off)")),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.Int("db_reserved_conns", c.DBReservedConns),
		slog.Duration("db_statement_timeout", c.DBStatementTimeout),
		slog.String("api_rate", limit(c.APIRate, c.APIBurst)),
		slog.String("push_refused_rate", limit(c.PushRefusedRate, c.PushRefusedBurst)),
		slog.String("retention", c.Retention.retentionLog()),
	)
}

func (c Config) gatewayNetworks() string {
	if len(c.GatewayNetworks) == 0 {
		return "(default) private ranges and loopback"
	}
	return formatNetworks(c.GatewayNetworks)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
