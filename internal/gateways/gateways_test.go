package gateways_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/audit"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gateways"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// forgotten records which gateways' cached logins were dropped.
type forgotten []int64

func (f *forgotten) Forget(id int64) { *f = append(*f, id) }

func newService(t *testing.T) (*gateways.Service, *store.Store, *forgotten) {
	t.Helper()
	keys, err := secret.ParseKeys(apptest.Key)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(dbtest.Pool(t))
	f := &forgotten{}
	return gateways.New(st, audit.New(st, slog.New(slog.NewTextHandler(io.Discard, nil))), keys, f), st, f
}

// entries are the audit entries of one gateway, newest first.
func entries(t *testing.T, st *store.Store, id int64) []domain.AuditEntry {
	t.Helper()
	page, err := st.ListAudit(context.Background(), domain.AuditFilter{TargetType: domain.TargetGateway, TargetID: audit.ID(id)},
		domain.PageRequest{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}

var who = domain.Actor{Name: "tester", Addr: "local"}

func TestASavedGatewayCommitsWithItsAuditEntry(t *testing.T) {
	s, st, forgot := newService(t)
	ctx := context.Background()
	in := gateways.Input{Name: apptest.Uniq("gw"), BaseURL: "https://10.1.2.3:8043", AgentID: 100001, Password: "first-password"}
	g, err := s.Create(ctx, who, in)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a new gateway is audited with its password only as a marker", func(t *testing.T) {
		es := entries(t, st, g.ID)
		if len(es) != 1 || es[0].Action != domain.AuditGatewayCreate || es[0].Actor != "tester" ||
			es[0].Diff["password"].After != audit.SecretChanged || es[0].Diff["caFingerprint"].After != "system roots" {
			t.Fatalf("entries %+v", es)
		}
	})
	t.Run("an edit without a password keeps the stored one", func(t *testing.T) {
		in.BaseURL, in.Password = "https://10.1.2.4:8043", ""
		up, err := s.Update(ctx, who, g.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := s.RevealPassword(ctx, who, up); err != nil || plain != "first-password" {
			t.Fatalf("password after the edit = %q, %v", plain, err)
		}
		if es := entries(t, st, g.ID); es[1].Diff["password"].After != audit.SecretUnchanged || es[1].Diff["baseUrl"].After != in.BaseURL {
			t.Errorf("update entry %+v", es[1])
		}
	})
	t.Run("every save drops the client's cached login", func(t *testing.T) {
		if slices.Index(*forgot, g.ID) < 0 || len(*forgot) != 2 {
			t.Errorf("forgotten %v, want gateway %d twice", *forgot, g.ID)
		}
	})
	t.Run("a taken name is ErrNameTaken, a conflict, and writes nothing", func(t *testing.T) {
		before := len(entries(t, st, g.ID))
		_, err := s.Create(ctx, who, gateways.Input{Name: in.Name, BaseURL: "https://10.9.9.9:8043", AgentID: 1, Password: "x"})
		if !errors.Is(err, gateways.ErrNameTaken) || !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("err %v, want ErrNameTaken", err)
		}
		if after := len(entries(t, st, g.ID)); after != before {
			t.Errorf("%d entries after the refused create, want %d", after, before)
		}
	})
}

func TestARevealIsAuditedEvenWhenItFails(t *testing.T) {
	s, st, _ := newService(t)
	ctx := context.Background()
	g, err := s.Create(ctx, who, gateways.Input{Name: apptest.Uniq("gw"), BaseURL: "https://10.1.2.3:8043", AgentID: 1, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	g.PasswordSealed = []byte("not a sealed value")
	if _, err := s.RevealPassword(ctx, who, g); err == nil {
		t.Fatal("a damaged password was revealed")
	}
	es := entries(t, st, g.ID)
	if es[0].Action != domain.AuditSecretReveal || es[0].Outcome != "failure" || es[0].Diff["password"].After != audit.SecretRevealed {
		t.Errorf("newest entry %+v, want a failed reveal", es[0])
	}
}
