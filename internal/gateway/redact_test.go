package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

func TestSecretsNeverLeaveTheCall(t *testing.T) {
	sim := startSim(t)
	c, logs := newClient(Config{})
	tg := simTarget(sim)
	r := validRegister()
	r.ServiceToken = testToken

	var results []Result
	results = append(results, c.Login(context.Background(), tg))
	reg := c.Register(context.Background(), tg, r)
	results = append(results, reg)
	sim.ExpireGuids()
	results = append(results, c.Handshake(context.Background(), tg, reg.ServerID, testToken))
	sim.Inject(gatewaysim.Fault{Op: "handshake", Drop: true})
	results = append(results, c.Handshake(context.Background(), tg, reg.ServerID, testToken))
	tg.Password = "wrong-" + testPassword
	c.Forget(tg.GatewayID)
	results = append(results, c.Register(context.Background(), tg, r))

	guids := map[string]bool{}
	for _, req := range sim.Requests() {
		if g := req.Header.Get("Guid"); g != "" {
			guids[g] = true
		}
	}
	if len(guids) != 2 {
		t.Fatalf("want two Guids issued (before and after expiry), saw %d", len(guids))
	}
	secretList := []string{testPassword, testToken}
	for g := range guids {
		secretList = append(secretList, g, strings.TrimSuffix(g, ".AgentGateway1"))
	}

	t.Run("recorded bodies, messages and errors hold no secret", func(t *testing.T) {
		for i, res := range results {
			text := fmt.Sprintf("%s|%s|%s|%s", res.RequestBody, res.ResponseBody, res.Message, errString(res.Err))
			for _, s := range secretList {
				if strings.Contains(text, s) {
					t.Errorf("result %d leaks a secret: %s", i, text)
				}
			}
		}
	})
	t.Run("the logs hold no secret", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, "gateway call") {
			t.Fatalf("nothing logged: %q", out)
		}
		for _, s := range secretList {
			if strings.Contains(out, s) {
				t.Errorf("logs leak a secret:\n%s", out)
			}
		}
	})
	t.Run("redacted fields say so", func(t *testing.T) {
		if !strings.Contains(results[0].RequestBody, `"password":"[redacted]"`) ||
			!strings.Contains(results[0].ResponseBody, `"guid":"[redacted]"`) {
			t.Errorf("login request %s, response %s", results[0].RequestBody, results[0].ResponseBody)
		}
		if !strings.Contains(reg.RequestBody, `"serviceToken":"[redacted]"`) {
			t.Errorf("register request %s", reg.RequestBody)
		}
	})
	t.Run("the expired Guid was replaced by one new login", func(t *testing.T) {
		wantOutcome(t, results[2], domain.OutcomeSuccess)
		if results[2].Attempts != 3 {
			t.Errorf("attempts %d, want handshake, login, handshake", results[2].Attempts)
		}
	})
}

func TestRegisterBody(t *testing.T) {
	tests := []struct {
		name         string
		req          RegisterRequest
		wantSent     string
		wantRedacted string
	}{
		{"a token is sent and redacted in the twin",
			RegisterRequest{SubscribeType: "1", ServiceToken: "t<&>", ServiceCallBackURI: "https://h/cb?a=1&b=2", NLPFlag: true, FlowAccessCode: "9"},
			`{"subscribeType":"1","serviceToken":"t<&>","serviceCallBackUri":"https://h/cb?a=1&b=2","nlpFlag":true,"flowAccessCode":"9"}`,
			`{"subscribeType":"1","serviceToken":"[redacted]","serviceCallBackUri":"https://h/cb?a=1&b=2","nlpFlag":true,"flowAccessCode":"9"}`},
		{"empty optional fields are omitted from both",
			RegisterRequest{SubscribeType: "1", ServiceCallBackURI: "https://h/cb"},
			`{"subscribeType":"1","serviceCallBackUri":"https://h/cb","nlpFlag":false}`,
			`{"subscribeType":"1","serviceCallBackUri":"https://h/cb","nlpFlag":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent, red := RegisterBody(tt.req)
			if string(sent) != tt.wantSent || red != tt.wantRedacted {
				t.Errorf("sent %s\nredacted %s", sent, red)
			}
		})
	}
}

func TestSecretsBody(t *testing.T) {
	tests := []struct {
		name    string
		secrets secrets
		body    string
		want    string
	}{
		{"a known value is replaced where it stands", secrets{"abc-123"},
			`{"retcode":"0","result":{"guid":"abc-123"}}`, `{"retcode":"0","result":{"guid":"[redacted]"}}`},
		{"a JSON-escaped value is replaced", secrets{`p"w/<`},
			`{"message":"bad p\"w/\u003c"}`, `{"message":"bad [redacted]"}`},
		{"an unknown value under a secret key is replaced", secrets{},
			`{"result":{"Guid":"zzz","list":[{"service_token":"t"}]},"retcode":"1"}`,
			`{"result":{"Guid":"[redacted]","list":[{"service_token":"[redacted]"}]},"retcode":"1"}`},
		{"a body that is not JSON is redacted as text", secrets{"s3cret"},
			`<html>s3cret</html>`, `<html>[redacted]</html>`},
		{"a body without secrets is kept as received", secrets{"s3cret"},
			`{ "retcode" : "0" }`, `{ "retcode" : "0" }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.secrets.body([]byte(tt.body)); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		header  string
		want    answer
		wantErr error
	}{
		{"a string retcode and body Guid", `{"retcode":"0","message":"success","result":{"guid":"g.N1"}}`, "h",
			answer{Retcode: "0", Message: "success", Guid: "g.N1"}, nil},
		{"a numeric retcode becomes text", `{"retcode":0,"message":"ok"}`, "",
			answer{Retcode: "0", Message: "ok"}, nil},
		{"the Guid header fills a missing body Guid", `{"retcode":"0","result":null}`, "g.H",
			answer{Retcode: "0", Guid: "g.H"}, nil},
		{"a Guid= prefix in the Guid header is not part of the Guid", `{"retcode":"0"}`, "Guid=g.P",
			answer{Retcode: "0", Guid: "g.P"}, nil},
		{"Set-GUID with JSESSIONID= gives the Guid", `{"retcode":"0"}`, "Set-GUID: JSESSIONID=g.S; Path=/",
			answer{Retcode: "0", Guid: "g.S"}, nil},
		{"Set-GUID with Guid= gives the Guid", `{"retcode":"0"}`, "Set-GUID: Guid=g.T",
			answer{Retcode: "0", Guid: "g.T"}, nil},
		{"the body's Guid wins over both headers", `{"retcode":"0","result":{"guid":"g.B"}}`, "Set-GUID: JSESSIONID=g.S",
			answer{Retcode: "0", Guid: "g.B"}, nil},
		{"booleans and numbers in result are kept as text", `{"retcode":"107-002","message":false,"result":{"serverId":12}}`, "",
			answer{Retcode: "107-002", Message: "false", ServerID: "12"}, nil},
		{"a result that is a string is ignored", `{"retcode":"0","result":"fine"}`, "",
			answer{Retcode: "0"}, nil},
		{"a missing retcode is an error", `{"message":"x"}`, "", answer{}, errNoRetcode},
		{"an empty retcode is an error", `{"retcode":" "}`, "", answer{}, errNoRetcode},
		{"HTML is not an answer", `<html>502</html>`, "", answer{}, errNotJSON},
		{"an array is not an answer", `[1]`, "", answer{}, errNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if name, v, ok := strings.Cut(tt.header, ": "); ok {
				h.Set(name, v)
			} else if tt.header != "" {
				h.Set("Guid", tt.header)
			}
			got, err := parseAnswer([]byte(tt.body), h)
			if got != tt.want || err != tt.wantErr {
				t.Errorf("got %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
