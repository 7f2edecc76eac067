package architecture

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestImportRules(t *testing.T) {
	violations, err := Check(moduleRoot(t), Rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		t.Errorf("%s", v)
	}
	if len(violations) > 0 {
		t.Logf("%d import(s) break the rules of the house; docs/architecture.md explains each rule, and rules.go states them", len(violations))
	}
}

// The checker is itself code that can rot into passing everything, so it is
// run on fixture modules whose violations are known.
func TestImportRulesCatchBrokenFixture(t *testing.T) {
	t.Run("every deliberate break in testdata/broken is reported, and nothing else", func(t *testing.T) {
		got, err := Check(filepath.Join("testdata", "broken"), Rules)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"cmd/ccsub imports internal/store: cmd/ holds no logic: cmd/ccsub imports only the command line",
			"internal/gateway imports internal/store: the gateway client imports only the domain",
			"internal/server imports internal/api: doors never import each other",
			"internal/server imports internal/api: only the composition root imports the HTTP doors, the keepalive and the simulator",
			"web/gateways imports internal/store: views never import the store, the gateway client, pgx or an action",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("violations in testdata/broken (-want +got):\n%s", diff)
		}
	})
	t.Run("a module that keeps every rule in testdata/clean reports nothing", func(t *testing.T) {
		got, err := Check(filepath.Join("testdata", "clean"), Rules)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			t.Errorf("testdata/clean should obey every rule, got:\n%s", strings.Join(got, "\n"))
		}
	})
	// The fixtures cannot hold third-party modules offline, so third-party
	// patterns such as the pgx ban are checked on a listed package directly.
	t.Run("a view importing pgx is reported by its full import path", func(t *testing.T) {
		pkgs := []listedPackage{{ImportPath: "ccsub/web/inbox", Imports: []string{"ccsub/internal/domain", "github.com/jackc/pgx/v5/pgxpool", "net/http"}}}
		got := violations("ccsub", pkgs, Rules)
		want := []string{"web/inbox imports github.com/jackc/pgx/v5/pgxpool: views never import the store, the gateway client, pgx or an action"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("violations (-want +got):\n%s", diff)
		}
	})
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"internal/store", "internal/store", true},
		{"internal/store", "internal/store/storetest", false},
		{"web/...", "web", true},
		{"web/...", "web/gateways", true},
		{"web/...", "webhooks", false},
		{"github.com/jackc/pgx/...", "github.com/jackc/pgx/v5/pgxpool", true},
		{"...test", "internal/store/storetest", true},
		{"...test", "internal/store", false},
		{"...", "cmd/ccsub", true},
	}
	for _, tt := range tests {
		if got := match(tt.pattern, tt.path); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

// moduleRoot finds the directory of the module under test, wherever go test
// runs from.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		t.Fatal("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod)
}
