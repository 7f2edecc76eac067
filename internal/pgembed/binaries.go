package pgembed

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrNoBinaries means no PostgreSQL server programs were found. Its
// message names both ways out, because it is shown to whoever starts
// ccsub for the first time.
var ErrNoBinaries = errors.New("no PostgreSQL server programs (initdb, postgres) found: " +
	"install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL to an existing database " +
	"(CCSUB_PG_BIN can point at their directory)")

// EnvBinDir overrides where the PostgreSQL server programs are looked for.
const EnvBinDir = "CCSUB_PG_BIN"

// searchPaths are the usual install locations when the programs are not on
// PATH (Debian/Ubuntu, RHEL, source builds, Homebrew). Versioned globs are
// tried newest first.
func searchPaths() []string {
	return []string{
		"/usr/lib/postgresql/*/bin",
		"/usr/pgsql-*/bin",
		"/usr/local/pgsql/bin",
		"/opt/homebrew/opt/postgresql@*/bin",
		"/opt/homebrew/bin",
		"/usr/local/bin",
	}
}

// finder holds what the search depends on, so tests can replace the
// environment and the install locations.
type finder struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	globs    []string
}

func systemFinder() finder {
	return finder{getenv: os.Getenv, lookPath: exec.LookPath, globs: searchPaths()}
}

// FindBinaries returns the directory holding initdb and postgres:
// $CCSUB_PG_BIN if set (and nothing else), else PATH, else the newest
// version in the usual install locations.
func FindBinaries() (dir string, err error) {
	dirs, err := systemFinder().candidates()
	if err != nil {
		return "", fmt.Errorf("pgembed.FindBinaries: %w", err)
	}
	return dirs[0], nil
}

// candidates lists every directory holding the server programs, best
// first, or ErrNoBinaries.
func (f finder) candidates() ([]string, error) {
	if dir := f.getenv(EnvBinDir); dir != "" {
		if !hasServer(dir) {
			return nil, fmt.Errorf("%s=%s holds no initdb and postgres: %w", EnvBinDir, dir, ErrNoBinaries)
		}
		return []string{dir}, nil
	}
	var dirs []string
	if p, err := f.lookPath("postgres"); err == nil {
		dirs = append(dirs, realDir(p))
	}
	for _, g := range f.globs {
		matches, _ := filepath.Glob(g)
		slices.SortFunc(matches, func(a, b string) int { return compareVersions(b, a) })
		for _, m := range matches {
			dirs = append(dirs, realDir(filepath.Join(m, "postgres")))
		}
	}
	dirs = slices.DeleteFunc(slices.Compact(dirs), func(d string) bool { return !hasServer(d) })
	if len(dirs) == 0 {
		return nil, ErrNoBinaries
	}
	return dirs, nil
}

// realDir follows a symlinked program (Homebrew, /usr/local/bin links) to
// the directory of the real one, where its siblings live.
func realDir(program string) string {
	if p, err := filepath.EvalSymlinks(program); err == nil {
		return filepath.Dir(p)
	}
	return filepath.Dir(program)
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// compareVersions orders paths by the numbers in them, so
// /usr/lib/postgresql/16 sorts after /usr/lib/postgresql/9.6.
func compareVersions(a, b string) int {
	notDigit := func(r rune) bool { return r < '0' || r > '9' }
	na, nb := strings.FieldsFunc(a, notDigit), strings.FieldsFunc(b, notDigit)
	for i := 0; i < len(na) && i < len(nb); i++ {
		x, _ := strconv.Atoi(na[i])
		y, _ := strconv.Atoi(nb[i])
		if x != y {
			return x - y
		}
	}
	return len(na) - len(nb)
}

// majorVersion asks the server program in dir for its major version
// ("15" from "postgres (PostgreSQL) 15.20 (Debian ...)").
func majorVersion(dir string) (string, error) {
	out, err := exec.Command(filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s/postgres --version: %w", dir, err)
	}
	m := regexp.MustCompile(`\(PostgreSQL\) (\d+)`).FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s/postgres --version: unexpected answer %q", dir, strings.TrimSpace(string(out)))
	}
	return string(m[1]), nil
}

// forCluster picks binaries able to run a cluster made by major version
// want ("" for a new cluster): a major upgrade of the system packages must
// not make ccsub start a server that refuses the existing data.
func (f finder) forCluster(want string) (dir, major string, err error) {
	dirs, err := f.candidates()
	if err != nil {
		return "", "", err
	}
	var found []string
	for _, d := range dirs {
		v, err := majorVersion(d)
		if err != nil {
			return "", "", err
		}
		if want == "" || v == want {
			return d, v, nil
		}
		found = append(found, v+" in "+d)
	}
	return "", "", fmt.Errorf("the database was created by PostgreSQL %s but only %s is installed: "+
		"install PostgreSQL %s's server or point %s at it", want, strings.Join(found, ", "), want, EnvBinDir)
}
