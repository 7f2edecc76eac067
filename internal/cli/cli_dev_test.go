package cli

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func seedEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{"DATABASE_URL": freshDatabase(t), "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SECRET_KEY": testSecretKey,
		"LISTEN_ADDR": "127.0.0.1:0", "CCSUB_SIMULATOR": "off", "USER": "tester"}
	if _, _, err := runCLI(t, env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	return env
}

var smallSeed = []string{"dev", "seed", "--calls", "4000", "--subscriptions", "60", "--notifications", "500",
	"--audit", "600", "--gateways", "2", "--hosts", "30", "--months", "6", "--seed", "11"}

func TestCLIDevSeed(t *testing.T) {
	env := seedEnv(t)
	stdout, stderr, err := runCLI(t, env, "", smallSeed...)
	if err != nil {
		t.Fatalf("dev seed: %v\n%s", err, stderr)
	}
	for _, want := range []string{"(seed 11)", "calls ", "4,000 rows", "subscriptions by state: ", "unknown ", "pushes: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "calls: 4,000 rows in ") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	if n := countIn(t, env["DATABASE_URL"], "SELECT count(*) FROM calls"); n != 4000 {
		t.Errorf("%d calls, want 4000", n)
	}

	t.Run("audit verify passes on the seeded trail", func(t *testing.T) {
		out, _, err := runCLI(t, env, "", "audit", "verify")
		if err != nil || !strings.HasPrefix(out, "entries checked: 600\nchain intact") {
			t.Errorf("audit verify: %v\n%s", err, out)
		}
	})

	t.Run("the pages show the seeded data", func(t *testing.T) {
		// The seeded users cannot sign in until an administrator gives one a password.
		if _, _, err := runCLI(t, env, "Seeded-pages-test-1\n", "user", "reset-password", "--username", "seed-anna", "--password-stdin"); err != nil {
			t.Fatal(err)
		}
		c := startConsole(t, env)
		cl := newClient(t, c.URL)
		cl.signIn("seed-anna", "Seeded-pages-test-1")
		subID := countIn(t, env["DATABASE_URL"], "SELECT min(id) FROM subscriptions WHERE state = 'lapsed'")
		callID := countIn(t, env["DATABASE_URL"], "SELECT max(id) FROM calls WHERE operation = 'register'")
		for _, path := range []string{"/subscriptions", "/history", "/history?outcome=rejected", "/audit", "/inbox", "/gateways",
			"/subscriptions/" + strconv.Itoa(subID), "/calls/" + strconv.Itoa(callID)} {
			doc := cl.page(path)
			if !strings.Contains(doc.Text(), "seed-") {
				t.Errorf("%s shows nothing seeded", path)
			}
		}
		if rows := cl.page("/history").Find("table tbody tr").Length(); rows < 20 {
			t.Errorf("/history shows %d rows", rows)
		}
	})
}

// TestCLIDevSeedSameSeedAndNowSameData: the benchmarks compare a small
// database with a big one seeded alike; with --now, two runs of the same
// seed hold the same history, so a term rare in one is rare in the other.
func TestCLIDevSeedSameSeedAndNowSameData(t *testing.T) {
	// A 32-bit digest of what a history filter can find in the calls.
	const digest = `SELECT ('x' || left(md5(string_agg(concat_ws('|', started_at, gateway_name, operation, outcome, retcode,
		server_id, callback_uri, message), ',' ORDER BY started_at, id)), 8))::bit(32)::int FROM calls`
	seeded := func(now string) (int, string) {
		env := seedEnv(t)
		if _, stderr, err := runCLI(t, env, "", append(smallSeed, "--now", now)...); err != nil {
			t.Fatalf("dev seed --now %s: %v\n%s", now, err, stderr)
		}
		newest := countIn(t, env["DATABASE_URL"], `SELECT extract(epoch FROM max(started_at))::int FROM calls`)
		return countIn(t, env["DATABASE_URL"], digest), time.Unix(int64(newest), 0).UTC().Format(time.RFC3339)
	}
	a, newest := seeded("2026-06-01T12:00:00Z")
	if b, _ := seeded("2026-06-01T12:00:00Z"); a != b {
		t.Errorf("the same --seed and --now gave two histories (digests %x and %x)", a, b)
	}
	if newest > "2026-06-01T12:00:00Z" || newest < "2026-05-01" {
		t.Errorf("the newest call is at %s, want shortly before --now", newest)
	}
	if c, _ := seeded("2026-07-01T12:00:00Z"); a == c {
		t.Error("another --now gave the same history: the digest cannot tell histories apart")
	}
}

func TestCLIDevSeedRefusesRealData(t *testing.T) {
	env := seedEnv(t)
	for _, name := range []string{"admin", "alice"} {
		if _, _, err := runCLI(t, env, "A-long-enough-password\n", "user", "add", "--username", name, "--role", "admin", "--password-stdin"); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := runCLI(t, env, "", smallSeed...)
	if err == nil || !regexp.MustCompile(`(?s)dev seed: this database holds data the seeder did not make: 2 users.*--force`).MatchString(err.Error()) {
		t.Fatalf("dev seed on a database with two users: %v", err)
	}
	if n := countIn(t, env["DATABASE_URL"], "SELECT count(*) FROM calls"); n != 0 {
		t.Errorf("a refused seed wrote %d calls", n)
	}
	if _, _, err := runCLI(t, env, "", append(smallSeed, "--force")...); err != nil {
		t.Fatalf("dev seed --force: %v", err)
	}
	if n := countIn(t, env["DATABASE_URL"], "SELECT count(*) FROM calls"); n != 4000 {
		t.Errorf("%d calls after --force, want 4000", n)
	}
}

func TestCLIDevSeedChecksItsOptions(t *testing.T) {
	for args, want := range map[string]string{
		"--calls 10":                      "--calls 10 is too few for --subscriptions 2000",
		"--months 0":                      "--months 0: want 1 to 120",
		"--indexes sometimes":             `--indexes "sometimes": want auto, rebuild or keep`,
		"--subscriptions 0":               "--notifications 50000 needs subscriptions",
		"--audit 5 --calls 100000":        "--audit 5 is too few",
		"--calls 100000 --no-such-option": "flag provided but not defined",
		"--now yesterday":                 "want a time like 2026-12-01T00:00:00Z",
	} {
		t.Run(args, func(t *testing.T) {
			env := seedEnv(t)
			_, _, err := runCLI(t, env, "", append([]string{"dev", "seed"}, strings.Fields(args)...)...)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want %q", err, want)
			}
		})
	}
}

// -h prints a command's flags and stops there: `dev seed -h` once seeded the
// database it was pointed at, and `retention run -h` ran retention.
func TestCLIHelpFlagDoesNothingElse(t *testing.T) {
	env := seedEnv(t)
	for _, args := range [][]string{{"dev", "seed", "-h"}, {"dev", "seed", "--help"}, {"retention", "run", "-h"}} {
		stdout, stderr, err := runCLI(t, env, "", args...)
		if err != nil || stdout != "" || !strings.Contains(stderr, "Usage of ") {
			t.Errorf("%v: err %v, stdout %q, stderr %q; want the usage on stderr only", args, err, stdout, stderr)
		}
	}
	if n := countIn(t, env["DATABASE_URL"], "SELECT count(*) FROM calls"); n != 0 {
		t.Errorf("%d calls after dev seed -h, want none", n)
	}
	if n := countIn(t, env["DATABASE_URL"], "SELECT count(*) FROM retention_runs"); n != 0 {
		t.Errorf("%d retention runs after retention run -h, want none", n)
	}
}
