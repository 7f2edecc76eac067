// Command ccgw-sim runs the CC-Gateway simulator (internal/gatewaysim) on
// its own: HTTPS with a freshly generated CA written to a file for clients,
// and JSON control endpoints under /_sim/ (see the gatewaysim package).
// It is the strictest gateway we know of unless told otherwise: Guids
// expire after -guid-idle, callbacks must be https to a host listed with
// -subscription-server, and so on; every rule has a flag, and
// POST /_sim/config changes them while it runs.
// With -push-every it also pushes recognition results to every active
// subscription's callback, verified against -push-ca (or the system roots;
// plain http:// only to loopback hosts).
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ccsub/internal/gatewaysim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "ccgw-sim:", err)
		os.Exit(1)
	}
}

// options are the parsed command line.
type options struct {
	listen      string
	caOut       string
	accounts    accountsFlag
	expiry      time.Duration
	manualClock bool
	clockFactor float64
	node        string
	pushEvery   time.Duration
	pushCA      string

	// The simulator's switchable strictness (gatewaysim.Rules).
	guidIdle          guidIdleFlag
	expiredCode       string
	guidIn            string
	laxAgentID        bool
	ifSubConfigure    bool
	servers           listFlag
	allowHTTPLoopback bool
	laxCallbacks      bool
	laxHandshakeToken bool
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ccgw-sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usageHead)
		fs.PrintDefaults()
		fmt.Fprint(out, usageTail)
	}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8043", "address to serve HTTPS on (port 0 picks a free one)")
	fs.StringVar(&o.caOut, "ca-out", "ccgw-sim-ca.pem", "file to write the CA certificate (PEM) to, for clients")
	fs.Var(&o.accounts, "account", "agentId:password accepted by login (repeatable; default 100001:"+gatewaysim.DefaultPassword+")")
	fs.DurationVar(&o.expiry, "expiry", gatewaysim.DefaultExpiry, "drop a subscription after this long without a handshake")
	fs.BoolVar(&o.manualClock, "manual-clock", false, "run on a manual clock moved only by POST /_sim/clock/advance?by=5m")
	fs.Float64Var(&o.clockFactor, "clock-factor", 0, "run simulated time this many times faster than real time (60: a 5-minute expiry in 5 s); POST /_sim/clock/advance also works")
	fs.StringVar(&o.node, "node", gatewaysim.DefaultNode, "gateway node name, the suffix of every Guid")
	fs.DurationVar(&o.pushEvery, "push-every", 0, "push a recognition result to every active subscription at this interval (0: never)")
	fs.StringVar(&o.pushCA, "push-ca", "", "PEM file of the CA(s) that sign callback servers' certificates (default: system roots)")

	// Strictness: every rule the vendor documents is on by default.
	o.guidIdle = guidIdleFlag(gatewaysim.DefaultGuidIdle)
	fs.Var(&o.guidIdle, "guid-idle", `a Guid unused this long (on the simulator's clock) expires; "never" keeps Guids until POST /_sim/expire-guids`)
	fs.StringVar(&o.expiredCode, "expired-code", gatewaysim.DefaultExpiredCode, "retcode answering an expired or unknown Guid: "+strings.Join(gatewaysim.ExpiredCodes, ", "))
	fs.StringVar(&o.guidIn, "guid-in", gatewaysim.DefaultGuidIn, "where the login answer carries the Guid: "+strings.Join(gatewaysim.GuidInModes, ", "))
	fs.BoolVar(&o.laxAgentID, "lax-agent-id", false, "accept any integer agentId and any non-empty password (default: agentId 1-1999999 else 107-004, password at most 256 characters else 107-002)")
	fs.BoolVar(&o.ifSubConfigure, "if-sub-configure", true, "IF_SUB_CONFIGURE=ON; -if-sub-configure=false makes every register answer 107-026")
	fs.Var(&o.servers, "subscription-server", `callback host (name or IP, no port) listed on "Manage Subscription Server" (repeatable; "*" lists every host); a register or modify to any other host answers 107-027`)
	fs.BoolVar(&o.allowHTTPLoopback, "allow-http-loopback", false, "also accept plain http:// callbacks to a loopback IP or localhost (default: https only)")
	fs.BoolVar(&o.laxCallbacks, "lax-callbacks", false, "accept any absolute http(s) callback of at most 200 characters (default: https, no user info, query or fragment)")
	fs.BoolVar(&o.laxHandshakeToken, "lax-handshake-token", false, "do not check the service_token header of a GET handshake (the extended POST is always checked)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.expiry <= 0:
		return errors.New("-expiry must be positive")
	case o.pushEvery < 0:
		return errors.New("-push-every must not be negative")
	case math.IsNaN(o.clockFactor) || math.IsInf(o.clockFactor, 0) || o.clockFactor < 0:
		return errors.New("-clock-factor must be a positive number")
	case o.clockFactor > 0 && o.manualClock:
		return errors.New("-clock-factor and -manual-clock exclude each other")
	}
	return o.strictness(gatewaysim.Config{}).Validate()
}

// strictness sets the switchable rules of cfg from the options.
func (o options) strictness(cfg gatewaysim.Config) gatewaysim.Config {
	cfg.GuidIdle, cfg.ExpiredCode, cfg.GuidIn = time.Duration(o.guidIdle), o.expiredCode, o.guidIn
	cfg.LaxAgentID, cfg.IFSubConfigureOff, cfg.SubscriptionServers = o.laxAgentID, !o.ifSubConfigure, o.servers
	cfg.AllowHTTPLoopback, cfg.LaxCallbacks, cfg.LaxHandshakeToken = o.allowHTTPLoopback, o.laxCallbacks, o.laxHandshakeToken
	return cfg
}

// config turns the options into the simulator's Config.
func (o options) config(logger *slog.Logger) (gatewaysim.Config, error) {
	cfg := o.strictness(gatewaysim.Config{Accounts: o.accounts, Expiry: o.expiry, Node: o.node, Logger: logger})
	switch {
	case o.manualClock:
		cfg.Clock = gatewaysim.NewManualClock(time.Now())
	case o.clockFactor > 0:
		cfg.Clock = gatewaysim.NewScaledClock(o.clockFactor)
	}
	if o.pushCA != "" {
		roots, err := loadRoots(o.pushCA)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		cfg.PushRoots = roots
	}
	return cfg, nil
}

// loadRoots reads a PEM bundle into a pool of its own: the system roots
// are deliberately not added, so a push-CA run trusts only that CA.
func loadRoots(path string) (*x509.CertPool, error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loadRoots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("loadRoots: %s holds no PEM certificate", path)
	}
	return pool, nil
}

const usageHead = `Usage: ccgw-sim [flags]

Runs a simulated Huawei CEC CC-Gateway (docs/gateway-contract.md) over HTTPS,
the strictest we know of: every rule the vendor documents is on until a flag
turns it off. Guids expire after -guid-idle unused; an expired or unknown Guid
answers -expired-code; agentId must be 1-1999999 and the password at most 256
characters; with -if-sub-configure=false every register answers 107-026; a
callback must be https (no user info, query or fragment, at most 200
characters) to a host listed with -subscription-server, else 107-002 or
107-027 (no host is listed by default); a handshake that carries a service_token header must carry the
registered token, else 107-032.

Flags:
`

const usageTail = `
Control endpoints (JSON, never logged, never showing secrets):
  GET  /_sim/config            the rules in force
  POST /_sim/config            change some: {"guidIdle":"10m"|"never","expiredCode":"107-007",
                               "guidIn":"header","laxAgentId":false,"ifSubConfigure":false,
                               "subscriptionServers":["crm.example.com"],"allowHttpLoopback":true,
                               "laxCallbacks":false,"laxHandshakeToken":false}
  POST /_sim/expire-guids      expire every Guid now
  POST /_sim/faults            inject a fault: {"op","retcode","httpStatus","delay","times","processed",
                               "hang","drop","malformed","truncate","html","redirect",
                               "numericRetcode","noResult","resultAs":"string|array|number","oversize"}
  DELETE /_sim/faults          clear faults;  POST /_sim/release  release hung requests
  GET/DELETE /_sim/requests    the request log;  GET /_sim/subscriptions
  POST /_sim/clock/advance?by=5m   with -manual-clock or -clock-factor
  POST /_sim/push, GET/DELETE /_sim/pushes   push results to callbacks
See internal/gatewaysim/doc.go for the details.
`

// guidIdleFlag is -guid-idle: a Go duration or "never" (also any negative
// duration).
type guidIdleFlag time.Duration

func (g *guidIdleFlag) String() string {
	if *g < 0 {
		return gatewaysim.Never
	}
	return time.Duration(*g).String()
}

func (g *guidIdleFlag) Set(v string) error {
	d, err := gatewaysim.ParseGuidIdle(v)
	if err != nil {
		return err
	}
	if d == 0 {
		return errors.New(`want a positive duration such as 30m, or "never"`)
	}
	*g = guidIdleFlag(d)
	return nil
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// accountsFlag collects repeated -account agentId:password values.
type accountsFlag map[int64]string

func (a *accountsFlag) String() string { return fmt.Sprintf("%d accounts", len(*a)) } // never the passwords

func (a *accountsFlag) Set(v string) error {
	id, password, found := strings.Cut(v, ":")
	agentID, err := strconv.ParseInt(id, 10, 64)
	if !found || err != nil || agentID <= 0 || password == "" {
		return errors.New("want agentId:password, e.g. 100001:secret")
	}
	if *a == nil {
		*a = accountsFlag{}
	}
	(*a)[agentID] = password
	return nil
}

// run serves the simulator until ctx ends, then stops it gracefully.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	cfg, err := o.config(logger)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	sim := gatewaysim.New(cfg)
	if err := sim.Start(o.listen); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := sim.WriteCA(o.caOut); err != nil {
		_ = sim.Close()
		return fmt.Errorf("run: %w", err)
	}
	// The CA is written before the URL is printed, so whoever waits for
	// the URL line can trust the file at once.
	fmt.Fprintf(stdout, "ccgw-sim: CA certificate written to %s\n", o.caOut)
	if len(cfg.SubscriptionServers) == 0 {
		fmt.Fprintln(stdout, "ccgw-sim: no -subscription-server given: every register and modify answers 107-027")
	}
	fmt.Fprintf(stdout, "ccgw-sim: listening on %s\n", sim.URL())
	pushing := startPushing(ctx, sim, o.pushEvery, stdout)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = sim.Shutdown(shutdownCtx) // also ends pushes in flight
	<-pushing
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	fmt.Fprintln(stdout, "ccgw-sim: stopped")
	return nil
}

// startPushing runs the -push-every loop until ctx ends; the returned
// channel is closed once it has stopped (at once when every is 0).
func startPushing(ctx context.Context, sim *gatewaysim.Sim, every time.Duration, stdout io.Writer) <-chan struct{} {
	stopped := make(chan struct{})
	if every == 0 {
		close(stopped)
		return stopped
	}
	fmt.Fprintf(stdout, "ccgw-sim: pushing to every active subscription every %s\n", every)
	go func() {
		defer close(stopped)
		sim.PushToActive(ctx, every)
	}()
	return stopped
}
