package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ccsub/internal/app"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

func secretsCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("secrets: want a subcommand: rotate")
	}
	fs := flag.NewFlagSet("secrets rotate", flag.ContinueOnError)
	batch := fs.Int("batch", 1000, "rows re-sealed per transaction")
	if err := parseFlags(fs, args[1:], e); err != nil {
		return err
	}
	if *batch < 1 || *batch > 100000 {
		return errors.New("secrets rotate: --batch must be between 1 and 100000")
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	keys, err := rotationKeys(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	return withApp(ctx, e, app.OpenOptions{Keys: keys}, func(a *app.App) error {
		return rotate(ctx, e, a, *batch)
	})
}

// rotationKeys loads the keyring without ever generating a key: rotating
// to a key nobody has saved would make every secret unreadable.
func rotationKeys(env, dataDir string) (*secret.Keyring, error) {
	if env == "" {
		if _, err := os.Stat(filepath.Join(dataDir, secret.KeyFile)); err != nil {
			return nil, errors.New("secrets rotate: no key configured: set CCSUB_SECRET_KEY=NEW,OLD (the new key first)")
		}
	}
	keys, _, err := secret.LoadOrCreate(env, dataDir)
	if err != nil {
		return nil, fmt.Errorf("secrets rotate: %w", err)
	}
	return keys, nil
}

// rotate re-seals every column and reports what is still sealed with
// another key: only zero everywhere makes the older keys removable.
func rotate(ctx context.Context, e env, a *app.App, batch int) error {
	fmt.Fprintf(e.stdout, "re-sealing with key %s\n", a.Keys.PrimaryID())
	rot, err := a.Access.RotateSecrets(ctx, actor(e), batch)
	for _, c := range rot.Columns {
		printStats(e, c.Column, c.Stats, c.Left)
	}
	if err != nil {
		return fmt.Errorf("secrets rotate: %w", err)
	}
	return rotationVerdict(e, a.Keys, rot.Failed, rot.Remaining)
}

func printStats(e env, col store.SealedColumn, s store.ResealStats, left int64) {
	fmt.Fprintf(e.stdout, "  %-28s %d re-sealed, %d changed meanwhile (left alone), %d unreadable, %d still on another key\n",
		col, s.Resealed, s.Skipped, s.Failures, left)
	if len(s.Failed) > 0 {
		fmt.Fprintf(e.stdout, "    unreadable rows (id): %s\n", strings.Join(s.Failed, ", "))
	}
}

// rotationVerdict tells the operator whether the older keys may go.
func rotationVerdict(e env, keys *secret.Keyring, failed, remaining int64) error {
	older := strings.Join(keys.OlderIDs(), ", ")
	switch {
	case remaining == 0 && older == "":
		fmt.Fprintf(e.stdout, "every sealed value uses key %s; nothing to rotate\n", keys.PrimaryID())
		return nil
	case remaining == 0:
		fmt.Fprintf(e.stdout, "every sealed value now uses key %s.\nThe older key(s) %s can be removed from CCSUB_SECRET_KEY once every ccsub process runs with the new key first.\n",
			keys.PrimaryID(), older)
		return nil
	case failed > 0:
		return fmt.Errorf("secrets rotate: %d value(s) could not be opened with any configured key (listed above); keep the older keys until they are dealt with", failed)
	}
	return fmt.Errorf("secrets rotate: %d value(s) are still sealed with another key: a ccsub process may still run with the old key first; restart every process with CCSUB_SECRET_KEY=NEW,OLD and run this again", remaining)
}
