// Package architecture holds the rules of the house about which package may
// import which, and a checker that tests them against the module's import
// graph as `go list` sees it.
//
// The rules are data: each names the packages it constrains, the imports they
// may not have and, where the layering is tight, the only packages of ours
// they may import. Patterns are written relative to the module path read from
// go.mod ("internal/store", not "ccsub/internal/store"), so a fixture module
// with the same path is checked by the same table. Paths outside the module
// ("net/http", "github.com/jackc/pgx/...") are matched as they are. As in
// `go list`, "..." matches any string: "web/..." is web and everything below
// it, "...test" is any package whose path ends in "test".
//
// Only direct, non-test imports count: a test may reach for whatever it needs,
// and an indirect dependency is governed by the rule on the package in between.
// A rule about a package that does not exist simply matches nothing.
package architecture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// A Rule constrains the direct imports of the packages in From.
type Rule struct {
	Why    string   // the rule in words, printed after every violation
	From   []string // packages the rule applies to
	Except []string // packages in From that the rule leaves alone
	Deny   []string // imports the packages in From may not have
	Only   []string // if non-nil, the only packages of ours they may import
}

// none is an allow-list that allows nothing of ours; a nil Only allows all.
var none = []string{}

var (
	views       = []string{"web/..."}
	doors       = []string{"internal/server", "internal/api", "internal/receiver", "internal/export", "internal/cli"}
	httpDoors   = []string{"internal/server", "internal/api", "internal/receiver", "internal/export"}
	actions     = []string{"internal/subscribe", "internal/gateways", "internal/access", "internal/audit", "internal/retention"}
	root        = []string{"internal/app"}
	foundations = []string{
		"internal/config", "internal/secret", "internal/password", "internal/apitoken", "internal/database",
		"internal/pgembed", "internal/metrics", "internal/httpkit", "internal/form", "internal/ratelimit",
		"internal/journal", "internal/i18n",
	}
)

// Rules are the rules of the house; docs/architecture.md gives the reasons.
var Rules = []Rule{
	// 1. Views render view models handed to them by a door.
	{
		Why:  "views never import the store, the gateway client, pgx or an action",
		From: views,
		Only: []string{"web/...", "internal/domain", "internal/form", "internal/i18n", "static"},
		Deny: []string{"github.com/jackc/pgx/..."},
	},
	// 2-5. The lower layers lean only on the domain, or on nothing of ours.
	{Why: "the gateway client imports only the domain", From: []string{"internal/gateway"}, Only: []string{"internal/domain"}},
	{Why: "the simulator stands in for a foreign system and imports nothing of ours", From: []string{"internal/gatewaysim"}, Only: none},
	{Why: "the domain imports nothing of ours", From: []string{"internal/domain"}, Only: none},
	{Why: "the store imports only the domain", From: []string{"internal/store"}, Only: []string{"internal/domain"}},
	// 6. A door that needs another door's behaviour should share an action instead.
	{Why: "doors never import each other", From: doors, Deny: doors},
	// 7. Actions are the behaviour every door shares, so they know no door.
	{
		Why:  "actions never import a door, a view, the HTTP helper, the form parser or the composition root",
		From: actions,
		Deny: join(doors, views, []string{"internal/httpkit", "internal/form"}, root),
	},
	// 8. Wiring servers and background loops together is the root's job alone.
	{
		Why:    "only the composition root imports the HTTP doors, the keepalive and the simulator",
		From:   []string{"..."},
		Except: root,
		Deny:   join(httpDoors, []string{"internal/keepalive"}),
	},
	{
		Why:    "only the composition root, cmd/ccgw-sim and test helpers import the simulator",
		From:   []string{"..."},
		Except: join(root, []string{"cmd/ccgw-sim", "...test"}),
		Deny:   []string{"internal/gatewaysim"},
	},
	// 9. cmd/ holds no logic.
	{Why: "cmd/ holds no logic: cmd/ccsub imports only the command line", From: []string{"cmd/ccsub"}, Only: []string{"internal/cli"}},
	{Why: "cmd/ holds no logic: cmd/ccgw-sim imports only the simulator", From: []string{"cmd/ccgw-sim"}, Only: []string{"internal/gatewaysim"}},
	// 10. Foundations sit below everything that uses them.
	{
		Why:  "foundations import no action, door, view or root",
		From: foundations,
		Deny: join(actions, doors, views, root, []string{"internal/keepalive"}),
	},
	{Why: "config imports nothing of ours", From: []string{"internal/config"}, Only: none},
	{Why: "the rate limiter imports nothing of ours", From: []string{"internal/ratelimit"}, Only: none},
	{Why: "the journal imports nothing of ours", From: []string{"internal/journal"}, Only: none},
	{Why: "the message catalogs import nothing of ours", From: []string{"internal/i18n"}, Only: none},
	{Why: "metrics never imports the store", From: []string{"internal/metrics"}, Deny: []string{"internal/store"}},
	// 11. Starting a private Postgres belongs to the process, tests and scripts.
	{
		Why:    "only the composition root, the command line, test helpers and scripts import the embedded Postgres",
		From:   []string{"..."},
		Except: join(root, []string{"internal/cli", "...test", "scripts/..."}),
		Deny:   []string{"internal/pgembed"},
	},
	// 12. The seeder is a tool of the command line, not an action: it writes
	// through the store's bulk interface and knows nothing above it.
	{
		Why:  "the seeder imports only the store, the domain and secret",
		From: []string{"internal/seed"},
		Only: []string{"internal/store", "internal/domain", "internal/secret"},
	},
	{
		Why:    "only the command line, test helpers and scripts import the seeder",
		From:   []string{"..."},
		Except: []string{"internal/cli", "...test", "scripts/..."},
		Deny:   []string{"internal/seed"},
	},
}

// listedPackage is the part of `go list -json` output the checker reads.
type listedPackage struct {
	ImportPath string
	Imports    []string // direct imports of the non-test files
	Error      *struct{ Err string }
}

// Check loads the packages of the module in dir and returns the violations
// of rules, sorted, as "web/x imports internal/store: why".
func Check(dir string, rules []Rule) ([]string, error) {
	module, err := modulePath(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, err
	}
	pkgs, err := load(dir)
	if err != nil {
		return nil, err
	}
	return violations(module, pkgs, rules), nil
}

// violations checks already loaded packages of module against rules.
func violations(module string, pkgs []listedPackage, rules []Rule) []string {
	var out []string
	for _, p := range pkgs {
		from, _ := relative(module, p.ImportPath)
		for _, r := range rules {
			if !matchAny(r.From, from) || matchAny(r.Except, from) {
				continue
			}
			for _, imp := range p.Imports {
				to, ours := relative(module, imp)
				if matchAny(r.Deny, to) || (ours && r.Only != nil && !matchAny(r.Only, to)) {
					out = append(out, fmt.Sprintf("%s imports %s: %s", from, to, r.Why))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out) // two rules may give the same reason twice
}

// load lists every package of the module in dir, excluding testdata.
func load(dir string) ([]listedPackage, error) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Error", "./...")
	cmd.Dir = dir
	// GOWORK=off keeps a go.work above dir from widening the module; -mod=readonly
	// keeps go list from rewriting go.mod or reaching for the network to fix it.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %v\n%s", dir, err, stderr.Bytes())
	}
	var pkgs []listedPackage
	var errs []error
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list output: %v", err)
		}
		// A package go list could not load has an incomplete import list, so
		// checking it would pass for the wrong reason.
		if p.Error != nil {
			errs = append(errs, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err))
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, errors.Join(errs...)
}

// modulePath reads the module path from the module directive of a go.mod.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		line, _, _ := strings.Cut(s.Text(), "//")
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module directive", gomod)
}

// relative returns path relative to module, and whether it is one of ours.
func relative(module, path string) (string, bool) {
	if path == module {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(path, module+"/"); ok {
		return rest, true
	}
	return path, false
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// match reports whether path matches pattern, where a single "..." matches
// any string and a trailing "/..." also matches the directory itself.
func match(pattern, path string) bool {
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok && path == dir {
		return true
	}
	before, after, wild := strings.Cut(pattern, "...")
	if !wild {
		return path == pattern
	}
	return len(path) >= len(before)+len(after) && strings.HasPrefix(path, before) && strings.HasSuffix(path, after)
}

func join(lists ...[]string) []string { return slices.Concat(lists...) }
