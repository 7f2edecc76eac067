package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/dbtest"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testSecretKey is the CCSUB_SECRET_KEY of every console started on the
// package's shared database: the cookie keys stored there are sealed with
// the first console's key, so all of them must use the same one.
var testSecretKey = base64.StdEncoding.EncodeToString([]byte("cmd/ccsub test key, 32 bytes...."))

// Bounds on waiting for the program. They are generous because a first
// start under -race runs initdb; a healthy run takes a few seconds.
const (
	startTimeout = 2 * time.Minute
	stopTimeout  = time.Minute
)

// output is a writer that tests can wait on: every Write wakes the waiters.
// It never blocks the program that writes to it.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// snapshot returns what was written so far and a channel closed by the next
// write.
func (o *output) snapshot() (string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String(), o.changed
}

func (o *output) String() string {
	s, _ := o.snapshot()
	return s
}

// console is one `ccsub serve` running in-process through Run().
type console struct {
	URL           string
	AdminPassword string // "" when this start printed none
	Stdout        *output
	Stderr        *output

	cancel   context.CancelFunc
	finished chan struct{}
	err      error // Run's result, valid once finished is closed
	stopOnce sync.Once
}

var (
	servingLine  = regexp.MustCompile(`(?m)^ccsub is serving on (http://\S+)$`)
	passwordLine = regexp.MustCompile(`(?m)^\s+password:\s+(\S+)$`)
)

// startConsole runs `ccsub` with no arguments and the given environment
// (and nothing of the real one), and waits until it prints its address.
func startConsole(t *testing.T, env map[string]string) *console {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &console{Stdout: newOutput(), Stderr: newOutput(), cancel: cancel, finished: make(chan struct{})}
	go func() {
		defer close(c.finished)
		c.err = Run(ctx, nil, getenv(env), strings.NewReader(""), c.Stdout, c.Stderr)
	}()
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("stopping the console at cleanup: %v", err)
		}
	})
	out, err := c.waitFor(t.Context(), servingLine)
	if err != nil {
		t.Fatalf("ccsub did not start: %v\nstdout:\n%s\nstderr:\n%s", err, c.Stdout, c.Stderr)
	}
	c.URL = servingLine.FindStringSubmatch(out)[1]
	if m := passwordLine.FindStringSubmatch(out); m != nil {
		c.AdminPassword = m[1]
	}
	return c
}

// waitFor waits until stdout matches re, Run returns, or the start timeout
// passes, and returns stdout.
func (c *console) waitFor(ctx context.Context, re *regexp.Regexp) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		out, changed := c.Stdout.snapshot()
		if re.MatchString(out) {
			return out, nil
		}
		select {
		case <-changed:
		case <-c.finished:
			if out := c.Stdout.String(); re.MatchString(out) {
				return out, nil
			}
			return "", errors.Join(errors.New("Run returned before printing its address"), c.err)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// stop cancels Run's context (as SIGINT does) and returns Run's result.
func (c *console) stop() error {
	c.stopOnce.Do(c.cancel)
	select {
	case <-c.finished:
		return c.err
	case <-time.After(stopTimeout):
		return errors.New("Run did not return within " + stopTimeout.String() + " after its context ended")
	}
}

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// runCLI runs one ccsub command in-process and returns what it printed.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	err = Run(ctx, args, getenv(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// reachableTempDir is a fresh directory that the postgres system user can
// reach (t.TempDir's parents are 0700), so the private PostgreSQL's cluster
// lives inside it rather than in the fallback under /var/lib/ccsub.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func uniq(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// freshDatabase creates an empty database on the test server for a test
// that must not see what other tests left in the package's database, and
// drops it afterwards.
func freshDatabase(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	base := dbtest.URL(t)
	name := "ccsub_test_" + strings.ReplaceAll(uniq("cmd"), "-", "_")
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// client is a cookie-keeping HTTP client for one console that does not
// follow redirects, so tests see every 303.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn posts the login form and expects the redirect of a success.
func (c *client) signIn(username, password string) {
	c.t.Helper()
	res, body := c.post("/login", url.Values{"username": {username}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d, want 303\n%s", username, res.StatusCode, body)
	}
}

func (c *client) post(path string, v url.Values) (*http.Response, string) {
	c.t.Helper()
	return c.read(c.http.PostForm(c.base+path, v))
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	return c.read(c.http.Get(c.base + path))
}

func (c *client) read(res *http.Response, err error) (*http.Response, string) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, string(body)
}

// page GETs path, expects 200 and parses the HTML.
func (c *client) page(path string) *goquery.Document {
	c.t.Helper()
	res, body := c.get(path)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, want 200\n%s", path, res.StatusCode, body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	return doc
}
