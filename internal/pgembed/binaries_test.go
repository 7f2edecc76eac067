package pgembed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinariesWithAnEmptyOverrideNamesBothFixes(t *testing.T) {
	t.Setenv(EnvBinDir, t.TempDir())
	_, err := FindBinaries()
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("FindBinaries = %v, want ErrNoBinaries", err)
	}
	for _, fix := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), fix) {
			t.Errorf("error %q does not mention %q", err, fix)
		}
	}
}

func TestFindBinariesFindsTheMachinesPostgreSQL(t *testing.T) {
	t.Setenv(EnvBinDir, "")
	dir, err := FindBinaries()
	if err != nil {
		t.Fatalf("FindBinaries: %v (is PostgreSQL installed?)", err)
	}
	if !hasServer(dir) {
		t.Errorf("FindBinaries = %s, which lacks initdb or postgres", dir)
	}
}

// fakeInstall creates root/<version>/bin with an initdb and a postgres
// that only answers --version, as a package of that version would.
func fakeInstall(t *testing.T, root, version string, programs ...string) string {
	t.Helper()
	bin := filepath.Join(root, version, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho 'postgres (PostgreSQL) " + version + ".3 (Fake)'\n"
	for _, p := range programs {
		if err := os.WriteFile(filepath.Join(bin, p), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

func fakeFinder(root string) finder {
	return finder{
		getenv:   func(string) string { return "" },
		lookPath: func(string) (string, error) { return "", errors.New("not on PATH") },
		globs:    []string{filepath.Join(root, "*", "bin")},
	}
}

func TestFinderChoosesBinaries(t *testing.T) {
	root := t.TempDir()
	v9 := fakeInstall(t, root, "9", "initdb", "postgres")
	v15 := fakeInstall(t, root, "15", "initdb", "postgres")
	fakeInstall(t, root, "17", "postgres") // client-only or broken install: no initdb
	f := fakeFinder(root)

	tests := []struct {
		name    string
		cluster string
		want    string
		wantErr string
	}{
		{"a new cluster gets the newest complete install, compared as numbers", "", v15, ""},
		{"an existing cluster gets binaries of its own major version", "9", v9, ""},
		{"a cluster from a version that is not installed is a clear error", "14", "", "created by PostgreSQL 14 but only 15 in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _, err := f.forCluster(tt.cluster)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("forCluster(%q) = %s, %v; want error containing %q", tt.cluster, dir, err, tt.wantErr)
				}
				return
			}
			if err != nil || dir != tt.want {
				t.Errorf("forCluster(%q) = %s, %v; want %s", tt.cluster, dir, err, tt.want)
			}
		})
	}
}

func TestFinderWithNothingInstalledIsErrNoBinaries(t *testing.T) {
	if _, err := fakeFinder(t.TempDir()).candidates(); !errors.Is(err, ErrNoBinaries) {
		t.Errorf("candidates = %v, want ErrNoBinaries", err)
	}
}
