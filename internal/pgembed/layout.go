package pgembed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	clusterDirName = "postgres"          // the cluster inside ccsub's data dir
	pointerName    = "postgres.location" // where the cluster lives when it can't be inside
	fallbackRoot   = "/var/lib/ccsub"
)

// account is the system user PostgreSQL runs as when ccsub runs as root:
// initdb and postgres refuse to run as root.
type account struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32
}

// serviceAccount returns nil when ccsub is not root: then PostgreSQL simply
// runs as the current user.
func serviceAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the \"postgres\" system user to run PostgreSQL "+
			"(installing the postgresql package creates it), or run ccsub as a regular user: %w", err)
	}
	a := &account{name: u.Username, uid: atou(u.Uid), gid: atou(u.Gid)}
	gids, _ := u.GroupIds()
	for _, g := range gids {
		a.groups = append(a.groups, atou(g))
	}
	return a, nil
}

func atou(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}

// credential makes a child process run as a (nil: as ourselves).
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.groups}
}

// chown gives path to a; a no-op when not root.
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Chown(path, int(a.uid), int(a.gid))
}

// canSearch reports whether a may pass through directory dir, from its
// owner, group and mode bits (ACLs are not considered; initdb reports them).
func (a *account) canSearch(dir string) bool {
	st, err := os.Stat(dir)
	if err != nil {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := st.Mode().Perm()
	switch {
	case sys.Uid == a.uid:
		return perm&0o100 != 0
	case sys.Gid == a.gid || containsGid(a.groups, sys.Gid):
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

func containsGid(gids []uint32, g uint32) bool {
	for _, x := range gids {
		if x == g {
			return true
		}
	}
	return false
}

// canReach reports whether a can search every directory from / down to dir.
func (a *account) canReach(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		if !a.canSearch(d) {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// clusterDir decides where the PostgreSQL cluster for dataDir lives and
// creates dataDir. Not as root it is dataDir/postgres. As root it is the
// same when the postgres user can reach it; otherwise (a data dir under
// /root, say) it is a fixed directory under root, recorded in a pointer
// file so later starts find it even if the rule changes.
func clusterDir(dataDir string, acct *account, fbRoot string, log *slog.Logger) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err == nil {
		err = os.MkdirAll(abs, 0o700)
	}
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	inside := filepath.Join(abs, clusterDirName)
	if acct == nil || exists(filepath.Join(inside, "PG_VERSION")) {
		return inside, nil
	}
	if target, ok := readPointer(abs); ok {
		return target, nil
	}
	if openTo(acct, abs, log) {
		return inside, nil
	}
	return fallback(abs, acct, fbRoot, log)
}

// openTo lets acct search (not list) dataDir when only that bit is
// missing: the data dir is ccsub's own and its secrets are files with mode
// 0600, so search permission exposes nothing.
func openTo(acct *account, dataDir string, log *slog.Logger) bool {
	if !acct.canReach(filepath.Dir(dataDir)) {
		return false
	}
	if acct.canSearch(dataDir) {
		return true
	}
	st, err := os.Stat(dataDir)
	if err != nil {
		return false
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Uid != uint32(os.Geteuid()) {
		return false
	}
	if err := os.Chmod(dataDir, st.Mode().Perm()|0o011); err != nil {
		return false
	}
	log.Info("made the data dir searchable (not readable) by the postgres user", "dir", dataDir)
	return acct.canSearch(dataDir)
}

// fallback places the cluster under fbRoot, named by a hash of the data
// dir so that each data dir gets its own cluster and a restart finds it.
func fallback(dataDir string, acct *account, fbRoot string, log *slog.Logger) (string, error) {
	sum := sha256.Sum256([]byte(dataDir))
	parent := filepath.Join(fbRoot, hex.EncodeToString(sum[:])[:12])
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("fallback for data dir: %w", err)
	}
	if !acct.canReach(parent) {
		return "", fmt.Errorf("the postgres user can reach neither %s nor %s: move CCSUB_DATA_DIR "+
			"to a directory it can reach (not under /root) or set DATABASE_URL", dataDir, parent)
	}
	target := filepath.Join(parent, clusterDirName)
	if err := os.WriteFile(filepath.Join(dataDir, pointerName), []byte(target+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write pointer file: %w", err)
	}
	log.Info("the postgres user cannot reach the data dir; PostgreSQL's data lives elsewhere",
		"data_dir", dataDir, "postgres_data", target, "pointer", filepath.Join(dataDir, pointerName))
	return target, nil
}

func readPointer(dataDir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, pointerName))
	if err != nil {
		return "", false
	}
	target := strings.TrimSpace(string(b))
	return target, filepath.IsAbs(target)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
