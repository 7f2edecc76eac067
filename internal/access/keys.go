package access

import (
	"context"
	"crypto/rand"
	"fmt"

	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// keepSessionKeys is how many keys before the newest stay after a
// rotation: cookies signed with them keep verifying until they expire.
const keepSessionKeys = 2

// SessionKeys opens the database's shared cookie keys (creating the first
// on a new database) as gorilla hash/block key pairs, newest first.
func (s *Service) SessionKeys(ctx context.Context) ([][]byte, error) {
	sealed, err := s.store.SessionKeys(ctx, func() ([]byte, error) {
		raw := make([]byte, 64)
		_, _ = rand.Read(raw)
		return s.keys.Seal(raw, secret.PurposeSessionKey)
	})
	if err != nil {
		return nil, err
	}
	var pairs [][]byte
	for _, v := range sealed {
		raw, err := s.keys.Open(v, secret.PurposeSessionKey)
		if err != nil {
			return nil, fmt.Errorf("open a session key (was CCSUB_SECRET_KEY changed?): %w", err)
		}
		pairs = append(pairs, raw[:32], raw[32:64])
	}
	return pairs, nil
}

// RotateSessionKeys adds a new newest cookie key and returns how many are
// kept. It first opens the keys already stored, so a rotation with the
// wrong CCSUB_SECRET_KEY is refused instead of leaving keys no process can
// open.
func (s *Service) RotateSessionKeys(ctx context.Context) (int, error) {
	if _, err := s.SessionKeys(ctx); err != nil {
		return 0, err
	}
	raw := make([]byte, 64)
	_, _ = rand.Read(raw)
	sealed, err := s.keys.Seal(raw, secret.PurposeSessionKey)
	if err != nil {
		return 0, err
	}
	return s.store.RotateSessionKeys(ctx, sealed, keepSessionKeys)
}

// sealedPurposes binds each sealed column to the purpose its values were
// sealed for (the purpose is authenticated, so it must match).
var sealedPurposes = map[store.SealedColumn]string{
	store.SealedGatewayPasswords:  secret.PurposeGatewayPassword,
	store.SealedSubscriptionToken: secret.PurposeServiceToken,
	store.SealedCallTokens:        secret.PurposeServiceToken,
	store.SealedSessionKeys:       secret.PurposeSessionKey,
}

// ColumnRotation is what re-sealing did to one column.
type ColumnRotation struct {
	Column store.SealedColumn
	Stats  store.ResealStats
	Left   int64 // values still sealed with another key
}

// Rotation is the result of RotateSecrets.
type Rotation struct {
	Columns   []ColumnRotation
	Failed    int64 // values no configured key could open
	Remaining int64 // values still sealed with another key
}

// RotateSecrets re-seals every sealed column with the keyring's primary
// key, batch rows per transaction, then counts what is still sealed with
// another key: only zero everywhere makes the older keys removable. The
// run is audited with its counts.
func (s *Service) RotateSecrets(ctx context.Context, who domain.Actor, batch int) (Rotation, error) {
	prefix := s.keys.PrimaryPrefix()
	var rot Rotation
	diff := map[string]domain.FieldChange{}
	for _, col := range store.SealedColumns {
		purpose := sealedPurposes[col]
		stats, err := s.store.Reseal(ctx, col, prefix, batch, func(v []byte) ([]byte, error) { return s.keys.Reseal(v, purpose) })
		if err != nil {
			return rot, err
		}
		left, err := s.store.CountNotSealedWith(ctx, col, prefix)
		if err != nil {
			return rot, err
		}
		rot.Columns = append(rot.Columns, ColumnRotation{Column: col, Stats: stats, Left: left})
		diff[string(col)] = domain.FieldChange{Before: stats.Resealed + stats.Failures + stats.Skipped, After: left}
		rot.Failed, rot.Remaining = rot.Failed+int64(stats.Failures), rot.Remaining+left
	}
	outcome := "success"
	if rot.Remaining > 0 {
		outcome = "failure"
	}
	entry := domain.AuditEntry{Action: domain.AuditSecretsRotate, TargetType: domain.TargetSecretKey,
		TargetID: s.keys.PrimaryID(), TargetName: "CCSUB_SECRET_KEY", Outcome: outcome, Diff: diff}
	if err := s.audit.Change(ctx, who, func(*store.Store) (domain.AuditEntry, error) { return entry, nil }); err != nil {
		return rot, fmt.Errorf("audit: %w", err)
	}
	return rot, nil
}
