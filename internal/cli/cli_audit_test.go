package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5/pgxpool"
)

// auditChain migrates a fresh database through the CLI, appends n entries
// through the store and returns them, the store and the CLI's environment.
func auditChain(t *testing.T, n int) ([]domain.AuditEntry, *store.Store, map[string]string) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": freshDatabase(t), "CCSUB_DATA_DIR": t.TempDir()}
	if _, _, err := runCLI(t, env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	out := make([]domain.AuditEntry, n)
	for i := range out {
		if out[i], err = st.AppendAudit(t.Context(), domain.AuditEntry{Actor: "cli-test", Action: domain.AuditGatewayUpdate,
			TargetType: domain.TargetGateway, TargetID: "1", Diff: map[string]domain.FieldChange{"name": {Before: i, After: i + 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	return out, st, env
}

// tamper runs sql on one connection that skips triggers, as a superuser
// editing the table behind ccsub's back would.
func tamper(t *testing.T, st *store.Store, sql string, args ...any) {
	t.Helper()
	conn, err := st.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []string{"SET session_replication_role = replica", sql, "SET session_replication_role = DEFAULT"} {
		a := args
		if q != sql {
			a = nil
		}
		if _, err := conn.Exec(context.Background(), q, a...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCLIAuditVerify(t *testing.T) {
	t.Run("an untouched chain is reported intact with its head hash", func(t *testing.T) {
		entries, _, env := auditChain(t, 3)
		stdout, _, err := runCLI(t, env, "", "audit", "verify")
		want := "entries checked: 3\nchain intact; head hash " + hex.EncodeToString(entries[2].Hash) + "\n"
		if err != nil || stdout != want {
			t.Errorf("audit verify: %v\n%s\nwant\n%s", err, stdout, want)
		}
	})
	tests := []struct {
		name     string
		sql      string
		victim   int // index of the entry the SQL touches
		breaksAt int // index of the entry reported
		reason   string
	}{
		{"an altered entry is reported as the first broken link", "UPDATE audit_log SET actor = 'mallory' WHERE id = $1", 1, 1, "does not match its hash"},
		{"a removed entry breaks the link of the one after it", "DELETE FROM audit_log WHERE id = $1", 1, 2, "link to the previous entry is broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, st, env := auditChain(t, 4)
			tamper(t, st, tt.sql, entries[tt.victim].ID)
			stdout, _, err := runCLI(t, env, "", "audit", "verify")
			if !errors.Is(err, errChainBroken) {
				t.Errorf("err = %v, want the chain reported broken (a non-zero exit)", err)
			}
			want := "chain BROKEN at entry " + strconv.FormatInt(entries[tt.breaksAt].ID, 10) + " (written "
			if !strings.Contains(stdout, want) || !strings.Contains(stdout, tt.reason) || strings.Contains(stdout, "intact") {
				t.Errorf("stdout %q, want %q and %q", stdout, want, tt.reason)
			}
		})
	}
	t.Run("an unknown subcommand is refused", func(t *testing.T) {
		refusal{args: []string{"audit", "fix"}, wantErr: []string{"want a subcommand: verify"}}.check(t, cliEnv(t))
	})
}
