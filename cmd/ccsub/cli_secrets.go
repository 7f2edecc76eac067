package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
)

// sealedPurposes binds each sealed column to the purpose its values were
// sealed for (the purpose is authenticated, so it must match).
var sealedPurposes = map[store.SealedColumn]string{
	store.SealedGatewayPasswords:  subscribe.PurposeGatewayPassword,
	store.SealedSubscriptionToken: subscribe.PurposeServiceToken,
	store.SealedCallTokens:        subscribe.PurposeServiceToken,
	store.SealedSessionKeys:       sessionPurpose,
}

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
	return withStore(ctx, e, func(st *store.Store) error {
		return rotate(ctx, e, st, keys, *batch)
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

// rotate re-seals every column, then counts what is still sealed with
// another key: only zero everywhere makes the older keys removable.
func rotate(ctx context.Context, e env, st *store.Store, keys *secret.Keyring, batch int) error {
	prefix := keys.PrimaryPrefix()
	fmt.Fprintf(e.stdout, "re-sealing with key %s\n", keys.PrimaryID())
	diff := map[string]domain.FieldChange{}
	var failed, remaining int64
	for _, col := range store.SealedColumns {
		purpose := sealedPurposes[col]
		stats, err := st.Reseal(ctx, col, prefix, batch, func(v []byte) ([]byte, error) { return keys.Reseal(v, purpose) })
		if err != nil {
			return fmt.Errorf("secrets rotate: %w", err)
		}
		left, err := st.CountNotSealedWith(ctx, col, prefix)
		if err != nil {
			return fmt.Errorf("secrets rotate: %w", err)
		}
		printStats(e, col, stats, left)
		diff[string(col)] = domain.FieldChange{Before: stats.Resealed + stats.Failures + stats.Skipped, After: left}
		failed, remaining = failed+int64(stats.Failures), remaining+left
	}
	outcome := "success"
	if remaining > 0 {
		outcome = "failure"
	}
	entry := domain.AuditEntry{Actor: cliActor(e), Action: domain.AuditSecretsRotate, TargetType: domain.TargetSecretKey,
		TargetID: keys.PrimaryID(), TargetName: "CCSUB_SECRET_KEY", Outcome: outcome, Diff: diff}
	if _, err := st.AppendAudit(ctx, entry); err != nil {
		return fmt.Errorf("secrets rotate: audit: %w", err)
	}
	return rotationVerdict(e, keys, failed, remaining)
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
