package store_test

import (
	"errors"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

func TestCreateUser(t *testing.T) {
	s := newStore(t)
	name := unique("Alice")
	u, err := s.CreateUser(t.Context(), name, domain.RoleOperator, "$argon2id$hash")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.Username != name || u.Role != domain.RoleOperator ||
		u.PasswordHash != "$argon2id$hash" || u.Disabled || u.CreatedAt.IsZero() {
		t.Fatalf("created user = %+v", u)
	}

	tests := []struct {
		name     string
		username string
		role     domain.Role
		want     error
	}{
		{"the same name is a conflict", name, domain.RoleAdmin, domain.ErrConflict},
		{"the same name in other case is a conflict", strings.ToUpper(name), domain.RoleAdmin, domain.ErrConflict},
		{"an unknown role is refused but is no conflict", unique("bob"), domain.Role("root"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(t.Context(), tt.username, tt.role, "h")
			if err == nil {
				t.Fatal("created, want an error")
			}
			if tt.want != nil {
				wantErr(t, err, tt.want)
			} else if errors.Is(err, domain.ErrConflict) {
				t.Fatalf("got %v, want an error other than a conflict", err)
			}
		})
	}
}

func TestUserLookups(t *testing.T) {
	s := newStore(t)
	name := unique("Carol")
	created, err := s.CreateUser(t.Context(), name, domain.RoleAuditor, "h")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("by username ignores case", func(t *testing.T) {
		u, err := s.UserByUsername(t.Context(), strings.ToUpper(name))
		if err != nil || u != created {
			t.Fatalf("got %+v, %v; want %+v", u, err, created)
		}
	})
	t.Run("by id finds the user", func(t *testing.T) {
		u, err := s.UserByID(t.Context(), created.ID)
		if err != nil || u != created {
			t.Fatalf("got %+v, %v; want %+v", u, err, created)
		}
	})
	t.Run("an unknown username is not found", func(t *testing.T) {
		_, err := s.UserByUsername(t.Context(), unique("nobody"))
		wantErr(t, err, domain.ErrNotFound)
	})
	t.Run("an unknown id is not found", func(t *testing.T) {
		_, err := s.UserByID(t.Context(), -1)
		wantErr(t, err, domain.ErrNotFound)
	})
}

func TestCountUsersCountsEachNewUser(t *testing.T) {
	s := newStore(t)
	before, err := s.CountUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.CreateUser(t.Context(), unique("dave"), domain.RoleOperator, "h"); err != nil {
			t.Fatal(err)
		}
	}
	after, err := s.CountUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 2 {
		t.Fatalf("count went from %d to %d, want 2 more", before, after)
	}
}
