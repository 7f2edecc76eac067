package gatewaysim

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

func TestControlConfig(t *testing.T) {
	h := start(t, Config{SubscriptionServers: []string{"a.test"}})
	getConfig := func(t *testing.T) rulesJSON {
		t.Helper()
		status, body := h.control(t, "GET", "/_sim/config", "")
		var got rulesJSON
		if status != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /_sim/config: HTTP %d %s", status, body)
		}
		return got
	}
	t.Run("GET shows the strict defaults", func(t *testing.T) {
		want := rulesJSON{GuidIdle: "30m0s", ExpiredCode: "107-000", GuidIn: "body", IFSubConfigure: true,
			SubscriptionServers: []string{"a.test"}}
		if got := getConfig(t); !cmp.Equal(got, want) {
			t.Errorf("config %+v, want %+v", got, want)
		}
	})
	t.Run("POST changes only the fields it names and answers the result", func(t *testing.T) {
		status, body := h.control(t, "POST", "/_sim/config",
			`{"guidIdle":"never","expiredCode":"107-007","guidIn":"set-guid-jsessionid","ifSubConfigure":false,"laxHandshakeToken":true}`)
		want := rulesJSON{GuidIdle: "never", ExpiredCode: "107-007", GuidIn: "set-guid-jsessionid", IFSubConfigure: false,
			SubscriptionServers: []string{"a.test"}, LaxHandshakeToken: true}
		var got rulesJSON
		if status != 200 || json.Unmarshal([]byte(body), &got) != nil || !cmp.Equal(got, want) {
			t.Fatalf("HTTP %d %s, want %+v", status, body, want)
		}
		r := h.sim.Rules()
		if r.GuidIdle >= 0 || r.ExpiredCode != "107-007" || r.GuidIn != GuidInSetGUIDJSessionID || !r.IFSubConfigureOff || !r.LaxHandshakeToken {
			t.Errorf("rules %+v", r)
		}
	})
	t.Run("the changed rules apply to the next request", func(t *testing.T) {
		login := h.do(t, call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)})
		guid, found := strings.CutPrefix(login.Header.Get("Set-GUID"), "JSESSIONID=")
		if !found || login.Env.Result["guid"] != nil {
			t.Fatalf("login answered %s with Set-GUID %q", login.Body, login.Header.Get("Set-GUID"))
		}
		expect(t, h.do(t, registerCall(guid)), 200, "107-026")
		expect(t, h.do(t, registerCall("00000000-0000-4000-8000-000000000000.X")), 200, "107-007")
	})
	t.Run("servers, lists and booleans can be set and cleared", func(t *testing.T) {
		status, body := h.control(t, "POST", "/_sim/config",
			`{"subscriptionServers":["crm.example.com","10.0.0.1"],"allowHttpLoopback":true,"laxCallbacks":true,"laxAgentId":true,"ifSubConfigure":true,"guidIdle":"5m"}`)
		if status != 200 {
			t.Fatalf("HTTP %d %s", status, body)
		}
		r := h.sim.Rules()
		if !slices.Equal(r.SubscriptionServers, []string{"crm.example.com", "10.0.0.1"}) || !r.AllowHTTPLoopback || !r.LaxCallbacks ||
			!r.LaxAgentID || r.IFSubConfigureOff || r.GuidIdle != 5*time.Minute {
			t.Fatalf("rules %+v", r)
		}
		h.control(t, "POST", "/_sim/config", `{"subscriptionServers":[]}`)
		if got := getConfig(t).SubscriptionServers; got == nil || len(got) != 0 {
			t.Errorf("servers %v, want an empty list", got)
		}
	})
	t.Run("a guidIdle of 0 restores the default", func(t *testing.T) {
		h.control(t, "POST", "/_sim/config", `{"guidIdle":"0s"}`)
		if got := getConfig(t).GuidIdle; got != "30m0s" {
			t.Errorf("guidIdle %q", got)
		}
	})
	bad := []struct{ name, body string }{
		{"an unknown field", `{"guidIdel":"5m"}`},
		{"an unknown expired code", `{"expiredCode":"107-001","laxAgentId":false}`},
		{"an unknown Guid place", `{"guidIn":"cookie"}`},
		{"a duration that is not one", `{"guidIdle":"soon"}`},
		{"a server with a port", `{"subscriptionServers":["crm.example.com:443"]}`},
		{"a boolean as a string", `{"laxCallbacks":"true"}`},
		{"a body that is not an object", `[]`},
	}
	for _, tc := range bad {
		t.Run(tc.name+" is refused and changes nothing", func(t *testing.T) {
			before := h.sim.Rules()
			status, body := h.control(t, "POST", "/_sim/config", tc.body)
			if status != 400 || !strings.Contains(body, `"error"`) {
				t.Errorf("HTTP %d %s, want 400 with an error", status, body)
			}
			if after := h.sim.Rules(); !cmp.Equal(before, after) {
				t.Errorf("rules changed from %+v to %+v", before, after)
			}
		})
	}
}

func TestControlFaultsTakeTheHostileAnswers(t *testing.T) {
	h := start(t, Config{})
	body := `{"op":"register","truncate":true,"html":true,"redirect":true,"numericRetcode":true,"noResult":true,"resultAs":"array","oversize":true,"processed":true,"httpStatus":503}`
	if status, got := h.control(t, "POST", "/_sim/faults", body); status != 200 {
		t.Fatalf("HTTP %d %s", status, got)
	}
	want := Fault{Op: OpRegister, Truncate: true, HTML: true, Redirect: true, NumericRetcode: true, NoResult: true,
		ResultAs: ResultAsArray, Oversize: true, Processed: true, HTTPStatus: 503, Times: 1}
	if got := h.sim.Faults(); len(got) != 1 || got[0] != want {
		t.Fatalf("faults %+v, want %+v", got, want)
	}
	for _, bad := range []string{`{"resultAs":"object"}`, `{"redirect":true,"httpStatus":500}`, `{"html":true,"httpStatus":302}`, `{"delay":"-1s"}`} {
		if status, got := h.control(t, "POST", "/_sim/faults", bad); status != 400 {
			t.Errorf("%s: HTTP %d %s, want 400", bad, status, got)
		}
	}
}
