package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"ccsub/internal/access"
	"ccsub/internal/app"
	"ccsub/internal/domain"
)

func userSetRole(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("user set-role", flag.ContinueOnError)
	name := fs.String("username", "", "the user whose role to change")
	role := fs.String("role", "", "admin, operator or auditor")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		return errors.New("user set-role: want --username NAME --role admin|operator|auditor")
	}
	r := domain.Role(*role)
	if !r.Valid() {
		return fmt.Errorf("user set-role: --role %q: want admin, operator or auditor", *role)
	}
	return updateUser(ctx, e, "user set-role", *name, access.UserChange{Role: &r})
}

// userSetDisabled is `user disable` and `user enable`.
func userSetDisabled(ctx context.Context, e env, verb string, args []string) error {
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	name := fs.String("username", "", "the user to "+verb)
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("user %s: want --username NAME", verb)
	}
	disabled := verb == "disable"
	return updateUser(ctx, e, "user "+verb, *name, access.UserChange{Disabled: &disabled})
}

// updateUser applies a change to the named user, which ends all of the
// user's sessions, and says what happened.
func updateUser(ctx context.Context, e env, cmd, name string, c access.UserChange) error {
	return withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(a *app.App) error {
		u, err := a.Store.UserByUsername(ctx, name)
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("%s: no user named %q", cmd, name)
		}
		if err != nil {
			return err
		}
		up, err := a.Access.UpdateUser(ctx, actor(e), u.ID, c)
		switch {
		case errors.Is(err, access.ErrNothingChanged):
			fmt.Fprintf(e.stdout, "%s: nothing to change\n", u.Username)
			return nil
		case errors.Is(err, domain.ErrLastAdmin):
			return fmt.Errorf("%s: %s is the last enabled admin; make another user an admin first", cmd, u.Username)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "%s; ended %d session(s)\n", describeUserUpdate(up), up.Revoked)
		return nil
	})
}

func describeUserUpdate(up domain.UserUpdate) string {
	n := up.After.Username
	switch {
	case up.Before.Role != up.After.Role:
		return fmt.Sprintf("role of %s changed from %s to %s", n, up.Before.Role, up.After.Role)
	case up.Before.Disabled != up.After.Disabled && up.After.Disabled:
		return n + " disabled"
	case up.Before.Disabled != up.After.Disabled:
		return n + " enabled"
	}
	return "password of " + n + " changed"
}

// sessionKeysCmd is `ccsub session-keys rotate`.
func sessionKeysCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("session-keys: want a subcommand: rotate")
	}
	fs := flag.NewFlagSet("session-keys rotate", flag.ContinueOnError)
	if err := parseFlags(fs, args[1:], e); err != nil {
		return err
	}
	return withApp(ctx, e, app.OpenOptions{}, func(a *app.App) error {
		n, err := a.Access.RotateSessionKeys(ctx)
		if err != nil {
			return fmt.Errorf("session-keys rotate: %w", err)
		}
		fmt.Fprintf(e.stdout, "added a new session key; %d kept (the newest signs cookies, all verify them).\n"+
			"Running ccsub processes sign with the new key after a restart; sessions stay signed in.\n", n)
		return nil
	})
}
