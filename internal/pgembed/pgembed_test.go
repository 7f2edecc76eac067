package pgembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// helperEnv makes the test binary act as a ccsub that starts a private
// server and waits to be killed (see TestServerStopsWhenCcsubIsKilled).
const helperEnv = "PGEMBED_TEST_HELPER_DATADIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(helperMain(dir))
	}
	os.Exit(m.Run())
}

func helperMain(dataDir string) int {
	s, err := Start(context.Background(), Options{DataDir: dataDir, Fast: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.proc.cmd.Process.Pid, s.sockDir)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test kills us
	return 0
}

// testDataDir is a fresh data dir under /tmp whose parents the postgres
// user can pass (t.TempDir's are 0700, which would force the fallback).
func testDataDir(t *testing.T) string {
	t.Helper()
	parent, err := os.MkdirTemp("/tmp", "pgembed-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(parent, "data")
}

// syncBuffer collects log output written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func testLogger(t *testing.T, also io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), also), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// startServer starts a server on dataDir and stops it when the test ends.
func startServer(t *testing.T, dataDir string, logs io.Writer) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{DataDir: dataDir, Logger: testLogger(t, logs), Fast: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func connect(t *testing.T, s *Server) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), s.URL())
	if err != nil {
		t.Fatalf("connect to %s: %v", s.URL(), err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestServerKeepsItsDataAcrossRestarts(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	var logs syncBuffer
	first := startServer(t, dataDir, &logs)

	t.Run("the URL points at the ccsub database over a short Unix socket", func(t *testing.T) {
		if want := "postgres://postgres@/ccsub?host=" + first.sockDir + "&sslmode=disable"; first.URL() != want {
			t.Errorf("URL = %q, want %q", first.URL(), want)
		}
		if sock := filepath.Join(first.sockDir, ".s.PGSQL.5432"); len(sock) >= 100 {
			t.Errorf("socket path %q is %d bytes, the limit is about 100", sock, len(sock))
		}
		var db, listen string
		conn := connect(t, first)
		if err := conn.QueryRow(t.Context(), "SELECT current_database(), current_setting('listen_addresses')").Scan(&db, &listen); err != nil {
			t.Fatal(err)
		}
		if db != "ccsub" || listen != "" {
			t.Errorf("database %q listening on %q, want ccsub listening on no TCP address", db, listen)
		}
	})
	t.Run("data written before a stop is there after the next start", func(t *testing.T) {
		conn := connect(t, first)
		if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives restarts')"); err != nil {
			t.Fatal(err)
		}
		conn.Close(t.Context())
		if err := first.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		second := startServer(t, dataDir, &logs)
		var note string
		if err := connect(t, second).QueryRow(t.Context(), "SELECT note FROM kept").Scan(&note); err != nil {
			t.Fatalf("read table after restart: %v", err)
		}
		if note != "survives restarts" {
			t.Errorf("note = %q", note)
		}
		if n := strings.Count(logs.String(), "created a new PostgreSQL cluster"); n != 1 {
			t.Errorf("initdb ran %d times over two starts, want 1", n)
		}
	})
	t.Run("stopping removes the socket directory and a second stop is harmless", func(t *testing.T) {
		if _, err := os.Stat(first.sockDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket dir %s still exists after Stop (stat: %v)", first.sockDir, err)
		}
		if err := first.Stop(); err != nil {
			t.Errorf("second Stop = %v, want nil", err)
		}
	})
}

func TestStartRefusesADataDirWhoseServerIsRunning(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	running := startServer(t, dataDir, io.Discard)

	_, err := Start(t.Context(), Options{DataDir: dataDir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "already running") || !strings.Contains(err.Error(), "CCSUB_DATA_DIR") {
		t.Fatalf("second Start = %v, want an error saying a server already runs on this data dir", err)
	}
	if err := connect(t, running).Ping(t.Context()); err != nil {
		t.Errorf("the running server was disturbed by the refused start: %v", err)
	}

	attached, err := Start(t.Context(), Options{DataDir: dataDir, Fast: true, Attach: true})
	if err != nil {
		t.Fatalf("Start with Attach next to a running server: %v", err)
	}
	if attached.URL() != running.URL() {
		t.Errorf("attached to %s, want the running server's %s", attached.URL(), running.URL())
	}
	if err := attached.Stop(); err != nil {
		t.Errorf("Stop of an attached handle: %v", err)
	}
	if err := connect(t, running).Ping(t.Context()); err != nil {
		t.Errorf("stopping the attached handle stopped the server: %v", err)
	}
}

func TestALeftoverLockFileDoesNotBlockTheNextStart(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	s := startServer(t, dataDir, io.Discard)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(s.dataDir, "postmaster.pid")

	tests := []struct {
		name string
		pid  func(t *testing.T) int
	}{
		{"a lock file naming a process that has exited", exitedPID},
		{"a lock file naming a live process that is not PostgreSQL", livePID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stale := fmt.Sprintf("%d\n%s\n1700000000\n5432\n/tmp/gone\n\n", tt.pid(t), s.dataDir)
			writeAsOwnerOf(t, pidFile, stale, s.dataDir)
			next := startServer(t, dataDir, io.Discard)
			if err := connect(t, next).Ping(t.Context()); err != nil {
				t.Fatalf("ping: %v", err)
			}
			if err := next.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
		})
	}
}

// writeAsOwnerOf writes a file that looks left behind by the server: owned
// by the same user as the cluster directory.
func writeAsOwnerOf(t *testing.T, path, content, dir string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if err := os.Chown(path, int(sys.Uid), int(sys.Gid)); err != nil {
		t.Fatal(err)
	}
}

func exitedPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// livePID is a process that lives until the test ends (cat waits for
// input). It runs as the server's user: PostgreSQL treats a PID it may not
// signal as gone, so only a same-user PID makes it refuse the lock file.
func livePID(t *testing.T) int {
	acct, err := serviceAccount()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cat")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acct.credential()}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

func TestAServerThatCannotStartReportsWhy(t *testing.T) {
	// Not parallel: TMPDIR is set so that this test alone owns the
	// directory where socket directories are made.
	tmp := filepath.Dir(testDataDir(t))
	t.Setenv("TMPDIR", tmp)
	dataDir := testDataDir(t)
	s := startServer(t, dataDir, io.Discard)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(s.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("shared_buffers = 'plenty'\n")
	f.Close()

	_, err = Start(t.Context(), Options{DataDir: dataDir, Fast: true})
	t.Run("the error quotes PostgreSQL's own complaint", func(t *testing.T) {
		if err == nil || !strings.Contains(err.Error(), "postgres exited") || !strings.Contains(err.Error(), "shared_buffers") {
			t.Errorf("Start = %v, want an error quoting PostgreSQL's complaint about shared_buffers", err)
		}
	})
	t.Run("no socket directory is left behind", func(t *testing.T) {
		if left, _ := filepath.Glob(filepath.Join(tmp, "ccsub-pg-*")); len(left) != 0 {
			t.Errorf("left behind: %v", left)
		}
	})
}

func TestFallbackWhenThePostgresUserCannotReachTheDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fallback exists only when ccsub runs as root")
	}
	t.Parallel()
	hidden, err := os.MkdirTemp("/tmp", "pgembed-hidden-") // 0700, like /root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hidden) })
	dataDir := filepath.Join(hidden, "data")
	fbRoot := filepath.Dir(testDataDir(t))
	env := setup{find: systemFinder(), fallbackRoot: fbRoot}
	start := func() *Server {
		s, err := start(t.Context(), Options{DataDir: dataDir, Logger: testLogger(t, io.Discard), Fast: true}, env)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(func() { _ = s.Stop() })
		return s
	}

	first := start()
	t.Run("the cluster lives under the fallback root", func(t *testing.T) {
		if !strings.HasPrefix(first.dataDir, fbRoot+"/") {
			t.Errorf("cluster at %s, want it under %s", first.dataDir, fbRoot)
		}
	})
	t.Run("a pointer file in the data dir names it", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dataDir, pointerName))
		if err != nil || strings.TrimSpace(string(b)) != first.dataDir {
			t.Errorf("pointer file = %q, %v; want %s", b, err, first.dataDir)
		}
	})
	t.Run("the inaccessible parent keeps its permissions", func(t *testing.T) {
		if st, _ := os.Stat(hidden); st.Mode().Perm() != 0o700 {
			t.Errorf("%s mode = %v, want 0700 untouched", hidden, st.Mode().Perm())
		}
	})
	t.Run("the next start reuses the same cluster", func(t *testing.T) {
		if err := first.Stop(); err != nil {
			t.Fatal(err)
		}
		if second := start(); second.dataDir != first.dataDir {
			t.Errorf("second start uses %s, first used %s", second.dataDir, first.dataDir)
		}
	})
}
