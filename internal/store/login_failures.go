package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoginLimits is a sliding-window throttle on failed sign-ins: at most
// PerAccount failures for one user name and PerAddress failures from one
// source address within Window.
type LoginLimits struct {
	PerAccount int
	PerAddress int
	Window     time.Duration
}

// BeginLoginAttempt counts a sign-in attempt as a failure before the
// password is checked, then says how long sign-ins for username or from addr
// are refused (zero: go ahead). Counting first closes a race: a burst of
// parallel guesses cannot all pass the check before any of them is
// recorded, because the k-th attempt to be stored sees the k-1 before it.
// A refused (throttled) attempt is not counted, so waiting out the throttle
// works even while someone keeps trying; a successful sign-in is forgiven
// with LoginSucceeded, which needs the attempt id returned.
//
// The user name is stored lower-cased as typed: it may name no account, and
// is still counted so that guessing names costs the same as guessing
// passwords. The wait lasts until fewer failures than the limit remain in
// the window, that is until the limit-th most recent one leaves it; it is
// computed on the database's clock, shared by every process.
func (s *Store) BeginLoginAttempt(ctx context.Context, username, addr string, l LoginLimits) (id int64, wait time.Duration, err error) {
	err = s.db.QueryRow(ctx, `INSERT INTO login_failures (username, source_addr) VALUES (lower($1), $2) RETURNING id`,
		username, addr).Scan(&id)
	if err != nil {
		return 0, 0, fmt.Errorf("store.BeginLoginAttempt: %w", err)
	}
	wait, err = s.loginWait(ctx, id, username, addr, l)
	if err == nil && wait > 0 {
		_, err = s.db.Exec(ctx, `DELETE FROM login_failures WHERE id = $1`, id)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("store.BeginLoginAttempt: %w", err)
	}
	return id, wait, nil
}

// loginWait is the longer of the account's and the address's waits, not
// counting the attempt itself.
func (s *Store) loginWait(ctx context.Context, own int64, username, addr string, l LoginLimits) (time.Duration, error) {
	var secs float64
	err := s.db.QueryRow(ctx, `SELECT greatest(
		coalesce((SELECT extract(epoch FROM at + make_interval(secs => $4) - now()) FROM login_failures
			WHERE username = lower($2) AND at > now() - make_interval(secs => $4) AND id <> $1
			ORDER BY at DESC OFFSET $5 LIMIT 1), 0),
		coalesce((SELECT extract(epoch FROM at + make_interval(secs => $4) - now()) FROM login_failures
			WHERE source_addr = $3 AND at > now() - make_interval(secs => $4) AND id <> $1
			ORDER BY at DESC OFFSET $6 LIMIT 1), 0))::float8`,
		own, username, addr, l.Window.Seconds(), l.PerAccount-1, l.PerAddress-1).Scan(&secs)
	return time.Duration(math.Ceil(secs * float64(time.Second))), err
}

// LoginSucceeded un-counts a successful attempt and forgives the account's
// earlier failures. Those failures are detached from the account but still
// count for their source addresses: otherwise one valid account would let
// an attacker reset their address's count at will.
func (s *Store) LoginSucceeded(ctx context.Context, attempt int64, username string) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE id = $1`, attempt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE login_failures SET username = '' WHERE username = lower($1)`, username)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.LoginSucceeded: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes failures older than age (longer than any
// throttle window), which no longer count.
func (s *Store) PruneLoginFailures(ctx context.Context, age time.Duration) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM login_failures WHERE at < now() - make_interval(secs => $1)`, age.Seconds())
	if err != nil {
		return 0, fmt.Errorf("store.PruneLoginFailures: %w", err)
	}
	return tag.RowsAffected(), nil
}
