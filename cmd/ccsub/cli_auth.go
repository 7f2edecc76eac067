package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/server"
	"ccsub/internal/store"
)

// keepSessionKeys is how many keys before the newest stay after a
// rotation: cookies signed with them keep verifying until they expire.
const keepSessionKeys = 2

// cliActor names the command line in the audit trail: the operating
// system user who ran it, when the environment says.
func cliActor(e env) string {
	if u := e.getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

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
	return updateUserCLI(ctx, e, "user set-role", *name, domain.UserChange{Role: &r})
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
	return updateUserCLI(ctx, e, "user "+verb, *name, domain.UserChange{Disabled: &disabled})
}

// updateUserCLI applies a change to the named user, which ends all of the
// user's sessions, audits it and says what happened.
func updateUserCLI(ctx context.Context, e env, cmd, name string, c domain.UserChange) error {
	return withStoreTx(ctx, e, func(st *store.Store) error {
		u, err := st.UserByUsername(ctx, name)
		if errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("%s: no user named %q", cmd, name)
		}
		if err != nil {
			return err
		}
		up, err := st.UpdateUser(ctx, u.ID, c)
		if errors.Is(err, domain.ErrLastAdmin) {
			return fmt.Errorf("%s: %s is the last enabled admin; make another user an admin first", cmd, u.Username)
		}
		if err != nil {
			return err
		}
		if up.Before == up.After {
			fmt.Fprintf(e.stdout, "%s: nothing to change\n", u.Username)
			return nil
		}
		if err := auditCLI(ctx, e, st, domain.AuditEntry{Action: domain.AuditUserUpdate, TargetType: domain.TargetUser,
			TargetID: strconv.FormatInt(u.ID, 10), TargetName: u.Username, Diff: userDiff(up)}); err != nil {
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

// userDiff is the audit diff of a user change; a new password appears only
// as a marker.
func userDiff(up domain.UserUpdate) map[string]domain.FieldChange {
	d := map[string]domain.FieldChange{}
	if up.Before.Role != up.After.Role {
		d["role"] = domain.FieldChange{Before: string(up.Before.Role), After: string(up.After.Role)}
	}
	if up.Before.Disabled != up.After.Disabled {
		d["disabled"] = domain.FieldChange{Before: up.Before.Disabled, After: up.After.Disabled}
	}
	if up.Before.PasswordHash != up.After.PasswordHash {
		d["password"] = domain.FieldChange{Before: server.SecretUnchanged, After: server.SecretChanged}
	}
	return d
}

// auditCLI appends the audit entry of a command-line change. Commands run
// it inside withStoreTx, so a change is never committed without its entry.
func auditCLI(ctx context.Context, e env, st *store.Store, entry domain.AuditEntry) error {
	entry.Actor, entry.SourceAddr = cliActor(e), "local"
	if _, err := st.AppendAudit(ctx, entry); err != nil {
		return fmt.Errorf("write the audit entry (nothing was changed): %w", err)
	}
	return nil
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
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	keys, _, err := secret.LoadOrCreate(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	return withStore(ctx, e, func(st *store.Store) error { return rotateSessionKeys(ctx, e, st, keys) })
}

// rotateSessionKeys adds a new newest cookie key. It first opens the keys
// already stored, so a rotation with the wrong CCSUB_SECRET_KEY is refused
// instead of leaving keys no process can open.
func rotateSessionKeys(ctx context.Context, e env, st *store.Store, keys *secret.Keyring) error {
	if _, err := sessionKeys(ctx, st, keys); err != nil {
		return fmt.Errorf("session-keys rotate: %w", err)
	}
	raw := make([]byte, 64)
	_, _ = rand.Read(raw)
	sealed, err := keys.Seal(raw, sessionPurpose)
	if err != nil {
		return err
	}
	n, err := st.RotateSessionKeys(ctx, sealed, keepSessionKeys)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added a new session key; %d kept (the newest signs cookies, all verify them).\n"+
		"Running ccsub processes sign with the new key after a restart; sessions stay signed in.\n", n)
	return nil
}
