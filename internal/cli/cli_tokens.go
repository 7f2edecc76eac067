package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"ccsub/internal/access"
	"ccsub/internal/app"
	"ccsub/internal/domain"
	"ccsub/internal/form"
)

// tokenCmd is `ccsub token create|revoke`, for provisioning scripts.
func tokenCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New("token: want a subcommand: create or revoke")
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, e, args[1:])
	case "revoke":
		return tokenRevoke(ctx, e, args[1:])
	}
	return fmt.Errorf("token: unknown subcommand %q (want create or revoke)", args[0])
}

// tokenCreate prints the new token alone on standard output, once, so a
// script can capture it (TOKEN=$(ccsub token create …)); what it is for
// goes to standard error.
func tokenCreate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	name := fs.String("name", "", "what the token is for (required)")
	role := fs.String("role", "auditor", "admin, operator or auditor")
	days := fs.Int("days", 90, "lifetime in days, 1 to 365")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	// The page's form rules, so a token made here could have been made there.
	f := form.ParseToken(ctx, url.Values{"name": {*name}, "role": {*role}, "days": {strconv.Itoa(*days)}})
	if !f.Validate(ctx) {
		for _, k := range []string{"name", "role", "days"} {
			if msg, ok := f.Errors[k]; ok {
				return fmt.Errorf("token create: --%s: %s", k, msg)
			}
		}
	}
	var (
		tok   domain.APIToken
		plain string
	)
	err := withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(a *app.App) error {
		var err error
		tok, plain, err = a.Access.IssueToken(ctx, actor(e), access.NewToken{Name: f.Name, Role: domain.Role(f.Role), Days: f.DaysN})
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Printed only once committed: a token shown is a token that works.
	fmt.Fprintln(e.stdout, plain)
	fmt.Fprintf(e.stderr, "API token #%d %q, role %s, expires %s. It is shown only this once.\n",
		tok.ID, tok.Name, tok.Role, tok.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

func tokenRevoke(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	id := fs.Int64("id", 0, "the token's number, as listed on the API tokens page (required)")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *id <= 0 {
		return errors.New("token revoke: want --id N")
	}
	return withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(a *app.App) error {
		tok, err := a.Access.RevokeToken(ctx, actor(e), *id)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			return fmt.Errorf("token revoke: there is no token #%d", *id)
		case errors.Is(err, access.ErrAlreadyRevoked):
			fmt.Fprintf(e.stdout, "token #%d %q was already revoked\n", tok.ID, tok.Name)
			return nil
		case err != nil:
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(e.stdout, "token #%d %q revoked\n", tok.ID, tok.Name)
		return nil
	})
}
