package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/password"
	"ccsub/internal/secret"

	"github.com/jackc/pgx/v5"
)

// cliEnv is the environment of a shell command against the package's
// database; the data dir is fresh, so a secret.key gets generated in it.
func cliEnv(t *testing.T) map[string]string {
	return map[string]string{"DATABASE_URL": dbtest.URL(t), "CCSUB_DATA_DIR": t.TempDir()}
}

// refusal is a command that must fail with a message naming the problem.
type refusal struct {
	name    string
	args    []string
	stdin   string
	wantErr []string // substrings of the error
}

func (r refusal) check(t *testing.T, env map[string]string) {
	t.Helper()
	stdout, _, err := runCLI(t, env, r.stdin, r.args...)
	if err == nil {
		t.Fatalf("ccsub %s succeeded (stdout %q), want an error", strings.Join(r.args, " "), stdout)
	}
	t.Logf("refused: %v", err)
	for _, want := range r.wantErr {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestCLIUserCommands(t *testing.T) {
	env := cliEnv(t)
	name, pw := uniq("carol"), "carol's first long password"
	t.Run("user add creates the user with the role and stores only a hash of the password", func(t *testing.T) {
		stdout, _, err := runCLI(t, env, pw+"\n", "user", "add", "--username", name, "--role", "auditor", "--password-stdin")
		if err != nil {
			t.Fatal(err)
		}
		if want := "created user " + name + " (auditor)\n"; stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
		role, hash := userRow(t, name)
		if role != "auditor" {
			t.Errorf("role %q, want auditor", role)
		}
		assertVerifies(t, hash, pw, true)
	})

	refusals := []refusal{
		{"a second user with the same name in other letter case is refused",
			[]string{"user", "add", "--username", strings.ToUpper(name), "--password-stdin"}, "another long password\n", []string{"already exists"}},
		{"an unknown role is refused", []string{"user", "add", "--username", uniq("dave"), "--role", "boss", "--password-stdin"},
			"a long enough password\n", []string{`--role "boss"`, "admin, operator or auditor"}},
		{"a user without --password-stdin is refused", []string{"user", "add", "--username", uniq("erin")},
			"a long enough password\n", []string{"--password-stdin"}},
		{"a password shorter than the policy allows is refused", []string{"user", "add", "--username", uniq("frank"), "--password-stdin"},
			"short\n", []string{"too short", "12"}},
		{"a user without a name is refused", []string{"user", "add", "--password-stdin"}, "a long enough password\n", []string{"--username"}},
		{"an empty standard input is refused", []string{"user", "add", "--username", uniq("gina"), "--password-stdin"}, "", []string{"standard input"}},
		{"an unknown user subcommand is refused", []string{"user", "delete", "--username", name}, "", []string{`unknown subcommand "delete"`}},
		{"a password reset for a user that does not exist is refused",
			[]string{"user", "reset-password", "--username", uniq("nobody"), "--password-stdin"}, "a long enough password\n", []string{"no user named"}},
		{"a password reset to a short password is refused",
			[]string{"user", "reset-password", "--username", name, "--password-stdin"}, "short\n", []string{"too short"}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			before := countUsers(t)
			r.check(t, env)
			if after := countUsers(t); after != before {
				t.Errorf("%d users before, %d after a refused command", before, after)
			}
		})
	}
	_, hash := userRow(t, name)
	assertVerifies(t, hash, pw, true) // the refused reset changed nothing

	t.Run("user reset-password replaces the password", func(t *testing.T) {
		newPW := "carol's second long password"
		stdout, _, err := runCLI(t, env, newPW+"\r\n", "user", "reset-password", "--username", name, "--password-stdin")
		if err != nil {
			t.Fatal(err)
		}
		if want := "password of " + name + " changed; ended 0 session(s)\n"; stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
		_, hash := userRow(t, name)
		assertVerifies(t, hash, newPW, true)
		assertVerifies(t, hash, pw, false)
	})
}

func TestCLIGatewayAdd(t *testing.T) {
	env := cliEnv(t)
	caPEM := testCAPEM(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	garbage := filepath.Join(t.TempDir(), "not-a-ca.pem")
	for path, data := range map[string][]byte{caFile: caPEM, garbage: []byte("not a certificate\n")} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	name, gwPassword := uniq("Gateway A"), "gw-Secret-Password-1"
	t.Run("gateway add stores the gateway with its CA and only a sealed password", func(t *testing.T) {
		stdout, _, err := runCLI(t, env, gwPassword+"\n", "gateway", "add", "--name", name, "--url", "https://10.1.2.3:8043/",
			"--agent-id", "100001", "--ca-file", caFile, "--password-stdin")
		if err != nil {
			t.Fatal(err)
		}
		if want := "added gateway " + name + " (https://10.1.2.3:8043, agent 100001)\n"; stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
		assertGatewayStored(t, env["CCSUB_DATA_DIR"], name, gwPassword, string(caPEM))
		var actor, diff string
		if err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT actor, diff FROM audit_log
			WHERE action = 'gateway_create' AND target_name = $1`, name).Scan(&actor, &diff); err != nil {
			t.Fatalf("no gateway_create audit entry: %v", err)
		}
		if !strings.HasPrefix(actor, "cli") || strings.Contains(diff, gwPassword) || !strings.Contains(diff, "[secret changed]") {
			t.Errorf("audit entry by %q with diff %s", actor, diff)
		}
	})

	add := func(name, url, agent, ca string) []string {
		args := []string{"gateway", "add", "--name", name, "--url", url, "--agent-id", agent, "--password-stdin"}
		if ca != "" {
			args = append(args, "--ca-file", ca)
		}
		return args
	}
	refusals := []refusal{
		{"a plain http URL is refused naming --url", add(uniq("gw"), "http://10.1.2.3:8043", "100001", ""), "pw\n", []string{"--url"}},
		{"a second gateway with the same name in other letter case is refused",
			add(strings.ToLower(name), "https://10.9.9.9:8043", "100002", ""), "pw\n", []string{"already exists"}},
		{"a non-numeric agent id is refused naming --agent-id", add(uniq("gw"), "https://10.1.2.3:8043", "admin", ""), "pw\n", []string{"--agent-id"}},
		{"a CA file that does not exist is refused naming --ca-file",
			add(uniq("gw"), "https://10.1.2.3:8043", "100001", filepath.Join(t.TempDir(), "missing.pem")), "pw\n", []string{"--ca-file"}},
		{"a CA file without certificates is refused naming --ca-file", add(uniq("gw"), "https://10.1.2.3:8043", "100001", garbage),
			"pw\n", []string{"--ca-file"}},
		{"a gateway without --password-stdin is refused",
			[]string{"gateway", "add", "--name", uniq("gw"), "--url", "https://10.1.2.3:8043", "--agent-id", "1"}, "pw\n", []string{"--password-stdin"}},
		{"an empty gateway password is refused", add(uniq("gw"), "https://10.1.2.3:8043", "100001", ""), "\n", []string{"password"}},
		{"gateway without a subcommand is refused", []string{"gateway"}, "", []string{"add"}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			before := countGateways(t)
			r.check(t, env)
			if after := countGateways(t); after != before {
				t.Errorf("%d gateways before, %d after a refused command", before, after)
			}
		})
	}
}

func TestCLIOtherCommands(t *testing.T) {
	env := cliEnv(t)
	tests := []struct {
		name    string
		args    []string
		wantOut []string
		wantErr []string // nil: must succeed
	}{
		{"migrate applies the migrations and says the database is up to date", []string{"migrate"}, []string{"database is up to date\n"}, nil},
		{"help prints the usage with every command", []string{"help"},
			[]string{"Usage:", "ccsub migrate", "ccsub user add", "ccsub user reset-password", "ccsub user set-role",
				"ccsub user disable", "ccsub user enable", "ccsub session-keys rotate", "ccsub gateway add"}, nil},
		{"an unknown command is refused with the usage", []string{"frobnicate"}, nil, []string{`unknown command "frobnicate"`, "Usage:"}},
		{"migrate refuses a stray argument", []string{"migrate", "now"}, nil, []string{`unexpected argument "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runCLI(t, env, "", tt.args...)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("succeeded (stdout %q), want an error", stdout)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout %q does not contain %q", stdout, want)
				}
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func userRow(t *testing.T, name string) (role, hash string) {
	t.Helper()
	err := dbtest.Pool(t).QueryRow(t.Context(), "SELECT role, password_hash FROM users WHERE username = $1", name).Scan(&role, &hash)
	if err != nil {
		t.Fatalf("user %s: %v", name, err)
	}
	return role, hash
}

func assertVerifies(t *testing.T, hash, plain string, want bool) {
	t.Helper()
	if strings.Contains(hash, plain) || !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("the stored password is not an argon2id hash: %.12s…", hash)
	}
	ok, err := password.Verify(hash, plain)
	if err != nil || ok != want {
		t.Errorf("Verify = %v, %v; want %v", ok, err, want)
	}
}

func countUsers(t *testing.T) int    { return count(t, "SELECT count(*) FROM users") }
func countGateways(t *testing.T) int { return count(t, "SELECT count(*) FROM gateways") }

func count(t *testing.T, query string) int {
	t.Helper()
	var n int
	if err := dbtest.Pool(t).QueryRow(t.Context(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// assertGatewayStored checks the row: the password is sealed with the key
// generated in the data dir, never stored in clear.
func assertGatewayStored(t *testing.T, dataDir, name, plain, caPEM string) {
	t.Helper()
	var sealed []byte
	var baseURL, ca string
	var agent int64
	err := dbtest.Pool(t).QueryRow(t.Context(), "SELECT password_sealed, base_url, agent_id, ca_pem FROM gateways WHERE name = $1", name).
		Scan(&sealed, &baseURL, &agent, &ca)
	if errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("no gateway named %s", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	if baseURL != "https://10.1.2.3:8043" || agent != 100001 || ca != strings.TrimSpace(caPEM) {
		t.Errorf("stored %q, agent %d, CA of %d bytes; want https://10.1.2.3:8043, 100001 and the %d-byte file",
			baseURL, agent, len(ca), len(strings.TrimSpace(caPEM)))
	}
	if bytes.Contains(sealed, []byte(plain)) {
		t.Fatal("gateways.password_sealed holds the password in clear")
	}
	keys, created, err := secret.LoadOrCreate("", dataDir)
	if err != nil || created {
		t.Fatalf("the CLI did not leave its key in %s (created now: %v, err %v)", dataDir, created, err)
	}
	opened, err := keys.Open(sealed, secret.PurposeGatewayPassword)
	if err != nil || string(opened) != plain {
		t.Errorf("the sealed password does not open to the one given on stdin (err %v)", err)
	}
}

// testCAPEM is a self-signed CA certificate, as a gateway's private CA.
func testCAPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test gateway CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestHelpOfACommandDoesNothingElse: `-h` prints the command's flags and
// stops; it once went on to seed, or to add a user from an empty stdin.
func TestHelpOfACommandDoesNothingElse(t *testing.T) {
	dir := t.TempDir() // no DATABASE_URL: a command that went on would start a private PostgreSQL here
	env := map[string]string{"CCSUB_DATA_DIR": dir}
	for _, args := range [][]string{{"dev", "seed", "-h"}, {"user", "add", "--help"}, {"retention", "run", "-h"}, {"migrate", "-h"}} {
		_, stderr, err := runCLI(t, env, "", args...)
		if err != nil || !strings.Contains(stderr, "Usage of") {
			t.Errorf("%v: err %v, stderr %q; want the usage and success", args, err, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("help wrote to the data dir: %v", entries)
	}
}
