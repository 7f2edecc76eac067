package server_test

// Benchmarks for the speed targets; figures and commands are in
// docs/benchmarks.md. They run only with -bench and seed nothing in
// TestMain, so the normal test run is not slowed down.

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/password"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkRegisterRoundTrip measures a register as an operator sees it:
// POST /subscriptions with a valid form (fresh idempotency key each time)
// until the 303, which includes the pending insert, the HTTPS call to the
// simulator, the completion and the subscription row. The time spent
// inside the simulator's handler is measured around it on every request
// and subtracted: server-ms/op is the issue's "round trip minus the
// gateway's own latency" (target < 5 ms).
func BenchmarkRegisterRoundTrip(b *testing.B) {
	e := newBenchEnv(b)
	c := e.signIn(b, domain.RoleOperator)
	e.getOK(b, c, e.register(b, c)) // logs in to the gateway and opens the connections
	e.timer.reset()
	for b.Loop() {
		next := e.register(b, c)
		// The browser follows the 303, which takes the flash message out of
		// the session cookie; not following lets flashes pile up until the
		// cookie is too large (500). Not part of the register's time.
		b.StopTimer()
		e.getOK(b, c, next)
		b.StartTimer()
	}
	sim := e.timer.report(b)
	b.ReportMetric(ms(b.Elapsed()-sim)/float64(b.N), "server-ms/op")
	e.wantSuccessfulRegisters(b, b.N+1)
}

// BenchmarkSimulatorRegister measures the same register made by ccsub's
// gateway client straight to the simulator (warm Guid, open connection):
// the gateway latency as ccsub's client sees it, loopback TLS included.
// RegisterRoundTrip's ns/op minus this ns/op is a stricter server time
// than server-ms/op, which counts that exchange as ccsub's.
func BenchmarkSimulatorRegister(b *testing.B) {
	baseURL, ca, timer := startTimedSim(b)
	client := gateway.New(gateway.Config{CallTimeout: 5 * time.Second, Logger: benchLogger()})
	t := gateway.Target{GatewayID: 1, BaseURL: baseURL, AgentID: apptest.SimAgent, Password: apptest.SimPassword, CAPEM: ca}
	req := gateway.RegisterRequest{SubscribeType: "1", ServiceToken: "tok-bench",
		ServiceCallBackURI: "https://crm.example.com/cc", NLPFlag: true, FlowAccessCode: "8001"}
	mustRegister(b, client, t, req) // login: the Guid is cached from here on
	timer.reset()
	for b.Loop() {
		mustRegister(b, client, t, req)
	}
	timer.report(b)
}

func mustRegister(b *testing.B, c *gateway.Client, t gateway.Target, r gateway.RegisterRequest) {
	if res := c.Register(b.Context(), t, r); res.Outcome != domain.OutcomeSuccess || res.ServerID == "" {
		b.Fatalf("register: outcome %s retcode %q err %v", res.Outcome, res.Retcode, res.Err)
	}
}

// historyRows is the history size the issue sets its page targets at.
const historyRows = 100_000

// BenchmarkHistoryPage renders GET /history through the whole HTTP stack
// (session, store, templ) over 100,000 seeded calls: the first page, a
// page 90% down the table, and the same deep page with filters (target
// < 50 ms each). Before measuring, every pooled connection has run the
// page's statement more than five times, so a switch to a generic plan
// would show in the figures.
func BenchmarkHistoryPage(b *testing.B) {
	e := newBenchEnv(b)
	e.seedHistory(b)
	c := e.signIn(b, domain.RoleAuditor)
	deep := e.cursorAt(b, historyRows*9/10)
	cases := []struct{ name, query string }{
		{"first", ""},
		{"deep", "?before=" + deep},
		{"deep-filtered", "?outcome=rejected&operation=register&before=" + deep},
		{"deep-callback", "?callback=asr_test&before=" + deep},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			path := "/history" + tc.query
			e.wantFullPage(b, c, path)
			e.warmEveryConnection(b, c, path, 6)
			e.served = e.served[:0]
			for b.Loop() {
				e.getOK(b, c, path)
			}
			e.reportServed(b)
		})
	}
}

// benchEnv is one console on the package database whose gateway is a
// simulator served behind a simTimer. It mirrors newEnv (which is bound to
// *testing.T) with production-like logging: text at Info, discarded.
type benchEnv struct {
	app   *app.App
	st    *store.Store
	keys  *secret.Keyring
	srv   *httptest.Server
	gw    domain.Gateway
	timer *simTimer
	// served holds the Server-Timing of getOK's answers (ms).
	served []float64
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	baseURL, ca, timer := startTimedSim(b)
	a, srv := apptest.Serve(b, dbtest.Pool(b), benchLogger())
	e := &benchEnv{app: a, st: a.Store, keys: a.Keys, srv: srv, timer: timer}
	e.gw = apptest.AddGateway(b, a, apptest.Uniq("bench-gw"), baseURL, string(ca), apptest.SimPassword)
	return e
}

// benchLogger formats every record as production does, then drops it:
// logging is part of the cost, the terminal is not.
func benchLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// startTimedSim serves a simulator over HTTPS through a simTimer for its
// register path. The simulator itself is unchanged: its Handler is mounted
// on an httptest TLS server, whose self-signed certificate is the CA.
func startTimedSim(b *testing.B) (baseURL string, caPEM []byte, t *simTimer) {
	b.Helper()
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{apptest.SimAgent: apptest.SimPassword},
		SubscriptionServers: apptest.SimSubscriptionServers})
	t = &simTimer{path: gatewaysim.RegisterPath}
	ts := httptest.NewUnstartedServer(t.wrap(sim.Handler()))
	ts.StartTLS()
	b.Cleanup(func() {
		_ = sim.Close()
		ts.Close()
	})
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	return ts.URL, caPEM, t
}

// simTimer adds up the time the simulator's handler spends on requests to
// one path. It is taken around the handler, so the network, TLS and
// ccsub's own client are not counted as the gateway's time.
type simTimer struct {
	path string
	n    atomic.Int64
	ns   atomic.Int64
}

func (t *simTimer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		if r.URL.Path == t.path {
			t.ns.Add(int64(time.Since(start)))
			t.n.Add(1)
		}
	})
}

func (t *simTimer) reset() {
	t.n.Store(0)
	t.ns.Store(0)
}

// report checks that the simulator saw exactly one timed request per
// operation, reports sim-ms/op and returns the total time inside it.
func (t *simTimer) report(b *testing.B) time.Duration {
	if n := t.n.Load(); n != int64(b.N) {
		b.Fatalf("simulator timed %d requests to %s, want one per op (%d)", n, t.path, b.N)
	}
	total := time.Duration(t.ns.Load())
	b.ReportMetric(ms(total)/float64(b.N), "sim-ms/op")
	return total
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// signIn creates a user with role and returns a client signed in as it,
// which does not follow redirects.
func (e *benchEnv) signIn(b *testing.B, role domain.Role) *http.Client {
	b.Helper()
	name, pw := apptest.Uniq("bench"), "correct horse battery staple"
	hash, err := password.Hash(pw)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.st.CreateUser(b.Context(), name, role, hash); err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	// A timeout so a request stuck behind warmEveryConnection fails
	// instead of hanging the benchmark.
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(e.srv.URL+"/login", url.Values{"username": {name}, "password": {pw}})
	if err != nil {
		b.Fatal(err)
	}
	drain(res)
	if res.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign in: status %d, want 303", res.StatusCode)
	}
	return c
}

func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

// register submits one valid register form, expects the redirect to the
// recorded call and returns its path.
func (e *benchEnv) register(b *testing.B, c *http.Client) string {
	res, err := c.PostForm(e.srv.URL+"/subscriptions", url.Values{
		"gateway":            {strconv.FormatInt(e.gw.ID, 10)},
		"subscribeType":      {"1"},
		"serviceToken":       {"tok-bench"},
		"serviceCallBackUri": {"https://crm.example.com/cc"},
		"nlpFlag":            {"true"},
		"flowAccessCode":     {"8001"},
		"idempotencyKey":     {apptest.Uniq("key")},
	})
	if err != nil {
		b.Fatal(err)
	}
	drain(res)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/subscriptions/") {
		b.Fatalf("register: status %d to %q, want 303 to /subscriptions/{id}", res.StatusCode, loc)
	}
	return res.Header.Get("Location")
}

// wantSuccessfulRegisters checks that every register timed did the whole
// job: a successful call and a subscription row each.
func (e *benchEnv) wantSuccessfulRegisters(b *testing.B, n int) {
	var calls, subs int
	err := e.st.Pool().QueryRow(b.Context(), `SELECT
		(SELECT count(*) FROM calls WHERE gateway_id = $1 AND operation = 'register' AND outcome = 'success'),
		(SELECT count(*) FROM subscriptions WHERE gateway_id = $1)`, e.gw.ID).Scan(&calls, &subs)
	if err != nil {
		b.Fatal(err)
	}
	if calls != n || subs != n {
		b.Fatalf("%d successful register calls and %d subscriptions, want %d each", calls, subs, n)
	}
}

// historyGateway owns the seeded rows. The package database lives as long
// as the test process, so the rows are seeded once per process; a later
// run (-count) finds the gateway and reuses them.
const historyGateway = "bench-history"

func (e *benchEnv) seedHistory(b *testing.B) {
	b.Helper()
	_, err := e.st.GatewayByName(b.Context(), historyGateway)
	if err == nil {
		return
	}
	if !errors.Is(err, domain.ErrNotFound) {
		b.Fatal(err)
	}
	g := apptest.AddGateway(b, e.app, historyGateway, "https://127.0.0.1:9", "", apptest.SimPassword)
	if err := storetest.SeedCalls(b.Context(), e.st.Pool(), historyRows, g.ID); err != nil {
		b.Fatal(err)
	}
}

// cursorAt returns the page cursor ("<unix micro>.<id>") of the n-th
// newest call of the whole history, as the Older link would carry it.
func (e *benchEnv) cursorAt(b *testing.B, n int) string {
	b.Helper()
	var at time.Time
	var id int64
	err := e.st.Pool().QueryRow(b.Context(), `SELECT started_at, id FROM calls
		ORDER BY started_at DESC, id DESC OFFSET $1 LIMIT 1`, n-1).Scan(&at, &id)
	if err != nil {
		b.Fatalf("cursor of call %d: %v", n, err)
	}
	return fmt.Sprintf("%d.%d", at.UnixMicro(), id)
}

// wantFullPage checks, outside the timing, that path shows a full page of
// 50 calls with a link to older ones: a benchmark of an empty page would
// measure nothing.
func (e *benchEnv) wantFullPage(b *testing.B, c *http.Client, path string) {
	b.Helper()
	res, err := c.Get(e.srv.URL + path)
	if err != nil {
		b.Fatal(err)
	}
	defer drain(res)
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d", path, res.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	if rows := doc.Find("#history tbody tr").Length(); rows != 50 {
		b.Fatalf("GET %s: %d rows, want 50", path, rows)
	}
	if doc.Find(`a[rel="next"]`).Length() != 1 {
		b.Fatalf("GET %s: no link to older calls", path)
	}
}

// warmEveryConnection makes every connection of the pool run path's
// statement runs times. It holds all connections but one, so each request
// must use the one left idle; then it takes that one back and frees the
// next. PostgreSQL considers a generic plan from the sixth execution of a
// prepared statement on a connection, which is the pitfall measured here.
func (e *benchEnv) warmEveryConnection(b *testing.B, c *http.Client, path string, runs int) {
	b.Helper()
	pool := e.st.Pool()
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	conns := make([]*pgxpool.Conn, 0, pool.Config().MaxConns)
	for range pool.Config().MaxConns {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			b.Fatalf("hold every pooled connection: %v", err)
		}
		conns = append(conns, conn)
	}
	for i := range conns {
		conns[i].Release()
		for range runs {
			e.getOK(b, c, path)
		}
		conn, err := pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = conn
	}
	for _, conn := range conns {
		conn.Release()
	}
}

func (e *benchEnv) getOK(b *testing.B, c *http.Client, path string) {
	res, err := c.Get(e.srv.URL + path)
	if err != nil {
		b.Fatal(err)
	}
	drain(res)
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d", path, res.StatusCode)
	}
	if v, ok := strings.CutPrefix(res.Header.Get("Server-Timing"), "app;dur="); ok {
		if ms, err := strconv.ParseFloat(v, 64); err == nil {
			e.served = append(e.served, ms)
		}
	}
}

// reportServed reports the median of the server's own times (its
// Server-Timing header) since the last call: the issue's "median server
// time", without this client and the loopback network.
func (e *benchEnv) reportServed(b *testing.B) {
	if len(e.served) > 0 {
		slices.Sort(e.served)
		b.ReportMetric(e.served[len(e.served)/2], "server-p50-ms")
	}
	e.served = e.served[:0]
}

// BenchmarkHistoryExport streams the whole seeded history (100,000 calls)
// as each export format, through the whole HTTP stack, and reports
// rows/s: the export target is 100,000 rows/s.
func BenchmarkHistoryExport(b *testing.B) {
	e := newBenchEnv(b)
	e.seedHistory(b)
	c := e.signIn(b, domain.RoleAuditor)
	for _, path := range []string{"/history/export.csv", "/history/export-excel.csv", "/history/export.json"} {
		b.Run(strings.TrimPrefix(path, "/history/"), func(b *testing.B) {
			var rows int64
			cpu := processCPU()
			for b.Loop() {
				res, err := c.Get(e.srv.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				n, err := countLines(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: status %d, %v", path, res.StatusCode, err)
				}
				rows += n
			}
			if rows < int64(b.N)*historyRows {
				b.Fatalf("%d lines in %d exports, want at least %d each", rows, b.N, historyRows)
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			// The test process's CPU (server and client both) per row: a
			// figure that a busy machine disturbs far less than rows/s.
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(rows), "cpu-µs/row")
		})
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countLines counts newlines: one per CSV row (no field holds one in the
// seeded rows) and one per JSON array element.
func countLines(r io.Reader) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(strings.Count(string(buf[:k]), "\n"))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
