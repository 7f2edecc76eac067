package app_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/pgembed"
)

// pgProxy is a private PostgreSQL of the test's own behind a loopback TCP
// address that stays the same across restarts (the server's Unix socket
// moves on every start): the console connects to the proxy, and the test
// stops, starts and cuts the database behind it.
type pgProxy struct {
	t       *testing.T
	dataDir string
	ln      net.Listener
	mu      sync.Mutex
	pg      *pgembed.Server
	conns   map[net.Conn]bool
}

func startPGProxy(t *testing.T) *pgProxy {
	t.Helper()
	parent, err := os.MkdirTemp("/tmp", "ccsub-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil { // the postgres user must reach it
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{t: t, dataDir: filepath.Join(parent, "data"), ln: ln, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.stop() })
	p.start()
	go p.accept()
	return p
}

// URL is the database's address through the proxy.
func (p *pgProxy) URL() string {
	return "postgres://postgres@" + p.ln.Addr().String() + "/" + pgembed.Database + "?sslmode=disable"
}

func (p *pgProxy) start() {
	p.t.Helper()
	pg, err := pgembed.Start(context.Background(), pgembed.Options{DataDir: p.dataDir, Fast: true})
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.pg = pg
	p.mu.Unlock()
}

// stop shuts the database down and cuts every proxied connection.
func (p *pgProxy) stop() {
	p.mu.Lock()
	pg := p.pg
	p.pg = nil
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	if pg != nil {
		if err := pg.Stop(); err != nil {
			p.t.Error(err)
		}
	}
}

func (p *pgProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

// serve forwards one client connection to the database's socket; with
// the database down it closes the connection at once, as a refused
// connect does.
func (p *pgProxy) serve(c net.Conn) {
	p.mu.Lock()
	pg := p.pg
	if pg == nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	u, _ := url.Parse(pg.URL())
	s, err := net.Dial("unix", filepath.Join(u.Query().Get("host"), ".s.PGSQL.5432"))
	if err != nil {
		c.Close()
		return
	}
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// TestADatabaseOutageIsA503AndHealsItself: while the console's database is
// stopped, pages, the API, the receiver and readiness answer 503 with a
// Retry-After, never a 500, and nothing reaches the gateway; once it is
// started again everything answers normally within seconds, without a
// restart of the console, although every pooled connection died.
func TestADatabaseOutageIsA503AndHealsItself(t *testing.T) {
	e, db, _ := outageEnv(t)
	browser, _ := e.User(domain.RoleOperator)
	token := e.Token(domain.RoleOperator)
	sub := e.Registered(browser, nil)
	registers := len(e.Sim.RequestsFor("register"))

	db.stop()
	checks := []struct {
		name string
		do   func() *http.Response
	}{
		{"a page", func() *http.Response { return e.Get(browser, "/history") }},
		{"a form", func() *http.Response { return e.Post(browser, "/subscriptions", e.RegisterForm()) }},
		{"the API", func() *http.Response { return apiGet(t, e, token, "/api/v1/subscriptions") }},
		{"the receiver", func() *http.Response {
			return post(t, e.Srv.URL+"/receiver/"+sub.ReceiverKey+"x/v100/subscribe/asrevent/asrresult", "{}")
		}},
		{"readiness", func() *http.Response { return e.Get(browser, "/readyz") }},
	}
	for _, c := range checks {
		t.Run("during the outage "+c.name+" answers 503", func(t *testing.T) {
			res := c.do()
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", res.StatusCode)
			}
			if c.name != "readiness" && c.name != "the receiver" && res.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
	if n := len(e.Sim.RequestsFor("register")); n != registers {
		t.Errorf("%d registers reached the gateway during the outage, want none", n-registers)
	}

	db.start()
	deadline := time.Now().Add(10 * time.Second)
	for e.Get(browser, "/readyz").StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("not ready 10 s after the database came back")
		}
		time.Sleep(100 * time.Millisecond) // polling the probe is what a load balancer does
	}
	if res := e.Get(browser, "/history"); res.StatusCode != http.StatusOK {
		t.Errorf("after the outage the history answers %d", res.StatusCode)
	}
	if res := apiGet(t, e, token, "/api/v1/subscriptions"); res.StatusCode != http.StatusOK {
		t.Errorf("after the outage the API answers %d", res.StatusCode)
	}
}

func apiGet(t *testing.T, e *testEnv, token, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return do(t, req)
}

func post(t *testing.T, u, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
