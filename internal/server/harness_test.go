package server_test

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
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/metrics"
	"ccsub/internal/password"
	"ccsub/internal/secret"
	"ccsub/internal/server"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) {
	if maybeCrashChild() {
		return
	}
	dbtest.Main(m)
}

const simAgent, simPassword = 100001, "sim-password-1"

// testEnv is one console on the package's real database, talking to its
// own simulator over real HTTPS.
type testEnv struct {
	t    *testing.T
	st   *store.Store
	keys *secret.Keyring
	svc  *subscribe.Service
	sim  *gatewaysim.Sim
	srv  *httptest.Server
	gw   domain.Gateway
	logs *logBuffer
	app  *server.Server // for its route table
	m    *metrics.Metrics
}

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return newEnvOn(t, dbtest.Pool(t))
}

// newEnvOn is newEnv on a given database, e.g. one of the test's own
// (dbtest.Isolated) for a test that scans whole tables.
func newEnvOn(t *testing.T, pool *pgxpool.Pool) *testEnv {
	t.Helper()
	keys, err := secret.ParseKeys(testKey)
	if err != nil {
		t.Fatal(err)
	}
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{simAgent: simPassword}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	e := &testEnv{t: t, st: store.New(pool), keys: keys, sim: sim, logs: &logBuffer{}}
	e.m = metrics.New(e.st)
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := gateway.New(gateway.Config{CallTimeout: 5 * time.Second, Logger: log})
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.svc = subscribe.New(e.st, client, keys, log, subscribe.Options{CallTimeout: 5 * time.Second, PublicURL: e.srv.URL,
		Metrics: e.m})
	e.gw = e.addGateway(uniq("gw"), sim.URL(), string(sim.CAPEM()), simPassword)
	srv := server.New(server.Deps{Store: e.st, Service: e.svc, Keys: keys, Log: log,
		SessionKeys: [][]byte{[]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")},
		SessionTTL:  time.Hour, PublicURL: e.srv.URL, Metrics: e.m})
	e.srv.Config.Handler = srv.Handler()
	e.app = srv
	return e
}

func (e *testEnv) addGateway(name, baseURL, ca, pw string) domain.Gateway {
	e.t.Helper()
	sealed, err := e.keys.Seal([]byte(pw), subscribe.PurposeGatewayPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	g, err := e.st.CreateGateway(context.Background(), domain.GatewayInput{Name: name, BaseURL: baseURL, AgentID: simAgent, PasswordSealed: sealed, CAPEM: ca})
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// user creates a user with the role and returns a browser-like client
// signed in as that user.
func (e *testEnv) user(role domain.Role) (*http.Client, string) {
	e.t.Helper()
	name := uniq("user")
	pw := "correct horse battery staple"
	hash, err := password.Hash(pw)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.CreateUser(context.Background(), name, role, hash); err != nil {
		e.t.Fatal(err)
	}
	c := e.anonymous()
	res := e.post(c, "/login", url.Values{"username": {name}, "password": {pw}})
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login as %s: status %d", name, res.StatusCode)
	}
	return c, name
}

// anonymous is a client with a cookie jar that does not follow redirects,
// so tests see every 303.
func (e *testEnv) anonymous() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *testEnv) post(c *http.Client, path string, v url.Values) *http.Response {
	e.t.Helper()
	res, err := c.PostForm(e.srv.URL+path, v)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { res.Body.Close() })
	return res
}

func (e *testEnv) get(c *http.Client, path string) *http.Response {
	e.t.Helper()
	res, err := c.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { res.Body.Close() })
	return res
}

// page fetches path, expects status, and parses the HTML.
func (e *testEnv) page(c *http.Client, path string, status int) *goquery.Document {
	e.t.Helper()
	return e.doc(e.get(c, path), status)
}

func (e *testEnv) doc(res *http.Response, status int) *goquery.Document {
	e.t.Helper()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, status, body)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func uniq(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

func gatewayFault(op, retcode string) gatewaysim.Fault {
	return gatewaysim.Fault{Op: op, Retcode: retcode}
}

func dbURL(t *testing.T) string { return dbtest.URL(t) }
