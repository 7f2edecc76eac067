package store

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/domain"

	"github.com/jackc/pgx/v5"
)

// touchEvery bounds how often a session's last_seen_at is written: once a
// minute is precise enough for an idle limit of minutes, and spares the
// database a write on every page and asset.
const touchEvery = "1 minute"

// CreateSession stores a new session with its absolute lifetime and its
// idle limit, both its own from then on. When replaces is not empty, the
// session with that id (the one the browser presented) is deleted in the
// same transaction: a sign-in always starts a new session id, so a session
// id planted before sign-in is worthless after it.
func (s *Store) CreateSession(ctx context.Context, n domain.NewSession, replaces string) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if replaces != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, replaces); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, expires_at, idle_limit, source_addr, user_agent)
			VALUES ($1, $2, now() + make_interval(secs => $3), make_interval(secs => $4), $5, $6)`,
			n.ID, n.UserID, n.Lifetime.Seconds(), n.IdleLimit.Seconds(), n.SourceAddr, n.UserAgent)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.CreateSession user %d: %w", n.UserID, translate(err))
	}
	return nil
}

// SessionUser returns the user of a live session in one query: the session
// is before its absolute expiry, was seen within its own idle limit (the
// one stored at sign-in, whatever this process's setting), and its user is
// enabled; anything else is domain.ErrNotFound. stale reports that
// last_seen_at is old enough to be refreshed with TouchSession. Times are
// the database's, so processes with skewed clocks agree.
func (s *Store) SessionUser(ctx context.Context, id string) (u domain.User, stale bool, err error) {
	var l SessionLookup
	err = l.scan(s.db.QueryRow(ctx, sessionUserSQL, id))
	if err != nil {
		return domain.User{}, false, fmt.Errorf("store.SessionUser: %w", err)
	}
	if !l.Found {
		return domain.User{}, false, fmt.Errorf("store.SessionUser: %w", domain.ErrNotFound)
	}
	return l.User, l.Stale, nil
}

const sessionUserSQL = `SELECT u.id, u.username, u.role, u.password_hash, u.disabled, u.created_at, u.time_zone,
		s.last_seen_at < now() - interval '` + touchEvery + `'
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.id = $1 AND ` + sessionLive + ` AND NOT u.disabled`

// SessionLookup is a session's lookup (SessionUser's query) waiting to go
// to the database in the same round trip as a page's list query: a list
// method that finds one in its context sends both as one batch and fills
// it in (issue 10: one round trip per page). The caller must still decide
// who may see the page from it: the list rows are read before that.
type SessionLookup struct {
	ID    string      // the session's id (the hash of its token)
	Done  bool        // the query ran; the fields below hold its answer
	Found bool        // a live session of an enabled user
	User  domain.User // with the user's own time zone: a page needs it and it costs nothing here
	Stale bool        // last seen long enough ago to be touched
}

func (l *SessionLookup) scan(row pgx.Row) error {
	var r userRow
	err := row.Scan(&r.ID, &r.Username, &r.Role, &r.PasswordHash, &r.Disabled, &r.CreatedAt, &r.TimeZone, &l.Stale)
	if errors.Is(err, pgx.ErrNoRows) {
		*l = SessionLookup{ID: l.ID, Done: true}
		return nil
	}
	if err != nil {
		return translate(err)
	}
	l.Done, l.Found, l.User = true, true, r.domain()
	return nil
}

// WithSessionLookup returns ctx carrying l for the next list query.
func WithSessionLookup(ctx context.Context, l *SessionLookup) context.Context {
	return context.WithValue(ctx, sessionLookupKey{}, l)
}

// pendingLookup returns ctx's session lookup if it has not run yet.
func pendingLookup(ctx context.Context) *SessionLookup {
	l, _ := ctx.Value(sessionLookupKey{}).(*SessionLookup)
	if l == nil || l.Done {
		return nil
	}
	return l
}

type sessionLookupKey struct{}

// RunSessionLookup runs l on its own, for a page that read no list first.
func (s *Store) RunSessionLookup(ctx context.Context, l *SessionLookup) error {
	if err := l.scan(s.db.QueryRow(ctx, sessionUserSQL, l.ID)); err != nil {
		return fmt.Errorf("store.RunSessionLookup: %w", err)
	}
	return nil
}

// sessionLive is the condition on a sessions row "s" that it can still be
// used: before its absolute expiry and seen within its own idle limit.
const sessionLive = `s.expires_at > now() AND s.last_seen_at > now() - s.idle_limit`

// TouchSession records activity on a session, at most once a minute.
func (s *Store) TouchSession(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = now()
		WHERE id = $1 AND last_seen_at < now() - interval '`+touchEvery+`'`, id)
	if err != nil {
		return fmt.Errorf("store.TouchSession: %w", err)
	}
	return nil
}

// DeleteSession ends one session (sign-out). Deleting a session that does
// not exist is not an error: the outcome is the same.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store.DeleteSession: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user and says how many.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("store.DeleteUserSessions %d: %w", userID, err)
	}
	return tag.RowsAffected(), nil
}

// PruneSessions deletes sessions past their absolute expiry or idle for
// longer than their own idle limit; they can no longer be used, so this
// only saves space. Any process may run it: it ends no session that
// another process's SessionUser would still accept.
func (s *Store) PruneSessions(ctx context.Context) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions s WHERE NOT (`+sessionLive+`)`)
	if err != nil {
		return 0, fmt.Errorf("store.PruneSessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
