package store_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func newSessionID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

func newUser(t *testing.T, s *store.Store, role domain.Role) domain.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), unique("user"), role, "$argon2id$hash")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// newSession signs u in for an hour with an idle limit of 30 minutes.
func newSession(t *testing.T, s *store.Store, u domain.User, replaces string) string {
	t.Helper()
	return newSessionIdle(t, s, u, replaces, 30*time.Minute)
}

func newSessionIdle(t *testing.T, s *store.Store, u domain.User, replaces string, idle time.Duration) string {
	t.Helper()
	id := newSessionID()
	err := s.CreateSession(t.Context(), domain.NewSession{ID: id, UserID: u.ID, Lifetime: time.Hour, IdleLimit: idle,
		SourceAddr: "192.0.2.7", UserAgent: "test agent"}, replaces)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// exec runs SQL behind the store's back, to put a row in a state that
// would otherwise need waiting.
func exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := dbtest.Pool(t).Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func TestSessionUserFindsOnlyLiveSessions(t *testing.T) {
	s := newStore(t) // sessions have an idle limit of 30 minutes
	tests := []struct {
		name  string
		setup func(t *testing.T, u domain.User, id string)
		live  bool
	}{
		{"a fresh session belongs to its user", func(*testing.T, domain.User, string) {}, true},
		{"a session past its absolute expiry is gone",
			func(t *testing.T, _ domain.User, id string) {
				exec(t, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, id)
			}, false},
		{"a session idle for longer than the limit is gone",
			func(t *testing.T, _ domain.User, id string) {
				exec(t, `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1`, id)
			}, false},
		{"a session seen just within the idle limit lives",
			func(t *testing.T, _ domain.User, id string) {
				exec(t, `UPDATE sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = $1`, id)
			}, true},
		{"a session of a disabled user is gone",
			func(t *testing.T, u domain.User, _ string) {
				exec(t, `UPDATE users SET disabled = true WHERE id = $1`, u.ID)
			}, false},
		{"a deleted session is gone",
			func(t *testing.T, _ domain.User, id string) {
				if err := s.DeleteSession(t.Context(), id); err != nil {
					t.Fatal(err)
				}
			}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser(t, s, domain.RoleOperator)
			id := newSession(t, s, u, "")
			tt.setup(t, u, id)
			got, _, err := s.SessionUser(t.Context(), id)
			if tt.live && (err != nil || got.ID != u.ID || got.Username != u.Username || got.Role != u.Role) {
				t.Fatalf("got %+v, %v; want user %d", got, err, u.ID)
			}
			if !tt.live {
				wantErr(t, err, domain.ErrNotFound)
			}
		})
	}
	t.Run("an unknown session id is not found", func(t *testing.T) {
		_, _, err := s.SessionUser(t.Context(), newSessionID())
		wantErr(t, err, domain.ErrNotFound)
	})
}

func TestSessionActivityIsRecordedAtMostOnceAMinute(t *testing.T) {
	s := newStore(t)
	u := newUser(t, s, domain.RoleAuditor)
	id := newSession(t, s, u, "")
	if _, stale, err := s.SessionUser(t.Context(), id); err != nil || stale {
		t.Fatalf("fresh session: stale %v, %v; want not stale", stale, err)
	}
	exec(t, `UPDATE sessions SET last_seen_at = now() - interval '90 seconds' WHERE id = $1`, id)
	if _, stale, err := s.SessionUser(t.Context(), id); err != nil || !stale {
		t.Fatalf("session seen 90 s ago: stale %v, %v; want stale", stale, err)
	}
	if err := s.TouchSession(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if _, stale, err := s.SessionUser(t.Context(), id); err != nil || stale {
		t.Fatalf("after a touch: stale %v, %v; want not stale", stale, err)
	}
}

func TestCreatingASessionDeletesTheOneItReplaces(t *testing.T) {
	s := newStore(t)
	u := newUser(t, s, domain.RoleOperator)
	old := newSession(t, s, u, "")
	other := newSession(t, s, u, "")
	fresh := newSession(t, s, u, old)
	if _, _, err := s.SessionUser(t.Context(), old); err == nil {
		t.Error("the replaced session still works")
	}
	for _, id := range []string{other, fresh} {
		if _, _, err := s.SessionUser(t.Context(), id); err != nil {
			t.Errorf("session %.8s…: %v; want it alive", id, err)
		}
	}
	var addr, agent string
	err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT source_addr, user_agent FROM sessions WHERE id = $1`, fresh).Scan(&addr, &agent)
	if err != nil || addr != "192.0.2.7" || agent != "test agent" {
		t.Errorf("stored %q, %q, %v; want the source address and user agent", addr, agent, err)
	}
}

func TestDeleteUserSessionsEndsOnlyThatUsersSessions(t *testing.T) {
	s := newStore(t)
	u, v := newUser(t, s, domain.RoleOperator), newUser(t, s, domain.RoleOperator)
	newSession(t, s, u, "")
	newSession(t, s, u, "")
	keep := newSession(t, s, v, "")
	n, err := s.DeleteUserSessions(t.Context(), u.ID)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want 2", n, err)
	}
	if _, _, err := s.SessionUser(t.Context(), keep); err != nil {
		t.Errorf("another user's session was ended: %v", err)
	}
}

func TestPruneSessionsDeletesOnlyUnusableOnes(t *testing.T) {
	s := newStore(t)
	u := newUser(t, s, domain.RoleOperator)
	live, expired, idle := newSession(t, s, u, ""), newSession(t, s, u, ""), newSession(t, s, u, "")
	exec(t, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, expired)
	exec(t, `UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, idle)
	if _, err := s.PruneSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	rows, _ := dbtest.Pool(t).Query(t.Context(), `SELECT id FROM sessions WHERE user_id = $1`, u.ID)
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	if rows.Err() != nil || len(ids) != 1 || ids[0] != live {
		t.Errorf("left %d sessions (%v); want only the live one", len(ids), rows.Err())
	}
}

func TestListUsersCountsOnlyUsableSessions(t *testing.T) {
	s := newStore(t)
	u := newUser(t, s, domain.RoleAuditor)
	newSession(t, s, u, "")
	newSession(t, s, u, "")
	stale := newSession(t, s, u, "")
	exec(t, `UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE id = $1`, stale)
	list, err := s.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range list {
		if got.ID == u.ID {
			if got.ActiveSessions != 2 || got.Username != u.Username || got.Role != domain.RoleAuditor {
				t.Errorf("listed %+v; want 2 active sessions", got)
			}
			return
		}
	}
	t.Errorf("user %s not listed", u.Username)
}

func TestRotateSessionKeysKeepsTheNewestThree(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s := store.New(pool)
	first, err := s.SessionKeys(t.Context(), func() ([]byte, error) { return []byte("key-0"), nil })
	if err != nil || len(first) != 1 {
		t.Fatalf("first keys %q, %v", first, err)
	}
	for i, want := range []int{2, 3, 3, 3} {
		n, err := s.RotateSessionKeys(t.Context(), []byte{'k', 'e', 'y', '-', byte('1' + i)}, 2)
		if err != nil || n != want {
			t.Fatalf("rotation %d: %d keys, %v; want %d", i+1, n, err, want)
		}
	}
	keys, err := s.SessionKeys(t.Context(), func() ([]byte, error) { t.Fatal("created a key"); return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, string(k))
	}
	if len(got) != 3 || got[0] != "key-4" || got[1] != "key-3" || got[2] != "key-2" {
		t.Errorf("keys %q; want key-4, key-3, key-2 (newest first)", got)
	}
}

// Each session keeps the idle limit it was signed in with: lookups and
// pruning judge it by that limit, never by a caller's setting.
func TestEachSessionIsJudgedByItsOwnIdleLimit(t *testing.T) {
	s := newStore(t)
	u := newUser(t, s, domain.RoleOperator)
	long := newSessionIdle(t, s, u, "", 2*time.Hour)
	short := newSessionIdle(t, s, u, "", 5*time.Minute)
	exec(t, `UPDATE sessions SET last_seen_at = now() - interval '1 hour' WHERE id = ANY($1)`, []string{long, short})
	if _, _, err := s.SessionUser(t.Context(), long); err != nil {
		t.Errorf("a session idle for 1 hour of its 2: %v; want it alive", err)
	}
	_, _, err := s.SessionUser(t.Context(), short)
	wantErr(t, err, domain.ErrNotFound)
	list, err := s.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range list {
		if got.ID == u.ID && got.ActiveSessions != 1 {
			t.Errorf("listed %d active sessions, want 1", got.ActiveSessions)
		}
	}
	if _, err := s.PruneSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT array_agg(id) FROM sessions WHERE user_id = $1`, u.ID).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != long {
		t.Errorf("pruning left %d sessions; want only the one within its own limit", len(left))
	}
	var limit time.Duration
	if err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT idle_limit FROM sessions WHERE id = $1`, long).Scan(&limit); err != nil || limit != 2*time.Hour {
		t.Errorf("stored idle limit %s, %v; want 2h", limit, err)
	}
}
