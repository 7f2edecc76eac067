package store_test

import (
	"sync"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func rolePtr(r domain.Role) *domain.Role { return &r }
func boolPtr(b bool) *bool               { return &b }

func TestUpdateUserChangesAndEndsEverySession(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name   string
		change domain.UserChange
		check  func(u domain.User) bool
	}{
		{"a new role", domain.UserChange{Role: rolePtr(domain.RoleAuditor)}, func(u domain.User) bool { return u.Role == domain.RoleAuditor }},
		{"disabling", domain.UserChange{Disabled: boolPtr(true)}, func(u domain.User) bool { return u.Disabled }},
		{"a new password", domain.UserChange{PasswordHash: "$argon2id$new"}, func(u domain.User) bool { return u.PasswordHash == "$argon2id$new" }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is stored and signs the user out everywhere", func(t *testing.T) {
			u := newUser(t, s, domain.RoleOperator)
			other := newUser(t, s, domain.RoleOperator)
			keep := newSession(t, s, other, "")
			newSession(t, s, u, "")
			newSession(t, s, u, "")
			up, err := s.UpdateUser(t.Context(), u.ID, tt.change)
			if err != nil {
				t.Fatal(err)
			}
			if up.Before != u || !tt.check(up.After) || up.Revoked != 2 {
				t.Fatalf("update %+v; want the change, the user before it and 2 sessions ended", up)
			}
			stored, err := s.UserByID(t.Context(), u.ID)
			if err != nil || stored != up.After {
				t.Errorf("stored %+v, %v; want %+v", stored, err, up.After)
			}
			if _, _, err := s.SessionUser(t.Context(), keep); err != nil {
				t.Errorf("another user's session was ended: %v", err)
			}
		})
	}
	t.Run("a change to what is already there changes nothing and ends no session", func(t *testing.T) {
		u := newUser(t, s, domain.RoleOperator)
		id := newSession(t, s, u, "")
		up, err := s.UpdateUser(t.Context(), u.ID, domain.UserChange{Role: rolePtr(domain.RoleOperator), Disabled: boolPtr(false)})
		if err != nil || up.Before != up.After || up.Revoked != 0 {
			t.Fatalf("update %+v, %v; want no change", up, err)
		}
		if _, _, err := s.SessionUser(t.Context(), id); err != nil {
			t.Errorf("the session ended: %v", err)
		}
	})
	t.Run("an unknown user is not found", func(t *testing.T) {
		_, err := s.UpdateUser(t.Context(), -1, domain.UserChange{Disabled: boolPtr(true)})
		wantErr(t, err, domain.ErrNotFound)
	})
}

func TestTheLastEnabledAdminCannotBeRemoved(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s := store.New(pool)
	admin := newUser(t, s, domain.RoleAdmin)
	disabledAdmin := newUser(t, s, domain.RoleAdmin)
	if _, err := s.UpdateUser(t.Context(), disabledAdmin.ID, domain.UserChange{Disabled: boolPtr(true)}); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	refused := []struct {
		name   string
		change domain.UserChange
	}{
		{"demoting the last enabled admin is refused", domain.UserChange{Role: rolePtr(domain.RoleOperator)}},
		{"disabling the last enabled admin is refused", domain.UserChange{Disabled: boolPtr(true)}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			id := newSession(t, s, admin, "")
			_, err := s.UpdateUser(t.Context(), admin.ID, tt.change)
			wantErr(t, err, domain.ErrLastAdmin)
			if got, _ := s.UserByID(t.Context(), admin.ID); got != admin {
				t.Errorf("stored %+v; want it unchanged", got)
			}
			if _, _, err := s.SessionUser(t.Context(), id); err != nil {
				t.Errorf("the refused change ended the session: %v", err)
			}
		})
	}
	t.Run("the last admin's password can still be reset", func(t *testing.T) {
		if _, err := s.UpdateUser(t.Context(), admin.ID, domain.UserChange{PasswordHash: "$argon2id$other"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("two admins demoting each other at once leave one admin", func(t *testing.T) {
		if _, err := s.UpdateUser(t.Context(), disabledAdmin.ID, domain.UserChange{Disabled: boolPtr(false)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []int64{admin.ID, disabledAdmin.ID} {
			wg.Go(func() {
				_, errs[i] = s.UpdateUser(t.Context(), id, domain.UserChange{Role: rolePtr(domain.RoleOperator)})
			})
		}
		wg.Wait()
		var admins int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&admins); err != nil {
			t.Fatal(err)
		}
		if admins != 1 {
			t.Errorf("%d enabled admins left (errors %v); want exactly 1", admins, errs)
		}
	})
}
