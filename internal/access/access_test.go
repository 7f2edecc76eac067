package access_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"ccsub/internal/access"
	"ccsub/internal/apptest"
	"ccsub/internal/audit"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newService(t *testing.T) (*access.Service, *store.Store) {
	t.Helper()
	keys, err := secret.ParseKeys(apptest.Key)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(dbtest.Pool(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return access.New(st, audit.New(st, log), keys, log, access.Options{}), st
}

// count is how many audit entries of the action name the target.
func count(t *testing.T, st *store.Store, action domain.AuditAction, name string) int {
	t.Helper()
	page, err := st.ListAudit(context.Background(), domain.AuditFilter{Action: action}, domain.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range page.Entries {
		if e.TargetName == name || e.Actor == name {
			n++
		}
	}
	return n
}

var who = domain.Actor{Name: "tester", Addr: "192.0.2.1"}

func TestUsersAreChangedWithExactlyOneAuditEntryEach(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	name := apptest.Uniq("user")
	u, err := s.CreateUser(ctx, who, access.NewUser{Username: name, Role: domain.RoleOperator, Password: apptest.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a taken name, in any letter case, is refused and not audited", func(t *testing.T) {
		_, err := s.CreateUser(ctx, who, access.NewUser{Username: strings.ToUpper(name), Role: domain.RoleAuditor, Password: apptest.TestPassword})
		if !errors.Is(err, access.ErrUsernameTaken) {
			t.Fatalf("err %v, want ErrUsernameTaken", err)
		}
		if n := count(t, st, domain.AuditUserCreate, name); n != 1 {
			t.Errorf("%d create entries, want 1", n)
		}
	})
	t.Run("a change to what is stored already changes and audits nothing", func(t *testing.T) {
		role := domain.RoleOperator
		if _, err := s.UpdateUser(ctx, who, u.ID, access.UserChange{Role: &role}); !errors.Is(err, access.ErrNothingChanged) {
			t.Fatalf("err %v, want ErrNothingChanged", err)
		}
		if n := count(t, st, domain.AuditUserUpdate, name); n != 0 {
			t.Errorf("%d update entries, want 0", n)
		}
	})
	t.Run("a new password is hashed, audited as a marker and works at once", func(t *testing.T) {
		up, err := s.UpdateUser(ctx, who, u.ID, access.UserChange{Password: "another long password"})
		if err != nil || up.After.PasswordHash == up.Before.PasswordHash || strings.Contains(up.After.PasswordHash, "another") {
			t.Fatalf("update %+v, %v", up, err)
		}
		if _, _, err := s.SignIn(ctx, who, name, "another long password", ""); err != nil {
			t.Errorf("sign-in with the new password: %v", err)
		}
	})
}

func TestSignInsAreRefusedAlikeThenThrottled(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, who, access.NewUser{Username: apptest.Uniq("user"), Role: domain.RoleAuditor, Password: apptest.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	from := domain.Actor{Addr: "192.0.2.77"}
	for i := range 5 {
		if _, _, err := s.SignIn(ctx, from, u.Username, "wrong password "+string(rune('a'+i)), ""); !errors.Is(err, access.ErrRefused) {
			t.Fatalf("attempt %d: err %v, want ErrRefused", i+1, err)
		}
	}
	_, _, err = s.SignIn(ctx, from, u.Username, apptest.TestPassword, "")
	var th *access.Throttled
	if !errors.As(err, &th) || th.Wait <= 0 {
		t.Fatalf("the right password after 5 failures: err %v, want *Throttled", err)
	}
	if n := count(t, st, domain.AuditLoginFailed, u.Username); n != 6 {
		t.Errorf("%d failed sign-ins audited, want 6", n)
	}
}

func TestASessionLivesUntilItsUserSignsOut(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, who, access.NewUser{Username: apptest.Uniq("user"), Role: domain.RoleAdmin, Password: apptest.TestPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := s.SignIn(ctx, who, u.Username, apptest.TestPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.SessionUser(ctx, token); err != nil || !ok || got.ID != u.ID {
		t.Fatalf("session user = %+v, %v, %v", got, ok, err)
	}
	if err := s.SignOut(ctx, who, &u, token); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.SessionUser(ctx, token); err != nil || ok {
		t.Errorf("after sign-out: ok %v, err %v; want no session", ok, err)
	}
}

func TestATokenWorksUntilRevokedOnce(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	tok, plain, err := s.IssueToken(ctx, who, access.NewToken{Name: apptest.Uniq("script"), Role: domain.RoleOperator, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Authenticate(ctx, plain); err != nil || got.ID != tok.ID || got.CreatedBy != "tester" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	if _, err := s.RevokeToken(ctx, who, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeToken(ctx, who, tok.ID); !errors.Is(err, access.ErrAlreadyRevoked) {
		t.Errorf("second revoke: err %v, want ErrAlreadyRevoked", err)
	}
	if _, err := s.Authenticate(ctx, plain); !errors.Is(err, access.ErrBadToken) {
		t.Errorf("revoked token: err %v, want ErrBadToken", err)
	}
	if n := count(t, st, domain.AuditTokenRevoke, tok.Name); n != 1 {
		t.Errorf("%d revoke entries, want 1", n)
	}
}
