// Command ccgw-sim runs the CC-Gateway simulator (internal/gatewaysim) on
// its own: HTTPS with a freshly generated CA written to a file for clients,
// and JSON control endpoints under /_sim/ (see the gatewaysim package).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	node        string
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ccgw-sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8043", "address to serve HTTPS on (port 0 picks a free one)")
	fs.StringVar(&o.caOut, "ca-out", "ccgw-sim-ca.pem", "file to write the CA certificate (PEM) to, for clients")
	fs.Var(&o.accounts, "account", "agentId:password accepted by login (repeatable; default 100001:"+gatewaysim.DefaultPassword+")")
	fs.DurationVar(&o.expiry, "expiry", gatewaysim.DefaultExpiry, "drop a subscription after this long without a handshake")
	fs.BoolVar(&o.manualClock, "manual-clock", false, "run on a manual clock moved only by POST /_sim/clock/advance?by=5m")
	fs.StringVar(&o.node, "node", gatewaysim.DefaultNode, "gateway node name, the suffix of every Guid")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.expiry <= 0 {
		return o, errors.New("-expiry must be positive")
	}
	return o, nil
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
	cfg := gatewaysim.Config{Accounts: o.accounts, Expiry: o.expiry, Node: o.node, Logger: logger}
	if o.manualClock {
		cfg.Clock = gatewaysim.NewManualClock(time.Now())
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
	fmt.Fprintf(stdout, "ccgw-sim: listening on %s\n", sim.URL())
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sim.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	fmt.Fprintln(stdout, "ccgw-sim: stopped")
	return nil
}
