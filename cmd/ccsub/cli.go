package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/password"
	"ccsub/internal/secret"
	"ccsub/internal/server"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
)

// withStore runs f against the configured database.
func withStore(ctx context.Context, e env, f func(*store.Store) error) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	pool, closeDB, err := openDB(ctx, cfg, newLogger(cfg, e.stderr), true)
	if err != nil {
		return err
	}
	defer closeDB()
	return f(store.New(pool))
}

// withStoreTx runs f in one transaction, so a change and its audit entry
// are committed together or not at all.
func withStoreTx(ctx context.Context, e env, f func(*store.Store) error) error {
	return withStore(ctx, e, func(st *store.Store) error { return st.InTx(ctx, f) })
}

// readSecret reads one line from standard input: secrets never go on the
// command line, where ps and shell history would keep them.
func readSecret(e env, what string) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the %s from standard input: %w", what, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

const userSubcommands = "add, reset-password, set-role, disable or enable"

func userCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New("user: want a subcommand: " + userSubcommands)
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, e, args[1:])
	case "reset-password":
		return userResetPassword(ctx, e, args[1:])
	case "set-role":
		return userSetRole(ctx, e, args[1:])
	case "disable", "enable":
		return userSetDisabled(ctx, e, args[0], args[1:])
	}
	return fmt.Errorf("user: unknown subcommand %q (want %s)", args[0], userSubcommands)
}

func userAdd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	name := fs.String("username", "", "the new user's name")
	role := fs.String("role", "operator", "admin, operator or auditor")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input (required)")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if msg := form.CheckUsername(*name); msg != "" {
		return fmt.Errorf("user add: --username: %s", msg)
	}
	if !domain.Role(*role).Valid() {
		return fmt.Errorf("user add: --role %q: want admin, operator or auditor", *role)
	}
	if !*stdin {
		return errors.New("user add: pass --password-stdin and the password on standard input")
	}
	hash, err := readAndHash(e)
	if err != nil {
		return err
	}
	return withStoreTx(ctx, e, func(st *store.Store) error {
		u, err := st.CreateUser(ctx, *name, domain.Role(*role), hash)
		if errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("user add: a user named %q already exists", *name)
		}
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, e, st, domain.AuditEntry{Action: domain.AuditUserCreate, TargetType: domain.TargetUser,
			TargetID: strconv.FormatInt(u.ID, 10), TargetName: u.Username, Diff: map[string]domain.FieldChange{
				"role": {After: string(u.Role)}, "disabled": {After: false}, "password": {After: server.SecretChanged}}}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.Username, u.Role)
		return nil
	})
}

func userResetPassword(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("user reset-password", flag.ContinueOnError)
	name := fs.String("username", "", "the user whose password to set")
	stdin := fs.Bool("password-stdin", false, "read the new password from standard input (required)")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *name == "" || !*stdin {
		return errors.New("user reset-password: want --username NAME --password-stdin")
	}
	hash, err := readAndHash(e)
	if err != nil {
		return err
	}
	return updateUserCLI(ctx, e, "user reset-password", *name, domain.UserChange{PasswordHash: hash})
}

func readAndHash(e env) (string, error) {
	pw, err := readSecret(e, "password")
	if err != nil {
		return "", err
	}
	if err := password.CheckPolicy(pw); err != nil {
		return "", err
	}
	return password.Hash(pw)
}

func gatewayCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("gateway: want a subcommand: add")
	}
	fs := flag.NewFlagSet("gateway add", flag.ContinueOnError)
	name := fs.String("name", "", "a unique name people will recognise")
	url := fs.String("url", "", "the gateway's address, e.g. https://10.1.2.3:8043")
	agent := fs.String("agent-id", "", "the administrator's work ID or VDN account")
	caFile := fs.String("ca-file", "", "PEM file of the CA that signed the gateway's certificate (default: system roots)")
	stdin := fs.Bool("password-stdin", false, "read the gateway password from standard input (required)")
	if err := parseFlags(fs, args[1:], e); err != nil {
		return err
	}
	if !*stdin {
		return errors.New("gateway add: pass --password-stdin and the password on standard input")
	}
	vals := map[string][]string{"name": {*name}, "baseUrl": {*url}, "agentId": {*agent}}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("gateway add: read --ca-file: %w", err)
		}
		vals["caPem"] = []string{string(pem)}
	}
	pw, err := readSecret(e, "password")
	if err != nil {
		return err
	}
	vals["password"] = []string{pw}
	f := form.ParseGateway(vals, false)
	if !f.Validate() {
		return gatewayFormError(f.Errors)
	}
	return saveGatewayCLI(ctx, e, f)
}

func saveGatewayCLI(ctx context.Context, e env, f form.Gateway) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	keys, _, err := secret.LoadOrCreate(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	sealed, err := keys.Seal([]byte(f.Password), subscribe.PurposeGatewayPassword)
	if err != nil {
		return err
	}
	return withStoreTx(ctx, e, func(st *store.Store) error {
		g, err := st.CreateGateway(ctx, domain.GatewayInput{Name: f.Name, BaseURL: f.BaseURL, AgentID: f.Agent, PasswordSealed: sealed, CAPEM: f.CAPEM})
		if errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("gateway add: a gateway named %q already exists", f.Name)
		}
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, e, st, server.GatewaySaved(nil, g, true)); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "added gateway %s (%s, agent %d)\n", g.Name, g.BaseURL, g.AgentID)
		return nil
	})
}

var gatewayFlags = map[string]string{"name": "--name", "baseUrl": "--url", "agentId": "--agent-id", "password": "password (stdin)", "caPem": "--ca-file"}

func gatewayFormError(errs form.Errors) error {
	var lines []string
	for _, field := range []string{"name", "baseUrl", "agentId", "password", "caPem"} {
		if msg, ok := errs[field]; ok {
			lines = append(lines, gatewayFlags[field]+": "+msg)
		}
	}
	return errors.New("gateway add:\n  " + strings.Join(lines, "\n  "))
}
