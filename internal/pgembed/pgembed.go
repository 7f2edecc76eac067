// Package pgembed runs a private PostgreSQL server from the machine's own
// PostgreSQL programs, so ccsub works without any database setup: the
// cluster lives in ccsub's data dir, is created on the first start, reused
// afterwards, and listens only on a Unix socket in a private directory.
//
// As root, PostgreSQL runs as the "postgres" system user (its programs
// refuse root). The server gets a parent-death signal (Linux) so it shuts
// down when ccsub dies, even by SIGKILL. A data dir whose server is still
// running (another ccsub on the same CCSUB_DATA_DIR) is refused with a clear
// error rather than shared, because two owners would stop it under each
// other; a postmaster.pid left by a crash does not block the next start.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configure Start.
type Options struct {
	DataDir string       // ccsub's data dir; PG data lives in DataDir/postgres (or a fallback, see package doc)
	Logger  *slog.Logger // nil discards
	Fast    bool         // fsync=off, synchronous_commit=off: for tests, never for real data
	// Attach connects to the server another ccsub process already runs on
	// this data dir instead of refusing; Stop then leaves it running. For
	// short commands (ccsub user add, token create) next to a running console.
	Attach bool
}

// Database is the database Start creates for ccsub.
const Database = "ccsub"

// startTimeout bounds initdb plus startup when the caller's context does not.
const startTimeout = 2 * time.Minute

// Server is a running private PostgreSQL.
type Server struct {
	log      *slog.Logger
	dataDir  string // the cluster directory
	sockDir  string
	proc     *process // nil when attached to another process's server
	stopOnce sync.Once
	stopErr  error
}

// setup is what Start depends on beyond Options, replaceable in tests.
type setup struct {
	find         finder
	fallbackRoot string
}

// Start creates the cluster if needed, starts the server and waits until
// it accepts connections, and creates the "ccsub" database if missing. ctx
// bounds only the startup; the server runs until Stop.
func Start(ctx context.Context, o Options) (*Server, error) {
	return start(ctx, o, setup{find: systemFinder(), fallbackRoot: fallbackRoot})
}

func start(ctx context.Context, o Options, env setup) (*Server, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	began := time.Now()
	s, major, err := prepareAndLaunch(ctx, o, env, log)
	var running *runningError
	if errors.As(err, &running) && o.Attach {
		return attach(running.pgdata, log)
	}
	if err != nil {
		return nil, fmt.Errorf("pgembed.Start(%s): %w", o.DataDir, err)
	}
	if err := s.awaitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("pgembed.Start(%s): %w", o.DataDir, err)
	}
	log.Info("private PostgreSQL ready", "version", major, "data", s.dataDir,
		"socket_dir", s.sockDir, "took", time.Since(began).Round(time.Millisecond))
	return s, nil
}

// prepareAndLaunch does everything up to a started (not yet ready) server.
func prepareAndLaunch(ctx context.Context, o Options, env setup, log *slog.Logger) (*Server, string, error) {
	if o.DataDir == "" {
		return nil, "", errors.New("no data dir given")
	}
	acct, err := serviceAccount()
	if err != nil {
		return nil, "", err
	}
	pgdata, err := clusterDir(o.DataDir, acct, env.fallbackRoot, log)
	if err != nil {
		return nil, "", err
	}
	bin, major, err := env.find.forCluster(clusterVersion(pgdata))
	if err != nil {
		return nil, "", err
	}
	if err := initCluster(ctx, bin, pgdata, acct, o.Fast, log); err != nil {
		return nil, "", err
	}
	if pgdata, err = filepath.EvalSymlinks(pgdata); err != nil {
		return nil, "", err
	}
	if err := checkNotRunning(pgdata, log); err != nil {
		return nil, "", err
	}
	s, err := launchServer(bin, pgdata, acct, o.Fast, log)
	return s, major, err
}

func launchServer(bin, pgdata string, acct *account, fast bool, log *slog.Logger) (*Server, error) {
	sock, err := makeSocketDir(acct)
	if err != nil {
		return nil, err
	}
	p, err := launch(serverCommand(bin, pgdata, sock, acct, fast), log)
	if err != nil {
		os.RemoveAll(sock)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	return &Server{log: log, dataDir: pgdata, sockDir: sock, proc: p}, nil
}

// URL is a pgx connection string for the "ccsub" database over the socket.
func (s *Server) URL() string { return socketURL(s.sockDir, Database) }

// Stop shuts the server down (fast shutdown) and waits for it to exit. It
// is safe to call more than once; later calls return the first result.
func (s *Server) Stop() error {
	if s.proc == nil {
		return nil // attached: the server belongs to another process
	}
	s.stopOnce.Do(func() {
		err := s.proc.stop()
		if rmErr := os.RemoveAll(s.sockDir); err == nil && rmErr != nil {
			err = rmErr
		}
		if err != nil {
			s.stopErr = fmt.Errorf("pgembed.Stop: %w", err)
			return
		}
		s.log.Info("private PostgreSQL stopped", "data", s.dataDir)
	})
	return s.stopErr
}

// attach returns a handle on a server another process runs.
func attach(pgdata string, log *slog.Logger) (*Server, error) {
	dir, err := runningSocketDir(pgdata)
	if err != nil {
		return nil, fmt.Errorf("pgembed.Start: attach to the server running on %s: %w", pgdata, err)
	}
	log.Debug("using the private PostgreSQL another ccsub runs", "data", pgdata, "socket_dir", dir)
	return &Server{log: log, dataDir: pgdata, sockDir: dir}, nil
}

// socketURL builds "postgres://postgres@/db?host=/dir&sslmode=disable".
// Slashes stay readable: they are valid in a query string.
func socketURL(sockDir, db string) string {
	host := strings.ReplaceAll(url.QueryEscape(sockDir), "%2F", "/")
	return "postgres://postgres@/" + url.PathEscape(db) + "?host=" + host + "&sslmode=disable"
}

// makeSocketDir creates a private directory for the server's socket. Unix
// socket paths are limited to about 100 bytes, so it goes under a short
// temporary directory, and gets a random name so no other user can claim
// it in advance.
func makeSocketDir(acct *account) (string, error) {
	base := os.TempDir()
	if len(base) > 40 || (acct != nil && !acct.canReach(base)) {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "ccsub-pg-")
	if err != nil {
		return "", fmt.Errorf("socket dir: %w", err)
	}
	if err := acct.chown(dir); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("socket dir: %w", err)
	}
	return dir, nil
}

// childEnv is the whole environment of initdb and postgres: ccsub's own
// environment holds secrets (CCSUB_SECRET_KEY, DATABASE_URL) that must not
// be readable in another user's /proc/<pid>/environ, and PG* variables
// that would redirect the server.
func childEnv(bin string) []string {
	return []string{"PATH=" + bin + ":/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC"}
}
