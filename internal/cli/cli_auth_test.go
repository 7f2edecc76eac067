package cli

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"ccsub/internal/app"
	"ccsub/internal/dbtest"
	"ccsub/internal/secret"

	"github.com/jackc/pgx/v5/pgxpool"
)

// addUser creates a user through the CLI.
func addUser(t *testing.T, env map[string]string, role string) string {
	t.Helper()
	name := uniq(role)
	if _, _, err := runCLI(t, env, "a long enough password\n", "user", "add", "--username", name, "--role", role, "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	return name
}

// openSessions gives the user n live sessions, as sign-ins in browsers would.
func openSessions(t *testing.T, pool *pgxpool.Pool, name string, n int) {
	t.Helper()
	for range n {
		var b [32]byte
		_, _ = rand.Read(b[:])
		_, err := pool.Exec(t.Context(), `INSERT INTO sessions (id, user_id, expires_at)
			SELECT $1, id, now() + interval '1 hour' FROM users WHERE username = $2`, hex.EncodeToString(b[:]), name)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sessionsOf(t *testing.T, pool *pgxpool.Pool, name string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1`, name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCLIUserChangesEndSessionsAndAreAudited(t *testing.T) {
	env := cliEnv(t)
	pool := dbtest.Pool(t)
	tests := []struct {
		name      string
		args      func(user string) []string
		stdin     string
		wantOut   string // with %s for the user name
		wantField string // the audit diff field
		check     func(t *testing.T, role string, disabled bool)
	}{
		{"set-role changes the role", func(u string) []string { return []string{"user", "set-role", "--username", u, "--role", "auditor"} },
			"", "role of %s changed from operator to auditor; ended 2 session(s)\n", "role",
			func(t *testing.T, role string, _ bool) {
				if role != "auditor" {
					t.Errorf("role %s", role)
				}
			}},
		{"disable disables the account", func(u string) []string { return []string{"user", "disable", "--username", u} },
			"", "%s disabled; ended 2 session(s)\n", "disabled",
			func(t *testing.T, _ string, disabled bool) {
				if !disabled {
					t.Error("not disabled")
				}
			}},
		{"reset-password sets the password", func(u string) []string {
			return []string{"user", "reset-password", "--username", u, "--password-stdin"}
		},
			"another long password\n", "password of %s changed; ended 2 session(s)\n", "password", func(*testing.T, string, bool) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name+", ends the user's sessions and writes an audit entry", func(t *testing.T) {
			name := addUser(t, env, "operator")
			openSessions(t, pool, name, 2)
			stdout, _, err := runCLI(t, env, tt.stdin, tt.args(name)...)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(tt.wantOut, "%s", name); stdout != want {
				t.Errorf("stdout %q, want %q", stdout, want)
			}
			if n := sessionsOf(t, pool, name); n != 0 {
				t.Errorf("%d sessions left", n)
			}
			var role, diff, actor string
			var disabled bool
			err = pool.QueryRow(t.Context(), `SELECT u.role, u.disabled, a.diff, a.actor FROM users u
				JOIN audit_log a ON a.target_type = 'user' AND a.target_id = u.id::text AND a.action = 'user_update'
				WHERE u.username = $1 ORDER BY a.id DESC LIMIT 1`, name).Scan(&role, &disabled, &diff, &actor)
			if err != nil {
				t.Fatalf("no user_update audit entry: %v", err)
			}
			if !strings.HasPrefix(actor, "cli") || !strings.Contains(diff, `"`+tt.wantField+`"`) || strings.Contains(diff, "another long password") {
				t.Errorf("audit by %q with diff %s; want a cli actor, the %s field and no password", actor, diff, tt.wantField)
			}
			tt.check(t, role, disabled)
		})
	}
	t.Run("enable lets a disabled user in again", func(t *testing.T) {
		name := addUser(t, env, "operator")
		for _, verb := range []string{"disable", "enable"} {
			if _, _, err := runCLI(t, env, "", "user", verb, "--username", name); err != nil {
				t.Fatal(err)
			}
		}
		var disabled bool
		if err := pool.QueryRow(t.Context(), `SELECT disabled FROM users WHERE username = $1`, name).Scan(&disabled); err != nil || disabled {
			t.Errorf("disabled %v, %v; want enabled", disabled, err)
		}
	})
	t.Run("a change to what is already there says so and ends no session", func(t *testing.T) {
		name := addUser(t, env, "auditor")
		openSessions(t, pool, name, 1)
		stdout, _, err := runCLI(t, env, "", "user", "set-role", "--username", name, "--role", "auditor")
		if err != nil || stdout != name+": nothing to change\n" || sessionsOf(t, pool, name) != 1 {
			t.Errorf("stdout %q, err %v, %d sessions; want nothing changed", stdout, err, sessionsOf(t, pool, name))
		}
	})
}

func TestCLIUserChangesRefuseBadInput(t *testing.T) {
	env := cliEnv(t)
	name := addUser(t, env, "operator")
	refusals := []refusal{
		{"set-role without a role is refused", []string{"user", "set-role", "--username", name}, "", []string{"--role"}},
		{"set-role to an unknown role is refused", []string{"user", "set-role", "--username", name, "--role", "root"}, "",
			[]string{`--role "root"`, "admin, operator or auditor"}},
		{"set-role of an unknown user is refused", []string{"user", "set-role", "--username", uniq("nobody"), "--role", "admin"}, "",
			[]string{"no user named"}},
		{"disable without a name is refused", []string{"user", "disable"}, "", []string{"--username"}},
		{"enable of an unknown user is refused", []string{"user", "enable", "--username", uniq("nobody")}, "", []string{"no user named"}},
		{"a user name with a space is refused at add", []string{"user", "add", "--username", "two words", "--password-stdin"},
			"a long enough password\n", []string{"--username", "a space"}},
		{"a stray argument is refused", []string{"user", "disable", "--username", name, "now"}, "", []string{`unexpected argument "now"`}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			role, _ := userRow(t, name)
			r.check(t, env)
			if after, _ := userRow(t, name); after != role {
				t.Errorf("role changed from %s to %s", role, after)
			}
		})
	}
}

func TestCLIRefusesToRemoveTheLastAdmin(t *testing.T) {
	_, url := dbtest.Isolated(t)
	env := map[string]string{"DATABASE_URL": url, "CCSUB_DATA_DIR": t.TempDir()}
	name := addUser(t, env, "admin")
	for _, args := range [][]string{
		{"user", "disable", "--username", name},
		{"user", "set-role", "--username", name, "--role", "operator"},
	} {
		refusal{strings.Join(args[:2], " "), args, "", []string{"last enabled admin", "make another user an admin first"}}.check(t, env)
	}
}

func TestCLISessionKeysRotate(t *testing.T) {
	pool, url := dbtest.Isolated(t)
	env := map[string]string{"DATABASE_URL": url, "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SECRET_KEY": testSecretKey}
	keys, err := secret.ParseKeys(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(app.Parts{Log: slog.New(slog.DiscardHandler), Pool: pool, Keys: keys})
	before, err := a.Access.SessionKeys(t.Context()) // what a first serve creates
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"2 kept", "3 kept", "3 kept"} {
		stdout, _, err := runCLI(t, env, "", "session-keys", "rotate")
		if err != nil || !strings.Contains(stdout, want) {
			t.Fatalf("rotation %d: %q, %v; want %q", i+1, stdout, err, want)
		}
	}
	after, err := a.Access.SessionKeys(t.Context())
	if err != nil || len(after) != 6 {
		t.Fatalf("%d key halves, %v; want 3 hash/block pairs that open", len(after), err)
	}
	for _, k := range after {
		if string(k) == string(before[0]) {
			t.Error("the key from before three rotations is still kept")
		}
	}
	t.Run("a rotation with another secret key is refused and adds nothing", func(t *testing.T) {
		other := map[string]string{"DATABASE_URL": url, "CCSUB_DATA_DIR": t.TempDir(),
			"CCSUB_SECRET_KEY": "YSBkaWZmZXJlbnQga2V5LCAzMiBieXRlcyBsb25nLi4="}
		refusal{"wrong key", []string{"session-keys", "rotate"}, "", []string{"session-keys rotate", "CCSUB_SECRET_KEY"}}.check(t, other)
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM session_keys`).Scan(&n); err != nil || n != 3 {
			t.Errorf("%d keys, %v; want 3", n, err)
		}
	})
	t.Run("a subcommand other than rotate is refused", func(t *testing.T) {
		refusal{"list", []string{"session-keys", "list"}, "", []string{"rotate"}}.check(t, env)
	})
}
