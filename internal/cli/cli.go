package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"ccsub/internal/access"
	"ccsub/internal/app"
	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/gateways"
	"ccsub/internal/password"
)

// readSecret reads one line from standard input: secrets never go on the
// command line, where ps and shell history would keep them.
func readSecret(e env, what string) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the %s from standard input: %w", what, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readPassword reads a new password from standard input and checks it
// against the policy before anything is opened.
func readPassword(e env) (string, error) {
	pw, err := readSecret(e, "password")
	if err != nil {
		return "", err
	}
	return pw, password.CheckPolicy(pw)
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
	if msg := form.CheckUsername(ctx, *name); msg != "" {
		return fmt.Errorf("user add: --username: %s", msg)
	}
	if !domain.Role(*role).Valid() {
		return fmt.Errorf("user add: --role %q: want admin, operator or auditor", *role)
	}
	if !*stdin {
		return errors.New("user add: pass --password-stdin and the password on standard input")
	}
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	return withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(a *app.App) error {
		u, err := a.Access.CreateUser(ctx, actor(e), access.NewUser{Username: *name, Role: domain.Role(*role), Password: pw})
		if errors.Is(err, access.ErrUsernameTaken) {
			return fmt.Errorf("user add: a user named %q already exists", *name)
		}
		if err != nil {
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
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	return updateUser(ctx, e, "user reset-password", *name, access.UserChange{Password: pw})
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
	f := form.Gateway{Name: *name, BaseURL: *url, AgentID: *agent}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("gateway add: read --ca-file: %w", err)
		}
		f.CAPEM = string(pem)
	}
	pw, err := readSecret(e, "password")
	if err != nil {
		return err
	}
	f.Password = pw
	f.Normalize()
	if !f.Validate(ctx) {
		return gatewayFormError(f.Errors)
	}
	return withApp(ctx, e, app.OpenOptions{}, func(a *app.App) error {
		g, err := a.Gateways.Create(ctx, actor(e), gateways.Input{Name: f.Name, BaseURL: f.BaseURL, AgentID: f.Agent,
			Password: f.Password, CAPEM: f.CAPEM})
		if errors.Is(err, gateways.ErrNameTaken) {
			return fmt.Errorf("gateway add: a gateway named %q already exists", f.Name)
		}
		if err != nil {
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
