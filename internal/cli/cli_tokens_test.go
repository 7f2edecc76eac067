package cli

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func TestCLITokenCommands(t *testing.T) {
	env := cliEnv(t)
	st := store.New(dbtest.Pool(t))
	name := uniq("provisioning")
	stdout, stderr, err := runCLI(t, env, "", "token", "create", "--name", name, "--role", "operator", "--days", "7")
	if err != nil {
		t.Fatal(err)
	}
	plain := strings.TrimSpace(stdout)
	var tok domain.APIToken
	t.Run("create prints only the token on standard output", func(t *testing.T) {
		if !apitoken.WellFormed(plain) || strings.Count(stdout, "\n") != 1 {
			t.Fatalf("stdout %q", stdout)
		}
		if strings.Contains(stderr, plain) || !strings.Contains(stderr, "only this once") {
			t.Errorf("stderr %q", stderr)
		}
	})
	t.Run("the stored token has the role and lifetime asked for", func(t *testing.T) {
		tok, err = st.APITokenByHash(context.Background(), apitoken.Hash(plain))
		if err != nil {
			t.Fatal(err)
		}
		left := time.Until(tok.ExpiresAt)
		if tok.Name != name || tok.Role != domain.RoleOperator || left < 6*24*time.Hour || left > 7*24*time.Hour {
			t.Errorf("token %+v", tok)
		}
	})
	t.Run("revoke makes the token unusable and is audited", func(t *testing.T) {
		out, _, err := runCLI(t, env, "", "token", "revoke", "--id", idText(tok.ID))
		if err != nil || !strings.Contains(out, "revoked") {
			t.Fatalf("revoke: %q, %v", out, err)
		}
		got, _ := st.APITokenByHash(context.Background(), apitoken.Hash(plain))
		if got.Usable(time.Now()) {
			t.Error("the token still works")
		}
		page, err := st.ListAudit(context.Background(), domain.AuditFilter{TargetType: domain.TargetAPIToken, TargetID: idText(tok.ID)}, domain.PageRequest{})
		if err != nil || len(page.Entries) != 2 || page.Entries[0].Action != domain.AuditTokenRevoke || page.Entries[1].Action != domain.AuditTokenCreate {
			t.Fatalf("audit %+v, %v", page.Entries, err)
		}
	})
	for _, r := range []refusal{
		{name: "a token without a name is refused", args: []string{"token", "create"}, wantErr: []string{"--name"}},
		{name: "a token with an unknown role is refused", args: []string{"token", "create", "--name", "x", "--role", "root"}, wantErr: []string{"--role"}},
		{name: "a token for 400 days is refused", args: []string{"token", "create", "--name", "x", "--days", "400"}, wantErr: []string{"--days", "365"}},
		{name: "revoking a missing token is refused", args: []string{"token", "revoke", "--id", "999999999"}, wantErr: []string{"no token #999999999"}},
	} {
		t.Run(r.name, func(t *testing.T) { r.check(t, env) })
	}
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }
