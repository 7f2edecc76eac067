package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestZeroConfigurationStart is the README's command 1: no DATABASE_URL, no
// key, no gateway; ccsub runs its private PostgreSQL and the simulator.
func TestZeroConfigurationStart(t *testing.T) {
	dataDir := reachableTempDir(t)
	env := map[string]string{"CCSUB_DATA_DIR": dataDir, "LISTEN_ADDR": "127.0.0.1:0"}
	first := startConsole(t, env)
	var serverID string
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"the first start prints a one-time password for admin", func(t *testing.T) {
			if first.AdminPassword == "" || !strings.Contains(first.Stdout.String(), "user name: admin") {
				t.Fatalf("no admin password on stdout:\n%s", first.Stdout)
			}
			if strings.Contains(first.Stderr.String(), first.AdminPassword) {
				t.Error("the admin password was logged on stderr")
			}
		}},
		{"the private PostgreSQL lives inside the data dir", func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dataDir, "postgres", "PG_VERSION")); err != nil {
				t.Fatalf("no cluster in the data dir (did it fall back to /var/lib/ccsub?): %v", err)
			}
		}},
		{"an admin registers through the preselected simulator and finds the call in the history", func(t *testing.T) {
			c := newClient(t, first.URL)
			c.signIn("admin", first.AdminPassword)
			serverID = registerOverHTTP(t, c, "https://crm.example.com/zero-config")
			assertInHistory(t, c, serverID)
			if strings.Contains(first.Stderr.String(), serviceToken) {
				t.Error("the service token was logged on stderr")
			}
		}},
		{"a command run next to the console uses its private PostgreSQL", func(t *testing.T) {
			if _, _, err := runCLI(t, env, "a long enough password\n", "user", "add", "--username", "beside", "--role", "auditor", "--password-stdin"); err != nil {
				t.Fatalf("ccsub user add beside a running console: %v", err)
			}
			c := newClient(t, first.URL)
			c.signIn("beside", "a long enough password")
		}},
		{"stopping returns nil and stops the private PostgreSQL", func(t *testing.T) {
			assertStopsPostgres(t, first, dataDir)
		}},
		{"a restart on the same data dir reuses the database, the admin and the history", func(t *testing.T) {
			second := startConsole(t, env)
			if second.AdminPassword != "" || strings.Contains(second.Stdout.String(), "Created the first console user") {
				t.Errorf("the second start created another admin:\n%s", second.Stdout)
			}
			c := newClient(t, second.URL)
			c.signIn("admin", first.AdminPassword)
			assertInHistory(t, c, serverID)
			if err := second.stop(); err != nil {
				t.Errorf("run returned %v after its context ended, want nil", err)
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return // each step needs the one before
		}
	}
}

var subscriptionPath = regexp.MustCompile(`^/subscriptions/[0-9]+$`)

// serviceToken is what registerOverHTTP sends; it must never reach a log.
const serviceToken = "zero-config-token-1"

// registerOverHTTP submits the register form as a browser would (without
// JavaScript) and returns the serverId shown on the new subscription's
// page, where the register lands.
func registerOverHTTP(t *testing.T, c *client, callback string) string {
	t.Helper()
	form := c.page("/subscriptions/new")
	selected := form.Find("select#gateway option[selected]")
	gateway, _ := selected.Attr("value")
	if selected.Length() != 1 || !strings.HasPrefix(selected.Text(), "simulator") || gateway == "" {
		t.Fatalf("the simulator gateway is not preselected: %q", selected.Text())
	}
	key, _ := form.Find(`input[name="idempotencyKey"]`).Attr("value")
	res, body := c.post("/subscriptions", url.Values{
		"gateway": {gateway}, "subscribeType": {"1"}, "serviceCallBackUri": {callback},
		"serviceToken": {serviceToken}, "idempotencyKey": {key},
	})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !subscriptionPath.MatchString(loc) {
		t.Fatalf("POST /subscriptions: status %d, Location %q; want 303 to /subscriptions/{id}\n%s", res.StatusCode, loc, body)
	}
	sub := c.page(loc)
	serverID := strings.TrimSpace(sub.Find("#sub-server-id").Text())
	if serverID == "" || serverID == "—" {
		t.Fatalf("no serverId on %s; flash: %q", loc, sub.Find(".flash").Text())
	}
	if flash := sub.Find(".flash.ok").Text(); !strings.Contains(flash, serverID) {
		t.Errorf("flash %q does not name serverId %s", flash, serverID)
	}
	return serverID
}

func assertInHistory(t *testing.T, c *client, serverID string) {
	t.Helper()
	cells := c.page("/history").Find("#history td.server-id")
	for i := range cells.Length() {
		if strings.TrimSpace(cells.Eq(i).Text()) == serverID {
			return
		}
	}
	t.Fatalf("serverId %s not in /history (%d rows)", serverID, cells.Length())
}

// assertStopsPostgres stops the console and checks that its PostgreSQL is
// gone: PID file, process, socket, and connections.
func assertStopsPostgres(t *testing.T, c *console, dataDir string) {
	t.Helper()
	pidFile := filepath.Join(dataDir, "postgres", "postmaster.pid")
	pid, sockDir, port := readPostmasterPID(t, pidFile)
	if _, err := os.Stat(filepath.Join(sockDir, ".s.PGSQL."+port)); err != nil {
		t.Fatalf("no socket where postmaster.pid says: %v", err)
	}
	if err := c.stop(); err != nil {
		t.Fatalf("run returned %v after its context ended, want nil", err)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid still there after stop (err %v)", err)
	}
	if _, err := os.Stat(sockDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir %s still there after stop (err %v)", sockDir, err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postgres PID %d still exists after stop (kill 0: %v)", pid, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://postgres@/ccsub?sslmode=disable&host="+sockDir+"&port="+port)
	if err == nil {
		conn.Close(ctx)
		t.Errorf("a connection to the socket in %s still succeeds after stop", sockDir)
	}
}

// readPostmasterPID reads PostgreSQL's own record of the running server:
// line 1 is its PID, line 4 its port, line 5 its Unix socket directory.
func readPostmasterPID(t *testing.T, path string) (pid int, sockDir, port string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the private PostgreSQL is not running: %v", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		t.Fatalf("postmaster.pid has %d lines, want at least 5", len(lines))
	}
	pid, err = strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		t.Fatalf("postmaster.pid line 1 %q is not a PID", lines[0])
	}
	return pid, strings.TrimSpace(lines[4]), strings.TrimSpace(lines[3])
}

// A first start on a taken port fails before it creates the admin: the
// error names the address, nothing password-like is printed, and the
// next start (on a free port) still creates the admin and shows its
// password.
func TestFirstStartOnATakenPortCreatesNoAdmin(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	db := freshDatabase(t)
	env := map[string]string{"DATABASE_URL": db, "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SIMULATOR": "off",
		"LISTEN_ADDR": addr, "CCSUB_SECRET_KEY": testSecretKey}
	stdout, stderr, err := runCLI(t, env, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "listen on "+addr) || !strings.Contains(err.Error(), "LISTEN_ADDR") {
		t.Fatalf("serve on a taken port returned %v, want an error naming %s and LISTEN_ADDR", err, addr)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.Contains(strings.ToLower(out), "password") || strings.Contains(out, "first console user") {
			t.Errorf("a failed start printed something about a password:\n%s", out)
		}
	}
	assertUsers := func(t *testing.T, want int) {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%d user(s) in the database, want %d", n, want)
		}
	}
	assertUsers(t, 0)

	t.Run("the next start on a free port creates the admin and prints its password once", func(t *testing.T) {
		env["LISTEN_ADDR"] = "127.0.0.1:0"
		c := startConsole(t, env)
		if c.AdminPassword == "" {
			t.Fatalf("no admin password on stdout:\n%s", c.Stdout)
		}
		assertUsers(t, 1)
	})
}
