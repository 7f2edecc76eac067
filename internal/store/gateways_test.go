package store_test

import (
	"bytes"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

func gatewayInput(name string) domain.GatewayInput {
	return domain.GatewayInput{
		Name:           name,
		BaseURL:        "https://10.0.0.1:8043",
		AgentID:        7,
		PasswordSealed: []byte{1, 2, 3},
		CAPEM:          "-----BEGIN CERTIFICATE-----",
	}
}

func TestCreateGateway(t *testing.T) {
	s := newStore(t)
	in := gatewayInput(unique("Main"))
	g, err := s.CreateGateway(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == 0 || g.Name != in.Name || g.BaseURL != in.BaseURL || g.AgentID != 7 ||
		!bytes.Equal(g.PasswordSealed, in.PasswordSealed) || g.CAPEM != in.CAPEM ||
		g.CreatedAt.IsZero() || g.LastTestAt != nil || g.LastTestOutcome != "" {
		t.Fatalf("created gateway = %+v", g)
	}
	t.Run("a name taken in other case is a conflict", func(t *testing.T) {
		_, err := s.CreateGateway(t.Context(), gatewayInput(strings.ToLower(in.Name)))
		wantErr(t, err, domain.ErrConflict)
	})
	t.Run("it is found by id", func(t *testing.T) {
		got, err := s.Gateway(t.Context(), g.ID)
		if err != nil || got.Name != g.Name || !got.CreatedAt.Equal(g.CreatedAt) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("it is found by name in other case", func(t *testing.T) {
		got, err := s.GatewayByName(t.Context(), strings.ToUpper(in.Name))
		if err != nil || got.ID != g.ID {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("an unknown id is not found", func(t *testing.T) {
		_, err := s.Gateway(t.Context(), -1)
		wantErr(t, err, domain.ErrNotFound)
	})
	t.Run("an unknown name is not found", func(t *testing.T) {
		_, err := s.GatewayByName(t.Context(), unique("none"))
		wantErr(t, err, domain.ErrNotFound)
	})
}

func TestUpdateGateway(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	other := newGateway(t, s)

	t.Run("a nil password keeps the stored one and updated_at moves on", func(t *testing.T) {
		in := gatewayInput(g.Name + "-renamed")
		in.PasswordSealed = nil
		got, err := s.UpdateGateway(t.Context(), g.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != in.Name || got.BaseURL != in.BaseURL || got.CAPEM != in.CAPEM ||
			!bytes.Equal(got.PasswordSealed, g.PasswordSealed) {
			t.Fatalf("updated = %+v, want the new settings and the old password", got)
		}
		if !got.UpdatedAt.After(g.UpdatedAt) || !got.CreatedAt.Equal(g.CreatedAt) {
			t.Fatalf("updated_at %v (was %v), created_at %v (was %v)", got.UpdatedAt, g.UpdatedAt, got.CreatedAt, g.CreatedAt)
		}
	})
	t.Run("a new password replaces the stored one", func(t *testing.T) {
		in := gatewayInput(g.Name)
		in.PasswordSealed = []byte("new-sealed")
		got, err := s.UpdateGateway(t.Context(), g.ID, in)
		if err != nil || string(got.PasswordSealed) != "new-sealed" {
			t.Fatalf("password = %q, %v", got.PasswordSealed, err)
		}
	})
	t.Run("taking another gateway's name is a conflict", func(t *testing.T) {
		_, err := s.UpdateGateway(t.Context(), g.ID, gatewayInput(strings.ToUpper(other.Name)))
		wantErr(t, err, domain.ErrConflict)
	})
	t.Run("an unknown id is not found", func(t *testing.T) {
		_, err := s.UpdateGateway(t.Context(), -1, gatewayInput(unique("x")))
		wantErr(t, err, domain.ErrNotFound)
	})
}

func TestUpsertGatewayByName(t *testing.T) {
	s := newStore(t)
	name := unique("Simulator")
	created, err := s.UpsertGatewayByName(t.Context(), gatewayInput(name))
	if err != nil {
		t.Fatal(err)
	}
	in := gatewayInput(strings.ToLower(name))
	in.BaseURL, in.AgentID, in.PasswordSealed = "https://127.0.0.1:9999", 8, []byte("rotated")
	updated, err := s.UpsertGatewayByName(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if updated.ID != created.ID {
		t.Fatalf("second upsert made gateway %d, want the same row %d", updated.ID, created.ID)
	}
	if updated.BaseURL != in.BaseURL || updated.AgentID != 8 || string(updated.PasswordSealed) != "rotated" ||
		!updated.UpdatedAt.After(created.UpdatedAt) {
		t.Fatalf("upserted = %+v, want the new settings", updated)
	}
}

func TestListGatewaysIsOrderedByName(t *testing.T) {
	s := newStore(t)
	prefix := unique("list")
	for _, suffix := range []string{"-b", "-C", "-a"} {
		if _, err := s.CreateGateway(t.Context(), gatewayInput(prefix+suffix)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListGateways(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range all {
		if strings.HasPrefix(g.Name, prefix) {
			got = append(got, strings.TrimPrefix(g.Name, prefix))
		}
	}
	if strings.Join(got, " ") != "-a -b -C" {
		t.Fatalf("order = %v, want -a -b -C (case-insensitive)", got)
	}
}

func TestRecordGatewayTest(t *testing.T) {
	s := newStore(t)
	g := newGateway(t, s)
	if err := s.RecordGatewayTest(t.Context(), g.ID, domain.OutcomeRejected, "107-003 wrong password"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Gateway(t.Context(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastTestAt == nil || got.LastTestOutcome != domain.OutcomeRejected ||
		got.LastTestMessage != "107-003 wrong password" || !got.UpdatedAt.Equal(g.UpdatedAt) {
		t.Fatalf("after a test: %+v", got)
	}
	t.Run("an unknown id is not found", func(t *testing.T) {
		wantErr(t, s.RecordGatewayTest(t.Context(), -1, domain.OutcomeSuccess, ""), domain.ErrNotFound)
	})
}
