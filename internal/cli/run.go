// Package cli is the command-line door: it parses a command's flags into
// typed values, opens the app through the composition root and calls one
// action, then says what happened. Secrets are read from standard input,
// never from the command line.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"ccsub/internal/app"
	"ccsub/internal/config"
	"ccsub/internal/domain"
)

const usage = `ccsub — web console for CC-Gateway event subscriptions

Usage:
  ccsub [serve] [--listen ADDR] [--data-dir DIR] [--simulator auto|on|off]
  ccsub migrate
  ccsub user add --username NAME --role admin|operator|auditor --password-stdin
  ccsub user reset-password --username NAME --password-stdin
  ccsub user set-role --username NAME --role admin|operator|auditor
  ccsub user disable --username NAME
  ccsub user enable --username NAME
  ccsub session-keys rotate
  ccsub gateway add --name NAME --url URL --agent-id N [--ca-file PEM] --password-stdin
  ccsub secrets rotate [--batch N]   (with CCSUB_SECRET_KEY=NEW,OLD)
  ccsub audit verify
  ccsub dev seed [--calls N] [--subscriptions N] [--notifications N] [--audit N] [--gateways N]
                 [--hosts N] [--months N] [--seed N] [--indexes auto|rebuild|keep] [--vacuum] [--force]
  ccsub token create --name NAME [--role auditor|operator|admin] [--days 1-365]
  ccsub token revoke --id N
  ccsub retention run | show   (apply the CCSUB_RETAIN_* policy now; show it, the tables' sizes and the latest runs)
  ccsub healthcheck [--url URL] [--timeout 3s]   (exit 0 when /readyz answers 2xx)
  ccsub help

Configuration comes from the environment (see README.md): DATABASE_URL,
LISTEN_ADDR, CCSUB_DATA_DIR, CCSUB_SECRET_KEY, CCSUB_SIMULATOR, ...
`

// env bundles what a command may touch, so tests run commands in-process.
type env struct {
	getenv config.Getenv
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// Run runs one command.
func Run(ctx context.Context, args []string, getenv config.Getenv, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	// A command asked for its help (-h) printed it and did nothing else.
	if err := run(ctx, e, args); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func run(ctx context.Context, e env, args []string) error {
	stdout := e.stdout
	if len(args) == 0 {
		return serve(ctx, e, nil)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, e, rest)
	case "migrate":
		return migrate(ctx, e, rest)
	case "user":
		return userCmd(ctx, e, rest)
	case "gateway":
		return gatewayCmd(ctx, e, rest)
	case "session-keys":
		return sessionKeysCmd(ctx, e, rest)
	case "audit":
		return auditCmd(ctx, e, rest)
	case "dev":
		return devCmd(ctx, e, rest)
	case "secrets":
		return secretsCmd(ctx, e, rest)
	case "token":
		return tokenCmd(ctx, e, rest)
	case "retention":
		return retentionCmd(ctx, e, rest)
	case "healthcheck":
		return healthcheck(ctx, e, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		if len(cmd) > 0 && cmd[0] == '-' {
			return serve(ctx, e, args)
		}
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}

// parseFlags parses a subcommand's flags. On -h it prints the help and
// returns flag.ErrHelp, so the command stops there (Run makes it a success):
// `ccsub retention run -h` must not run retention.
func parseFlags(fs *flag.FlagSet, args []string, e env) error {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// serve is `ccsub serve`, the default: the web console.
func serve(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg, err := config.Parse(e.getenv, fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log := app.NewLogger(cfg, e.stderr)
	log.Info("starting ccsub", "config", cfg)
	a, err := app.Open(ctx, cfg, log, app.OpenOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, e.stdout)
}

// loadConfig reads the environment only (for commands other than serve).
func loadConfig(e env) (config.Config, error) {
	fs := flag.NewFlagSet("ccsub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Parse(e.getenv, fs, nil)
}

// withApp runs f on the app of the configured database, attached to a
// console's private PostgreSQL when one runs on the same data dir.
func withApp(ctx context.Context, e env, o app.OpenOptions, f func(*app.App) error) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	o.Attach = true
	a, err := app.Open(ctx, cfg, app.NewLogger(cfg, e.stderr), o)
	if err != nil {
		return err
	}
	defer a.Close()
	return f(a)
}

func migrate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if err := withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(*app.App) error { return nil }); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "database is up to date")
	return nil
}

// actor names the command line in the audit trail: the operating system
// user who ran it, when the environment says.
func actor(e env) domain.Actor {
	name := "cli"
	if u := e.getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return domain.Actor{Name: name, Addr: "local"}
}
