// Package apptest builds a whole console for tests through the composition
// root: on the test package's real PostgreSQL database, served by httptest,
// talking to its own gateway simulator over real HTTPS. The doors' tests
// embed Env and add helpers of their own.
package apptest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/config"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/metrics"
	"ccsub/internal/password"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The simulator's administrator account, and the password of every user
// the harness creates.
const (
	SimAgent     = 100001
	SimPassword  = "sim-password-1"
	TestPassword = "correct horse battery staple"
)

// SimSubscriptionServers are the callback hosts the tests register with
// the harness's simulator (ccsub's own receiver is on 127.0.0.1, over
// plain http, so the simulator also has AllowHTTPLoopback).
var SimSubscriptionServers = []string{"127.0.0.1", "crm.example.com", "new.example.com", "ivr.example.com",
	"cb.example.com", "other.example.com", "x.example.com"}

// Key is the secret key of every test console.
var Key = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// SessionKeys are the cookie keys of every test console.
var SessionKeys = [][]byte{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")}

// Env is one console on the package's real database, talking to its own
// simulator over real HTTPS.
type Env struct {
	T    *testing.T
	App  *app.App
	St   *store.Store
	Keys *secret.Keyring
	Svc  *subscribe.Service
	M    *metrics.Metrics
	Sim  *gatewaysim.Sim
	Srv  *httptest.Server
	Gw   domain.Gateway
	Logs *LogBuffer
}

// New is a console on the package's database (dbtest.Pool).
func New(t *testing.T) *Env {
	t.Helper()
	return NewOn(t, dbtest.Pool(t))
}

// NewTuned is New with the configuration changed by tune first, e.g. to
// give the console low rate limits.
func NewTuned(t *testing.T, tune func(*config.Config)) *Env {
	t.Helper()
	return newOn(t, dbtest.Pool(t), tune)
}

// NewOn is New on a given database, e.g. one of the test's own
// (dbtest.Isolated) for a test that scans whole tables.
func NewOn(t *testing.T, pool *pgxpool.Pool) *Env {
	t.Helper()
	return newOn(t, pool, nil)
}

// NewEmpty is a console on pool as on its first start: no user and no
// gateway yet (e.Gw is zero), its simulator running for a gateway to be
// added. pool is usually the test's own (dbtest.Isolated), so that the
// console really has no user.
func NewEmpty(t *testing.T, pool *pgxpool.Pool) *Env {
	t.Helper()
	return newBare(t, pool, nil)
}

func newOn(t *testing.T, pool *pgxpool.Pool, tune func(*config.Config)) *Env {
	t.Helper()
	e := newBare(t, pool, tune)
	e.Gw = e.AddGateway(Uniq("gw"), e.Sim.URL(), string(e.Sim.CAPEM()), SimPassword)
	return e
}

// newBare is a console and its simulator, without a gateway.
func newBare(t *testing.T, pool *pgxpool.Pool, tune func(*config.Config)) *Env {
	t.Helper()
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{SimAgent: SimPassword},
		SubscriptionServers: SimSubscriptionServers, AllowHTTPLoopback: true})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	e := &Env{T: t, Sim: sim, Logs: &LogBuffer{}}
	e.App, e.Srv = serve(t, pool, e.Logger(), tune)
	e.St, e.Keys, e.Svc, e.M = e.App.Store, e.App.Keys, e.App.Subscribe, e.App.Metrics
	return e
}

// Serve is a console on pool served by httptest, its public URL the
// server's, built by the composition root; benchmarks use it directly.
func Serve(tb testing.TB, pool *pgxpool.Pool, log *slog.Logger) (*app.App, *httptest.Server) {
	tb.Helper()
	return serve(tb, pool, log, nil)
}

func serve(tb testing.TB, pool *pgxpool.Pool, log *slog.Logger, tune func(*config.Config)) (*app.App, *httptest.Server) {
	tb.Helper()
	keys, err := secret.ParseKeys(Key)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	tb.Cleanup(srv.Close)
	cfg := Config(srv.URL)
	cfg.DataDir = tb.TempDir() // the journal's
	if tune != nil {
		tune(&cfg)
	}
	a := app.New(app.Parts{Config: cfg, Log: log, Pool: pool, Keys: keys})
	tb.Cleanup(a.Retention.Stop) // a retention run started from a page ends with the test
	srv.Config.Handler = a.Handler(SessionKeys)
	return a, srv
}

// Config is a test console's configuration, reached at publicURL.
func Config(publicURL string) config.Config {
	return config.Config{PublicURL: publicURL, GatewayCallTimeout: 5 * time.Second, SessionMaxAge: time.Hour,
		HandshakeInterval: 2 * time.Minute}
}

// Logger writes to the env's log buffer, at debug level.
func (e *Env) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// OtherProcess is a second console on the same database with the given
// cookie keys, as another ccsub process would be.
func (e *Env) OtherProcess(sessionKeys ...[]byte) *httptest.Server {
	e.T.Helper()
	a := app.New(app.Parts{Config: Config(e.Srv.URL), Log: e.Logger(), Pool: e.St.Pool(), Keys: e.Keys})
	ts := httptest.NewServer(a.Handler(sessionKeys))
	e.T.Cleanup(ts.Close)
	return ts
}

// AddGateway stores a gateway straight into the store.
func (e *Env) AddGateway(name, baseURL, ca, pw string) domain.Gateway {
	e.T.Helper()
	return AddGateway(e.T, e.App, name, baseURL, ca, pw)
}

// AddGateway stores a gateway of the simulator's agent into a's store.
func AddGateway(tb testing.TB, a *app.App, name, baseURL, ca, pw string) domain.Gateway {
	tb.Helper()
	sealed, err := a.Keys.Seal([]byte(pw), secret.PurposeGatewayPassword)
	if err != nil {
		tb.Fatal(err)
	}
	g, err := a.Store.CreateGateway(context.Background(), domain.GatewayInput{Name: name, BaseURL: baseURL, AgentID: SimAgent, PasswordSealed: sealed, CAPEM: ca})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// Account creates a user with the role and TestPassword, without signing
// in.
func (e *Env) Account(role domain.Role) domain.User {
	e.T.Helper()
	hash, err := password.Hash(TestPassword)
	if err != nil {
		e.T.Fatal(err)
	}
	u, err := e.St.CreateUser(context.Background(), Uniq("user"), role, hash)
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// User creates a user with the role and returns a browser-like client
// signed in as that user.
func (e *Env) User(role domain.Role) (*http.Client, string) {
	e.T.Helper()
	u := e.Account(role)
	c := e.Anonymous()
	res := e.Post(c, "/login", url.Values{"username": {u.Username}, "password": {TestPassword}})
	if res.StatusCode != http.StatusSeeOther {
		e.T.Fatalf("login as %s: status %d", u.Username, res.StatusCode)
	}
	return c, u.Username
}

// Anonymous is a client with a cookie jar that does not follow redirects,
// so tests see every 303.
func (e *Env) Anonymous() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Post posts a form as c.
func (e *Env) Post(c *http.Client, path string, v url.Values) *http.Response {
	e.T.Helper()
	res, err := c.PostForm(e.Srv.URL+path, v)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { res.Body.Close() })
	return res
}

// Get fetches path as c.
func (e *Env) Get(c *http.Client, path string) *http.Response {
	e.T.Helper()
	res, err := c.Get(e.Srv.URL + path)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { res.Body.Close() })
	return res
}

// Page fetches path, expects status, and parses the HTML.
func (e *Env) Page(c *http.Client, path string, status int) *goquery.Document {
	e.T.Helper()
	return e.Doc(e.Get(c, path), status)
}

// Doc expects status and parses the HTML of res.
func (e *Env) Doc(res *http.Response, status int) *goquery.Document {
	e.T.Helper()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		e.T.Fatalf("%s %s: status %d, want %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, status, body)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		e.T.Fatal(err)
	}
	return d
}

// Exec runs SQL behind the console's back, to age a session or a failure
// instead of waiting.
func (e *Env) Exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.St.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// Uniq is prefix with a random suffix, for names unique in the package's
// shared database.
func Uniq(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// LogBuffer collects log output from concurrent handlers.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
