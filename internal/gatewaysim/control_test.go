package gatewaysim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// control calls a /_sim/ endpoint and returns status and body.
func (h *harness) control(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, h.sim.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestControlEndpointsNeverShowSecrets(t *testing.T) {
	h := start(t, Config{Accounts: map[int64]string{100001: "pa55word-xyz"}})
	r := h.do(t, call{method: "POST", path: LoginPath, body: loginBody("100001", "pa55word-xyz")})
	guid, _ := r.Env.Result["guid"].(string)
	id := h.register(t, guid, `{"subscribeType":"1","serviceToken":"tok-secret-77","serviceCallBackUri":"https://a.test","nlpFlag":true}`)
	h.do(t, call{method: "POST", path: HandshakePrefix + id, guid: guid, header: map[string]string{"service_token": "tok-secret-77"}})
	h.do(t, call{method: "POST", path: LoginPath, body: "agentId=1&password=pa55word-xyz"})
	secrets := []string{"pa55word-xyz", "tok-secret-77", guid, strings.SplitN(guid, ".", 2)[0]}
	for _, path := range []string{"/_sim/requests", "/_sim/subscriptions"} {
		t.Run(path+" shows no password, token or Guid", func(t *testing.T) {
			status, body := h.control(t, "GET", path, "")
			if status != 200 {
				t.Fatalf("HTTP %d", status)
			}
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s shows the secret %q:\n%s", path, s, body)
				}
			}
		})
	}
	t.Run("the request list still shows which fields were sent", func(t *testing.T) {
		_, body := h.control(t, "GET", "/_sim/requests", "")
		var got []requestJSON
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 || got[1].Body != `{"nlpFlag":true,"serviceCallBackUri":"https://a.test","serviceToken":"[redacted]","subscribeType":"1"}` ||
			got[2].Header["Guid"][0] != redacted || got[2].Header["Service_token"][0] != redacted || got[1].Retcode != "0" {
			t.Errorf("requests %+v", got)
		}
	})
	t.Run("the subscription list says a token is set", func(t *testing.T) {
		_, body := h.control(t, "GET", "/_sim/subscriptions", "")
		var got []subscriptionJSON
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ServerID != id || !got[0].TokenSet || got[0].LastHandshake == nil || got[0].State != StateActive {
			t.Errorf("subscriptions %+v", got)
		}
	})
}

func TestControlFaults(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	tests := []struct {
		name, body string
		wantStatus int
	}{
		{"an unknown op is refused", `{"op":"logout","retcode":"107-001"}`, 400},
		{"a delay in milliseconds as a number is refused", `{"op":"register","delay":250}`, 400},
		{"a delay that is not a duration is refused", `{"op":"register","delay":"soon"}`, 400},
		{"an unknown field is refused", `{"op":"register","retcod":"107-001"}`, 400},
		{"an HTTP status outside 200-599 is refused", `{"op":"register","httpStatus":99}`, 400},
		{"times below -1 are refused", `{"op":"register","retcode":"107-001","times":-2}`, 400},
		{"a valid fault is accepted", `{"op":"register","retcode":"107-027","delay":"1ms","times":2}`, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := h.control(t, "POST", "/_sim/faults", tc.body); status != tc.wantStatus {
				t.Fatalf("HTTP %d %s, want %d", status, body, tc.wantStatus)
			}
		})
	}
	want := Fault{Op: OpRegister, Retcode: "107-027", Delay: time.Millisecond, Times: 2}
	if got := h.sim.Faults(); len(got) != 1 || got[0] != want {
		t.Fatalf("pending faults %+v, want only %+v", got, want)
	}
	expect(t, h.do(t, registerCall(guid)), 200, "107-027")
	if status, _ := h.control(t, "DELETE", "/_sim/faults", ""); status != 200 {
		t.Fatalf("DELETE /_sim/faults: %d", status)
	}
	h.register(t, guid, validRegister)
}

func TestControlClockGuidsReleaseAndLog(t *testing.T) {
	t.Run("advancing a real clock is a conflict", func(t *testing.T) {
		h := start(t, Config{Clock: realClock{}})
		if status, _ := h.control(t, "POST", "/_sim/clock/advance?by=5m", ""); status != http.StatusConflict {
			t.Errorf("HTTP %d, want 409", status)
		}
	})
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	t.Run("a bad duration is refused", func(t *testing.T) {
		for _, by := range []string{"", "soon", "-1m"} {
			if status, _ := h.control(t, "POST", "/_sim/clock/advance?by="+by, ""); status != 400 {
				t.Errorf("by=%q: HTTP %d, want 400", by, status)
			}
		}
	})
	t.Run("advancing the manual clock expires subscriptions", func(t *testing.T) {
		status, body := h.control(t, "POST", "/_sim/clock/advance?by=5m", "")
		if status != 200 || !h.clock.Now().Equal(t0.Add(5*time.Minute)) {
			t.Fatalf("HTTP %d %s; clock at %v", status, body, h.clock.Now())
		}
		expect(t, h.handshake(t, guid, id, ""), 200, "107-032")
	})
	t.Run("expire-guids makes the next call 107-000", func(t *testing.T) {
		h.control(t, "POST", "/_sim/expire-guids", "")
		expect(t, h.do(t, registerCall(guid)), 200, "107-000")
	})
	t.Run("DELETE /_sim/requests empties the log", func(t *testing.T) {
		h.control(t, "DELETE", "/_sim/requests", "")
		if n := len(h.sim.Requests()); n != 0 {
			t.Errorf("%d requests left", n)
		}
	})
	t.Run("POST /_sim/release releases a hung request", func(t *testing.T) {
		h.sim.Inject(Fault{Op: OpLogin, Hang: true})
		done := h.sendAsync(t.Context(), call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)})
		if err := h.sim.WaitRequests(waitCtx(t), OpLogin, 1); err != nil {
			t.Fatal(err)
		}
		h.control(t, "POST", "/_sim/release", "")
		if err := <-done; err == nil {
			t.Fatal("the released request got an answer")
		}
	})
	t.Run("a wrong method on a control path is 405", func(t *testing.T) {
		if status, _ := h.control(t, "PUT", "/_sim/faults", "{}"); status != 405 {
			t.Errorf("HTTP %d, want 405", status)
		}
	})
}
