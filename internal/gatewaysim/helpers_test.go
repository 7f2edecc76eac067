package gatewaysim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// harness is a started simulator and a client that trusts only its CA.
type harness struct {
	sim    *Sim
	client *http.Client
	clock  *ManualClock
}

// t0 is the ManualClock's start; a fixed time makes serverIds predictable.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testServers are the callback hosts this package's tests register; start
// lists them as subscription servers unless the test lists its own (an
// empty, non-nil list lists none).
var testServers = []string{"127.0.0.1", "localhost", "a.test", "b.test", "cb.test", "new.test", "example.test", "203.0.113.7"}

func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{}
	if cfg.SubscriptionServers == nil {
		cfg.SubscriptionServers = testServers
	}
	if cfg.Clock == nil {
		h.clock = NewManualClock(t0)
		cfg.Clock = h.clock
	}
	h.sim = New(cfg)
	if err := h.sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = h.sim.Close() })
	h.client = trustingClient(t, h.sim.CAPEM())
	return h
}

// trustingClient trusts only caPEM. Keep-alives are off so every request
// has a fresh connection: net/http silently retries a GET on a reused
// connection that closes without an answer, which would hide a Drop.
// The timeout only stops a broken test from hanging; nothing asserts on it.
func trustingClient(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CAPEM holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// reply is a decoded gateway answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	Env    struct {
		Retcode string         `json:"retcode"`
		Message string         `json:"message"`
		Result  map[string]any `json:"result"`
	}
}

// call describes one request to the simulator.
type call struct {
	method, path, body string
	guid               string            // sent as the Guid header when not ""
	header             map[string]string // extra headers; Content-Type defaults to JSON
	repeated           http.Header       // headers sent with several values, names as given
}

func (h *harness) send(ctx context.Context, c call) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, c.method, h.sim.URL()+c.path, bytes.NewBufferString(c.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if c.guid != "" {
		req.Header.Set("Guid", c.guid)
	}
	for k, v := range c.header {
		req.Header[k] = []string{v} // as given: "service_token" keeps its underscore
	}
	for k, v := range c.repeated {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &reply{Status: resp.StatusCode, Header: resp.Header}
	if r.Body, err = io.ReadAll(resp.Body); err != nil {
		return nil, err
	}
	_ = json.Unmarshal(r.Body, &r.Env) // some answers are not JSON on purpose
	return r, nil
}

// do sends c and fails the test on a transport error.
func (h *harness) do(t *testing.T, c call) *reply {
	t.Helper()
	r, err := h.send(context.Background(), c)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	return r
}

// expect fails unless r has the given HTTP status and retcode.
func expect(t *testing.T, r *reply, status int, retcode string) {
	t.Helper()
	if r.Status != status || r.Env.Retcode != retcode {
		t.Fatalf("got HTTP %d retcode %q (%s), want HTTP %d retcode %q", r.Status, r.Env.Retcode, r.Body, status, retcode)
	}
}

func loginBody(agentID, password string) string {
	return `{"agentId":` + agentID + `,"password":"` + password + `"}`
}

// login logs in with the default account and returns the Guid.
func (h *harness) login(t *testing.T) string {
	t.Helper()
	r := h.do(t, call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)})
	expect(t, r, 200, "0")
	guid, _ := r.Env.Result["guid"].(string)
	if guid == "" {
		t.Fatalf("login answered no guid: %s", r.Body)
	}
	return guid
}

const validRegister = `{"subscribeType":"1","serviceToken":"tok-123","serviceCallBackUri":"https://127.0.0.1:9443/cb","nlpFlag":false}`

// register registers body and returns the serverId.
func (h *harness) register(t *testing.T, guid, body string) string {
	t.Helper()
	r := h.do(t, call{method: "POST", path: RegisterPath, body: body, guid: guid})
	expect(t, r, 200, "0")
	id, _ := r.Env.Result["serverId"].(string)
	if id == "" {
		t.Fatalf("register answered no serverId: %s", r.Body)
	}
	return id
}

func (h *harness) handshake(t *testing.T, guid, serverID, token string) *reply {
	t.Helper()
	c := call{method: "GET", path: HandshakePrefix + serverID, guid: guid}
	if token != "" {
		c.method, c.header = "POST", map[string]string{"service_token": token}
	}
	return h.do(t, c)
}

func (h *harness) subscription(t *testing.T, serverID string) Subscription {
	t.Helper()
	for _, s := range h.sim.Subscriptions() {
		if s.ServerID == serverID {
			return s
		}
	}
	t.Fatalf("no subscription %s", serverID)
	return Subscription{}
}
