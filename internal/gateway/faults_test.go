package gateway

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// call runs one operation against a target; serverId is a made-up one
// because the injected fault answers before the simulator looks it up.
type call func(c *Client, ctx context.Context, tg Target) Result

var (
	callRegister call = func(c *Client, ctx context.Context, tg Target) Result { return c.Register(ctx, tg, validRegister()) }
	callModify   call = func(c *Client, ctx context.Context, tg Target) Result {
		return c.Modify(ctx, tg, ModifyRequest{ServerID: "x-1", ServiceCallBackURI: "https://a.example/cb"})
	}
	callUnregister call = func(c *Client, ctx context.Context, tg Target) Result { return c.Unregister(ctx, tg, "x-1") }
	callHandshake  call = func(c *Client, ctx context.Context, tg Target) Result { return c.Handshake(ctx, tg, "x-1", "") }
	callHandshakeX call = func(c *Client, ctx context.Context, tg Target) Result { return c.Handshake(ctx, tg, "x-1", testToken) }
)

func TestInjectedFaultsGiveTheirOutcome(t *testing.T) {
	const short = 2 * time.Second // only where the deadline is the point
	tests := []struct {
		name        string
		op          string
		call        call
		fault       gatewaysim.Fault
		timeout     time.Duration
		want        domain.Outcome
		wantRetcode string
		wantStatus  int
		wantErr     string // substring; "" means Err must be nil
		wantOps     []string
	}{
		{"a register answered 107-027 is rejected", "register", callRegister, gatewaysim.Fault{Retcode: "107-027"}, 0,
			domain.OutcomeRejected, "107-027", 200, "", []string{"login", "register"}},
		{"a register answered HTTP 502 is unknown: the platform may have acted", "register", callRegister, gatewaysim.Fault{HTTPStatus: 502}, 0,
			domain.OutcomeUnknown, "", 502, "the gateway answered HTTP 502 after the request arrived", []string{"login", "register"}},
		{"a register answered with a body that is not JSON is unknown", "register", callRegister, gatewaysim.Fault{Malformed: true}, 0,
			domain.OutcomeUnknown, "", 200, "not the JSON object", []string{"login", "register"}},
		{"a register dropped after it was sent is unknown", "register", callRegister, gatewaysim.Fault{Drop: true}, 0,
			domain.OutcomeUnknown, "", 0, "without an answer after the request was sent", []string{"login", "register"}},
		{"a register that hangs past the deadline is unknown", "register", callRegister, gatewaysim.Fault{Hang: true}, short,
			domain.OutcomeUnknown, "", 0, "no answer within 2s after the request was sent", []string{"login", "register"}},
		{"a register delayed past the deadline is unknown", "register", callRegister, gatewaysim.Fault{Delay: time.Hour}, short,
			domain.OutcomeUnknown, "", 0, "no answer within 2s", []string{"login", "register"}},
		{"a dropped login means the register was never sent, so it failed", "login", callRegister, gatewaysim.Fault{Drop: true}, 0,
			domain.OutcomeFailed, "", 0, "login failed, so the register request was not sent", []string{"login"}},
		{"a login hanging past the deadline means the register failed", "login", callRegister, gatewaysim.Fault{Hang: true}, short,
			domain.OutcomeFailed, "", 0, "login failed, so the register request was not sent: no answer within 2s", []string{"login"}},
		{"a login answered HTTP 500 means the unregister failed", "login", callUnregister, gatewaysim.Fault{HTTPStatus: 500}, 0,
			domain.OutcomeFailed, "", 500, "the gateway answered HTTP 500", []string{"login"}},
		{"a modify answered 107-002 is rejected", "modify", callModify, gatewaysim.Fault{Retcode: "107-002"}, 0,
			domain.OutcomeRejected, "107-002", 200, "", []string{"login", "modify"}},
		{"a modify that hangs past the deadline is unknown", "modify", callModify, gatewaysim.Fault{Hang: true}, short,
			domain.OutcomeUnknown, "", 0, "no answer within 2s", []string{"login", "modify"}},
		{"an unregister answered 107-031 is rejected", "unregister", callUnregister, gatewaysim.Fault{Retcode: "107-031"}, 0,
			domain.OutcomeRejected, "107-031", 200, "", []string{"login", "unregister"}},
		{"an unregister answered with a body that is not JSON is unknown", "unregister", callUnregister, gatewaysim.Fault{Malformed: true}, 0,
			domain.OutcomeUnknown, "", 200, "not the JSON object", []string{"login", "unregister"}},
		{"a handshake answered 107-032 is rejected", "handshake", callHandshake, gatewaysim.Fault{Retcode: "107-032"}, 0,
			domain.OutcomeRejected, "107-032", 200, "", []string{"login", "handshake"}},
		{"an extended handshake answered HTTP 503 is unknown", "handshake", callHandshakeX, gatewaysim.Fault{HTTPStatus: 503}, 0,
			domain.OutcomeUnknown, "", 503, "HTTP 503", []string{"login", "handshake"}},
		{"a dropped handshake is unknown", "handshake", callHandshake, gatewaysim.Fault{Drop: true}, 0,
			domain.OutcomeUnknown, "", 0, "without an answer", []string{"login", "handshake"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			c, _ := newClient(Config{CallTimeout: tt.timeout})
			tt.fault.Op = tt.op
			sim.Inject(tt.fault)
			res := tt.call(c, context.Background(), simTarget(sim))
			wantOutcome(t, res, tt.want)
			if res.Retcode != tt.wantRetcode || res.HTTPStatus != tt.wantStatus {
				t.Errorf("retcode %q status %d, want %q %d", res.Retcode, res.HTTPStatus, tt.wantRetcode, tt.wantStatus)
			}
			switch {
			case tt.wantErr == "" && res.Err != nil:
				t.Errorf("err %v, want none", res.Err)
			case !strings.Contains(errString(res.Err), tt.wantErr):
				t.Errorf("err %q, want it to contain %q", errString(res.Err), tt.wantErr)
			}
			wantOps(t, sim, tt.wantOps...)
		})
	}
}

func TestExpiredGuidLogsInOnceAndRetriesOnce(t *testing.T) {
	tests := []struct {
		name    string
		fault   gatewaysim.Fault
		want    domain.Outcome
		retcode string
		ops     []string
	}{
		{"a register answered 107-000 logs in again and succeeds", gatewaysim.Fault{Op: "register", Retcode: "107-000"},
			domain.OutcomeSuccess, "0", []string{"login", "register", "login", "register"}},
		{"a register answered 107-007 logs in again and succeeds", gatewaysim.Fault{Op: "register", Retcode: "107-007"},
			domain.OutcomeSuccess, "0", []string{"login", "register", "login", "register"}},
		{"a register answered 000-003 logs in again and succeeds", gatewaysim.Fault{Op: "register", Retcode: "000-003"},
			domain.OutcomeSuccess, "0", []string{"login", "register", "login", "register"}},
		{"a register answered 100-006 logs in again and succeeds", gatewaysim.Fault{Op: "register", Retcode: "100-006"},
			domain.OutcomeSuccess, "0", []string{"login", "register", "login", "register"}},
		{"a register answered 107-000 twice is retried only once", gatewaysim.Fault{Op: "register", Retcode: "107-000", Times: -1},
			domain.OutcomeRejected, "107-000", []string{"login", "register", "login", "register"}},
		{"a register answered another retcode is not retried", gatewaysim.Fault{Op: "register", Retcode: "107-026"},
			domain.OutcomeRejected, "107-026", []string{"login", "register"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			c, _ := newClient(Config{})
			sim.Inject(tt.fault)
			res := c.Register(context.Background(), simTarget(sim), validRegister())
			wantOutcome(t, res, tt.want)
			if res.Retcode != tt.retcode || res.Attempts != len(tt.ops) {
				t.Errorf("retcode %q attempts %d, want %q %d", res.Retcode, res.Attempts, tt.retcode, len(tt.ops))
			}
			wantOps(t, sim, tt.ops...)
		})
	}
	t.Run("a Guid the gateway expired is dropped and replaced", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		mustRegister(t, c, tg, validRegister())
		sim.ExpireGuids()
		mustRegister(t, c, tg, validRegister())
		mustRegister(t, c, tg, validRegister())
		wantOps(t, sim, "login", "register", "register", "login", "register", "register")
		regs := sim.RequestsFor("register")
		if regs[0].Header.Get("Guid") == regs[3].Header.Get("Guid") {
			t.Errorf("the Guid after expiry is the expired one")
		}
	})
}

func TestRefusedLoginIsNeverRetried(t *testing.T) {
	tests := []struct {
		name    string
		agent   int64
		pass    string
		fault   *gatewaysim.Fault
		retcode string
	}{
		{"a wrong password (107-003) sends no register", testAgent, "wrong", nil, "107-003"},
		{"an unknown account (107-004) sends no register", 4242, testPassword, nil, "107-004"},
		{"an injected 107-003 sends no register", testAgent, testPassword, &gatewaysim.Fault{Op: "login", Retcode: "107-003"}, "107-003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			c, _ := newClient(Config{})
			if tt.fault != nil {
				sim.Inject(*tt.fault)
			}
			tg := simTarget(sim)
			tg.AgentID, tg.Password = tt.agent, tt.pass
			res := c.Register(context.Background(), tg, validRegister())
			wantOutcome(t, res, domain.OutcomeRejected)
			if res.Retcode != tt.retcode || res.Err != nil || !strings.Contains(res.Message, "refused the login") {
				t.Errorf("retcode %q err %v message %q", res.Retcode, res.Err, res.Message)
			}
			wantOps(t, sim, "login")

			again := c.Handshake(context.Background(), tg, "x-1", "")
			wantOutcome(t, again, domain.OutcomeRejected)
			if again.Attempts != 0 || !strings.Contains(again.Message, "does not try them again") {
				t.Errorf("a later call with the same password: attempts %d, message %q", again.Attempts, again.Message)
			}
			wantOps(t, sim, "login")
		})
	}
	t.Run("Test connection and a new password try again", func(t *testing.T) {
		sim := startSim(t)
		c, _ := newClient(Config{})
		tg := simTarget(sim)
		tg.Password = "wrong"
		wantOutcome(t, c.Register(context.Background(), tg, validRegister()), domain.OutcomeRejected)
		wantOutcome(t, c.Login(context.Background(), tg), domain.OutcomeRejected)
		tg.Password = testPassword
		wantOutcome(t, c.Register(context.Background(), tg, validRegister()), domain.OutcomeSuccess)
		wantOps(t, sim, "login", "login", "login", "register")
	})
}

// TestDroppedRequestsAreSentOnce guards against net/http re-sending an
// idempotent request by itself when a reused connection breaks.
func TestDroppedRequestsAreSentOnce(t *testing.T) {
	tests := []struct {
		name string
		op   string
		call call
	}{
		{"a dropped GET handshake on a reused connection is sent once", "handshake", callHandshake},
		{"a dropped extended handshake is sent once", "handshake", callHandshakeX},
		{"a dropped PUT unregister is sent once", "unregister", callUnregister},
		{"a dropped register is sent once", "register", callRegister},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			c, _ := newClient(Config{})
			tg := simTarget(sim)
			wantOutcome(t, c.Login(context.Background(), tg), domain.OutcomeSuccess)
			sim.Inject(gatewaysim.Fault{Op: tt.op, Drop: true, Times: -1})

			var mu sync.Mutex
			var reused []bool
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { mu.Lock(); reused = append(reused, i.Reused); mu.Unlock() },
			})
			res := tt.call(c, ctx, tg)
			wantOutcome(t, res, domain.OutcomeUnknown)
			if got := len(sim.RequestsFor(tt.op)); got != 1 || res.Attempts != 1 {
				t.Errorf("simulator received %d %s requests, attempts %d; want 1", got, tt.op, res.Attempts)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(reused) == 0 || !reused[0] {
				t.Errorf("connection reuse %v: the test needs the login's connection to be reused", reused)
			}
		})
	}
}

// TestEveryRequestCarriesOnlyTheContractsHeaders: the register's token
// travels in the body, never in a header; the one secret in a header is
// the extended handshake's documented service_token.
func TestEveryRequestCarriesOnlyTheContractsHeaders(t *testing.T) {
	sim := startSim(t)
	c, _ := newClient(Config{})
	tg := simTarget(sim)
	serverID := mustRegister(t, c, tg, validRegister())
	c.Modify(context.Background(), tg, ModifyRequest{ServerID: serverID, ServiceCallBackURI: "https://crm.example.com/b"})
	c.Handshake(context.Background(), tg, serverID, "")
	c.Handshake(context.Background(), tg, serverID, validRegister().ServiceToken)
	c.Unregister(context.Background(), tg, serverID)
	for _, r := range sim.Requests() {
		var names []string
		for k := range r.Header {
			if k != "Content-Length" { // framing, not a header of the contract
				names = append(names, k)
			}
		}
		slices.Sort(names)
		want := []string{"Content-Type", "Guid"}
		switch {
		case r.Op == "login":
			want = []string{"Content-Type"}
		case r.Op == "handshake" && r.Method == http.MethodPost:
			want = []string{"Content-Type", "Guid", "Service_token"}
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s %s carried headers %v, want exactly %v", r.Method, r.Op, names, want)
		}
	}
	if body := string(sim.RequestsFor("register")[0].Body); !strings.Contains(body, validRegister().ServiceToken) {
		t.Errorf("the register body %s does not carry the service token", body)
	}
}

// TestTheGuidIsReadWhereverTheGatewayPutsIt: in the body, a Guid header
// or Set-GUID with either prefix; the register then carries the bare Guid,
// and no form of it reaches a recorded body.
func TestTheGuidIsReadWhereverTheGatewayPutsIt(t *testing.T) {
	for _, mode := range gatewaysim.GuidInModes {
		t.Run(mode, func(t *testing.T) {
			sim := startSim(t)
			if err := sim.UpdateRules(func(r *gatewaysim.Rules) { r.GuidIn = mode }); err != nil {
				t.Fatal(err)
			}
			c, _ := newClient(Config{})
			login := c.Login(context.Background(), simTarget(sim))
			wantOutcome(t, login, domain.OutcomeSuccess)
			mustRegister(t, c, simTarget(sim), validRegister())
			guid := sim.RequestsFor("register")[0].Header.Get("Guid")
			if guid == "" || strings.Contains(guid, "=") || !strings.Contains(guid, ".AgentGateway") {
				t.Errorf("the register carried Guid %q, want the bare Guid", guid)
			}
			if strings.Contains(login.ResponseBody, guid) {
				t.Errorf("the recorded login answer %s shows the Guid", login.ResponseBody)
			}
		})
	}
}

// TestEveryHostileAnswerGivesItsOutcomeAfterOneRequest: what a real
// network and a broken gateway produce, answered to a register. Each is
// failed only when the platform cannot have acted, unknown otherwise, and
// none makes the client send the register twice or follow a redirect.
func TestEveryHostileAnswerGivesItsOutcomeAfterOneRequest(t *testing.T) {
	tests := []struct {
		name  string
		fault gatewaysim.Fault
		want  domain.Outcome
	}{
		{"a hang before the headers", gatewaysim.Fault{Hang: true}, domain.OutcomeUnknown},
		{"a body that stops half way", gatewaysim.Fault{Truncate: true, Processed: true}, domain.OutcomeUnknown},
		{"a connection closed after the request was read", gatewaysim.Fault{Drop: true, Processed: true}, domain.OutcomeUnknown},
		{"an HTML error page with a 502", gatewaysim.Fault{HTML: true, HTTPStatus: 502}, domain.OutcomeUnknown},
		{"an HTML error page with a 404", gatewaysim.Fault{HTML: true, HTTPStatus: 404}, domain.OutcomeFailed},
		{"a plain 503", gatewaysim.Fault{HTTPStatus: 503}, domain.OutcomeUnknown},
		{"a body that is not JSON", gatewaysim.Fault{Malformed: true}, domain.OutcomeUnknown},
		{"a retcode as a number", gatewaysim.Fault{NumericRetcode: true}, domain.OutcomeSuccess},
		{"a success without result", gatewaysim.Fault{NoResult: true, Processed: true}, domain.OutcomeUnknown},
		{"a result that is a string", gatewaysim.Fault{ResultAs: gatewaysim.ResultAsString, Processed: true}, domain.OutcomeUnknown},
		{"a result that is an array", gatewaysim.Fault{ResultAs: gatewaysim.ResultAsArray, Processed: true}, domain.OutcomeUnknown},
		{"an oversized body", gatewaysim.Fault{Oversize: true}, domain.OutcomeUnknown},
		{"a redirect", gatewaysim.Fault{Redirect: true}, domain.OutcomeFailed},
		{"107-029 while the platform creates it", gatewaysim.Fault{Retcode: "107-029", Processed: true}, domain.OutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			c, _ := newClient(Config{CallTimeout: 2 * time.Second})
			tt.fault.Op = "register"
			sim.Inject(tt.fault)
			res := c.Register(context.Background(), simTarget(sim), validRegister())
			wantOutcome(t, res, tt.want)
			if tt.want != domain.OutcomeSuccess && res.Err == nil {
				t.Errorf("no explanation for a %s register", res.Outcome)
			}
			wantOps(t, sim, "login", "register")
		})
	}
}
