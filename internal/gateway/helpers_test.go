package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

const (
	testAgent    int64 = 100001
	testPassword       = "pw-s3cret-Login"
	testToken          = "tok-s3cret-Service"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// startSim starts a simulator on loopback that knows testAgent/testPassword.
func startSim(t *testing.T) *gatewaysim.Sim {
	t.Helper()
	sim := gatewaysim.New(gatewaysim.Config{
		Accounts: map[int64]string{testAgent: testPassword},
		Clock:    gatewaysim.NewManualClock(t0),
		// The callback hosts these tests register and modify to.
		SubscriptionServers: []string{"ccsub.example", "other.example", "a.example", "crm.example.com", "h"},
		// validRegister's callback carries a query string (to test escaping),
		// which a strict gateway refuses; the client is under test here.
		LaxCallbacks: true,
	})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		sim.Release()
		sim.Close()
	})
	return sim
}

func simTarget(sim *gatewaysim.Sim) Target {
	return Target{GatewayID: 1, BaseURL: sim.URL(), AgentID: testAgent, Password: testPassword, CAPEM: sim.CAPEM()}
}

// logBuffer collects the client's log lines for secret checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newClient returns a client logging at debug level into the returned buffer.
func newClient(cfg Config) (*Client, *logBuffer) {
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return New(cfg), logs
}

func validRegister() RegisterRequest {
	return RegisterRequest{SubscribeType: "1", ServiceCallBackURI: "https://ccsub.example/cb?a=1&b=2", NLPFlag: false}
}

// ops lists the operations in the sim log, oldest first.
func ops(sim *gatewaysim.Sim) []string {
	var out []string
	for _, r := range sim.Requests() {
		out = append(out, r.Op)
	}
	return out
}

func wantOps(t *testing.T, sim *gatewaysim.Sim, want ...string) {
	t.Helper()
	if got := ops(sim); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("simulator received %v, want %v", got, want)
	}
}

func wantOutcome(t *testing.T, res Result, want domain.Outcome) {
	t.Helper()
	if res.Outcome != want {
		t.Errorf("outcome %q (retcode %q, message %q, err %v), want %q", res.Outcome, res.Retcode, res.Message, res.Err, want)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// register logs in and registers one subscription, returning its serverId.
func mustRegister(t *testing.T, c *Client, tg Target, r RegisterRequest) string {
	t.Helper()
	res := c.Register(context.Background(), tg, r)
	if res.Outcome != domain.OutcomeSuccess || res.ServerID == "" {
		t.Fatalf("register: outcome %q serverId %q err %v", res.Outcome, res.ServerID, res.Err)
	}
	return res.ServerID
}

// scriptedGateway is a real HTTPS server on loopback for answers the
// simulator never gives (numbers as retcodes, redirects, missing fields).
func scriptedGateway(t *testing.T, h http.HandlerFunc) Target {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return Target{GatewayID: 9, BaseURL: srv.URL, AgentID: testAgent, Password: testPassword, CAPEM: serverCAPEM(srv)}
}
