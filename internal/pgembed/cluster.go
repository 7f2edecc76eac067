package pgembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// clusterVersion is the major version that made the cluster in pgdata,
// or "" when there is none yet.
func clusterVersion(pgdata string) string {
	b, err := os.ReadFile(filepath.Join(pgdata, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// initCluster runs initdb when pgdata holds no cluster. It initialises a
// sibling directory and renames it into place, so a crash during initdb
// leaves no half-made cluster that a later start would try to use.
func initCluster(ctx context.Context, bin, pgdata string, acct *account, fast bool, log *slog.Logger) error {
	if clusterVersion(pgdata) != "" {
		return nil
	}
	if err := os.Remove(pgdata); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s exists but holds no PostgreSQL cluster; move it away: %w", pgdata, err)
	}
	tmp := pgdata + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove leftover %s: %w", tmp, err)
	}
	if err := os.MkdirAll(filepath.Dir(tmp), 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	if err := acct.chown(tmp); err != nil {
		return err
	}
	began := time.Now()
	if err := runInitdb(ctx, bin, tmp, acct, fast); err != nil {
		return err
	}
	if err := os.Rename(tmp, pgdata); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	log.Info("created a new PostgreSQL cluster", "data", pgdata, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// runInitdb: trust authentication on the Unix socket only (the socket
// directory is private to ccsub's user), TCP refused, UTF8 with the C
// locale so sorting does not depend on the host's locales.
func runInitdb(ctx context.Context, bin, dir string, acct *account, fast bool) error {
	args := []string{"-D", dir, "-U", "postgres", "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=reject"}
	if fast {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	cmd.Env, cmd.Dir = childEnv(bin), "/"
	cmd.SysProcAttr = sysProcAttr(acct, syscall.SIGKILL)
	out, err := runLocked(cmd)
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, lastLines(string(out), 8))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// serverCommand configures everything on the command line rather than in
// postgresql.conf, so each start decides (Fast or not) and an operator's
// edits to the file cannot reopen TCP.
func serverCommand(bin, pgdata, sock string, acct *account, fast bool) *exec.Cmd {
	args := []string{"-D", pgdata, "-k", sock, "-c", "listen_addresses=", "-c", "cluster_name=ccsub"}
	if fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Env, cmd.Dir = childEnv(bin), "/"
	// If ccsub dies, SIGINT asks for PostgreSQL's fast shutdown: sessions
	// end, a checkpoint is written, and the next start needs no recovery.
	cmd.SysProcAttr = sysProcAttr(acct, syscall.SIGINT)
	return cmd
}

// checkNotRunning refuses a data dir that a live server still uses, and
// removes a postmaster.pid naming a live process that is not PostgreSQL on
// this directory (a PID reused after a crash or container restart), which
// PostgreSQL itself would mistake for a running server. A PID that is gone
// is left to PostgreSQL, which handles that case itself.
func checkNotRunning(pgdata string, log *slog.Logger) error {
	pidFile := filepath.Join(pgdata, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return nil
	}
	users, ok := processesIn(pgdata)
	if !ok {
		return nil
	}
	if len(users) > 0 {
		return &runningError{pid: users[0], pgdata: pgdata}
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid <= 0 || !alive(pid) {
		return nil
	}
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("remove stale postmaster.pid: %w", err)
	}
	log.Warn("removed a stale postmaster.pid whose PID now belongs to another program", "pid", pid, "data", pgdata)
	return nil
}

// runningError says another process's server already runs on the cluster.
type runningError struct {
	pid    int
	pgdata string
}

func (e *runningError) Error() string {
	return fmt.Sprintf("a PostgreSQL server (PID %d) is already running on %s, probably for another ccsub "+
		"with the same CCSUB_DATA_DIR: stop that one, or give this one its own data dir or DATABASE_URL", e.pid, e.pgdata)
}

// runningSocketDir reads the socket directory a running server announced
// in its postmaster.pid (line 5).
func runningSocketDir(pgdata string) (string, error) {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 || strings.TrimSpace(lines[4]) == "" {
		return "", errors.New("postmaster.pid names no socket directory yet")
	}
	return strings.TrimSpace(lines[4]), nil
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// awaitReady connects until the server accepts connections, the server
// exits, or ctx ends; then creates the ccsub database if it is missing.
func (s *Server) awaitReady(ctx context.Context) error {
	conn, err := s.connectWhenReady(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return ensureDatabase(ctx, conn)
}

func (s *Server) connectWhenReady(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(socketURL(s.sockDir, "postgres"))
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = 5 * time.Second
	backoff := 5 * time.Millisecond
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			return conn, nil
		}
		select {
		case <-s.proc.done:
			return nil, s.proc.exited()
		case <-ctx.Done():
			return nil, fmt.Errorf("postgres did not accept connections in time (%w); last error: %v; its last messages: %s",
				ctx.Err(), err, s.proc.out.String())
		case <-time.After(backoff):
			backoff = min(2*backoff, 50*time.Millisecond)
		}
	}
}

func ensureDatabase(ctx context.Context, conn *pgx.Conn) error {
	var found bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&found); err != nil {
		return fmt.Errorf("look for database %s: %w", Database, err)
	}
	if found {
		return nil
	}
	_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", Database, err)
	}
	return nil
}
