package gateway

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ccsub/internal/domain"
)

func TestCallsThatCannotBeSentSendNothing(t *testing.T) {
	sim := startSim(t)
	other := startSim(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name    string
		edit    func(*Target)
		wantErr string
	}{
		{"a gateway certificate from another CA fails verification", func(tg *Target) { tg.CAPEM = other.CAPEM() },
			"the gateway's certificate is not signed by the configured CA bundle"},
		{"without a CA bundle the private CA is not trusted", func(tg *Target) { tg.CAPEM = nil },
			"not signed by an authority this system trusts"},
		{"a CA bundle that is not PEM is refused before connecting", func(tg *Target) { tg.CAPEM = []byte("not a certificate") },
			"contains no valid PEM certificate"},
		{"a plain http address is refused", func(tg *Target) { tg.BaseURL = strings.Replace(tg.BaseURL, "https", "http", 1) },
			"must start with https://"},
		{"a closed port is a refused connection", func(tg *Target) { tg.BaseURL = "https://" + deadAddr },
			"could not connect to " + deadAddr + ": connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, logs := newClient(Config{})
			tg := simTarget(sim)
			tt.edit(&tg)
			before := len(sim.Requests())
			for _, res := range []Result{c.Register(context.Background(), tg, validRegister()), c.Login(context.Background(), tg)} {
				wantOutcome(t, res, domain.OutcomeFailed)
				if !strings.Contains(errString(res.Err), tt.wantErr) {
					t.Errorf("err %q, want it to contain %q", errString(res.Err), tt.wantErr)
				}
				if res.HTTPStatus != 0 || res.ResponseBody != "" {
					t.Errorf("status %d body %q, want no answer", res.HTTPStatus, res.ResponseBody)
				}
			}
			if got := len(sim.Requests()) - before; got != 0 {
				t.Errorf("simulator logged %d requests", got)
			}
			if strings.Contains(logs.String(), testPassword) {
				t.Errorf("logs contain the password")
			}
		})
	}
	t.Run("a cancelled context sends nothing", func(t *testing.T) {
		c, _ := newClient(Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		before := len(sim.Requests())
		res := c.Register(ctx, simTarget(sim), validRegister())
		wantOutcome(t, res, domain.OutcomeFailed)
		if len(sim.Requests()) != before || !strings.Contains(errString(res.Err), "cancelled") {
			t.Errorf("err %v, %d requests", res.Err, len(sim.Requests())-before)
		}
	})
}

func TestConnectTimeout(t *testing.T) {
	// A listener nobody accepts from: the kernel completes the TCP handshake,
	// the TLS handshake never starts, as with a gateway that is stuck.
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.Close() })
	c, _ := newClient(Config{ConnectTimeout: time.Second})
	tg := Target{GatewayID: 3, BaseURL: "https://" + stuck.Addr().String(), AgentID: testAgent, Password: testPassword}
	res := c.Register(context.Background(), tg, validRegister())
	wantOutcome(t, res, domain.OutcomeFailed)
	want := "could not connect to " + stuck.Addr().String() + " within 1s"
	if !strings.Contains(errString(res.Err), want) {
		t.Errorf("err %q, want it to contain %q", errString(res.Err), want)
	}
}

func TestResponseBodyIsCapped(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		want  domain.Outcome
	}{
		{"an answer over the cap cannot be read, so it is unknown", 16, domain.OutcomeUnknown},
		{"an answer within the cap is read", 4096, domain.OutcomeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			c, _ := newClient(Config{MaxBodyBytes: tt.limit})
			res := c.Login(context.Background(), simTarget(sim))
			wantOutcome(t, res, tt.want)
			if tt.want == domain.OutcomeUnknown && !strings.Contains(errString(res.Err), "exceeds 16 bytes") {
				t.Errorf("err %v, want it to say the answer is too large", res.Err)
			}
			if int64(len(res.ResponseBody)) > tt.limit+int64(len(redacted)) {
				t.Errorf("recorded body of %d bytes exceeds the cap", len(res.ResponseBody))
			}
		})
	}
	t.Run("a chunked answer without Content-Length is capped too", func(t *testing.T) {
		tg := scriptedGateway(t, func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length
			io.WriteString(w, `{"retcode":"0","message":"`+strings.Repeat("x", 5000)+`"}`)
		})
		c, _ := newClient(Config{MaxBodyBytes: 1000})
		res := c.Login(context.Background(), tg)
		wantOutcome(t, res, domain.OutcomeUnknown)
		if !strings.Contains(errString(res.Err), "exceeds 1000 bytes") {
			t.Errorf("err %v", res.Err)
		}
	})
}

func TestScriptedAnswers(t *testing.T) {
	tests := []struct {
		name       string
		login      string // login answer body
		loginGuid  string // Guid response header
		answer     string // operation answer body
		want       domain.Outcome
		wantRet    string
		wantServer string
		wantErr    string
	}{
		{"a numeric retcode 0 is success", `{"retcode":0,"result":{"guid":"g-1"}}`, "",
			`{"retcode":0,"message":"success","result":{"serverId":"S-1"}}`, domain.OutcomeSuccess, "0", "S-1", ""},
		{"a Guid only in the header is used", `{"retcode":"0","message":"success"}`, "g-header",
			`{"retcode":"0","result":{"serverId":"S-2"}}`, domain.OutcomeSuccess, "0", "S-2", ""},
		{"a numeric serverId is kept as text", `{"retcode":"0","result":{"guid":"g-1"}}`, "",
			`{"retcode":"0","result":{"serverId":20140414172508}}`, domain.OutcomeSuccess, "0", "20140414172508", ""},
		{"a register success without serverId is unknown", `{"retcode":"0","result":{"guid":"g-1"}}`, "",
			`{"retcode":"0","message":"success","result":null}`, domain.OutcomeUnknown, "0", "", "sent no serverId"},
		{"an answer without retcode is unknown: it cannot say what happened", `{"retcode":"0","result":{"guid":"g-1"}}`, "",
			`{"message":"hello"}`, domain.OutcomeUnknown, "", "", "has no retcode"},
		{"107-029, the gateway's own timeout, is unknown", `{"retcode":"0","result":{"guid":"g-1"}}`, "",
			`{"retcode":"107-029","message":"timeout"}`, domain.OutcomeUnknown, "107-029", "", "may have acted"},
		{"a login without any Guid fails and sends nothing", `{"retcode":"0","result":"ok"}`, "",
			`{"retcode":"0","result":{"serverId":"S-1"}}`, domain.OutcomeFailed, "", "", "accepted the login but sent no Guid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ops atomic.Int32
			var gotGuid atomic.Value
			tg := scriptedGateway(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == pathLogin {
					if tt.loginGuid != "" {
						w.Header().Set("Guid", tt.loginGuid)
					}
					io.WriteString(w, tt.login)
					return
				}
				ops.Add(1)
				gotGuid.Store(r.Header.Get("Guid"))
				io.WriteString(w, tt.answer)
			})
			c, _ := newClient(Config{})
			res := c.Register(context.Background(), tg, validRegister())
			wantOutcome(t, res, tt.want)
			if res.ServerID != tt.wantServer || !strings.Contains(errString(res.Err), tt.wantErr) {
				t.Errorf("serverId %q err %v, want %q and an error containing %q", res.ServerID, res.Err, tt.wantServer, tt.wantErr)
			}
			if res.Retcode != tt.wantRet {
				t.Errorf("retcode %q, want %q", res.Retcode, tt.wantRet)
			}
			if g, _ := gotGuid.Load().(string); ops.Load() > 0 && g != "g-1" && g != "g-header" {
				t.Errorf("the operation was sent with Guid %q, want the one the login gave", g)
			}
			if tt.want == domain.OutcomeFailed && strings.Contains(tt.wantErr, "Guid") && ops.Load() != 0 {
				t.Errorf("the operation was sent after a login without Guid")
			}
		})
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var followed atomic.Int32
	target := scriptedGateway(t, func(w http.ResponseWriter, r *http.Request) { followed.Add(1) })
	tg := scriptedGateway(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.BaseURL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c, _ := newClient(Config{})
	res := c.Login(context.Background(), tg)
	wantOutcome(t, res, domain.OutcomeFailed)
	if res.HTTPStatus != http.StatusTemporaryRedirect || followed.Load() != 0 {
		t.Errorf("status %d, redirect followed %d times", res.HTTPStatus, followed.Load())
	}
}
