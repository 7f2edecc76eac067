package gatewaysim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// callIDPattern is the platform's call ID: "<unix seconds>-<sequence>".
var callIDPattern = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

func TestPushToSendsTheNotificationAsSection6Says(t *testing.T) {
	// LaxCallbacks for the query case: a strict gateway refuses a callback
	// with a query at register, a lax one keeps it when pushing.
	h := start(t, Config{AllowHTTPLoopback: true, LaxCallbacks: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)
	tests := []struct {
		name, callback, token string
		nlp                   bool
		wantPath, wantQuery   string
	}{
		{"a subscription with a token gets it in a service_token header",
			rc.srv.URL + "/cb", "tok-abc", false, "/cb" + PushPath, ""},
		{"a subscription without a token gets no service_token header",
			rc.srv.URL + "/cb/", "", false, "/cb" + PushPath, ""},
		{"a subscription with nlpFlag also gets an nlpResult",
			rc.srv.URL, "tok-nlp", true, PushPath, ""},
		{"a query on the callback URI is kept behind the pushed path",
			rc.srv.URL + "/in?tenant=7", "tok-q", false, "/in" + PushPath, "tenant=7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := h.subscribe(t, guid, tc.callback, tc.token, tc.nlp, "4001")
			res := h.sim.PushTo(t.Context(), id, Push{})
			if res.Err != nil || res.Status != 200 || string(res.Body) != `{"retcode":"0","message":"success"}` {
				t.Fatalf("result %+v", res)
			}
			got := rc.next(t)
			if got.Method != "POST" || got.Path != tc.wantPath || got.RawQuery != tc.wantQuery {
				t.Errorf("pushed %s %s?%s, want POST %s?%s", got.Method, got.Path, got.RawQuery, tc.wantPath, tc.wantQuery)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if tok, sent := got.Header["Service_token"]; tc.token == "" && sent || tc.token != "" && (len(tok) != 1 || tok[0] != tc.token) {
				t.Errorf("service_token header %q (sent: %v), want %q", tok, sent, tc.token)
			}
			if want := rc.srv.URL + tc.wantPath + map[bool]string{true: "?" + tc.wantQuery}[tc.wantQuery != ""]; res.URL != want {
				t.Errorf("result URL %q, want %q", res.URL, want)
			}
			f := fields(t, got.Body)
			if string(res.Sent) != string(got.Body) || f["serverid"] != id {
				t.Errorf("sent %s, received %s for %s", res.Sent, got.Body, id)
			}
			if nlp, present := f["nlpResult"].(map[string]any); present != tc.nlp || tc.nlp && nlp["flowaccesscode"] != "4001" {
				t.Errorf("nlpResult %v, want present: %v with the flow access code", f["nlpResult"], tc.nlp)
			}
		})
	}
}

func TestPushBodyFieldsAndDefaults(t *testing.T) {
	h := start(t, Config{AllowHTTPLoopback: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)
	id := h.subscribe(t, guid, rc.srv.URL, "tok", false, "")
	tests := []struct {
		name string
		push Push
		want map[string]any // fields of the body other than serverid and curcallid
		// wantCallID is the curcallid wanted; "" means any platform-style ID.
		wantCallID string
	}{
		{"a zero Push is a final customer result with realistic values", Push{}, map[string]any{
			"subscribetype": "1", "initialagentid": simAgentID, "ccid": simCCID, "vdnid": simVDNID,
			"curuserdn": simCustomerDN, "talkertype": "2", "talkerid": simCustomerDN, "asrusercase": "0",
			"result": []any{map[string]any{"confidence": 0.9, "content": script[1].text, "iscontentenc": "0"}},
		}, ""},
		{"an agent's result names the agent as talker", Push{Speaker: SpeakerAgent}, map[string]any{
			"subscribetype": "1", "initialagentid": simAgentID, "ccid": simCCID, "vdnid": simVDNID,
			"curuserdn": simCustomerDN, "talkertype": "1", "talkerid": simAgentID, "asrusercase": "0",
			"result": []any{map[string]any{"confidence": 0.9, "content": script[0].text, "iscontentenc": "0"}},
		}, ""},
		{"given values are sent as given", Push{CallID: "1700000000-42", Speaker: "2", Text: "Where is my parcel?",
			CauseCode: "3", Confidence: 0.42}, map[string]any{
			"subscribetype": "1", "initialagentid": simAgentID, "ccid": simCCID, "vdnid": simVDNID,
			"curuserdn": simCustomerDN, "talkertype": "2", "talkerid": simCustomerDN, "asrusercase": "3",
			"result": []any{map[string]any{"confidence": 0.42, "content": "Where is my parcel?", "iscontentenc": "0"}},
		}, "1700000000-42"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if res := h.sim.PushTo(t.Context(), id, tc.push); res.Err != nil {
				t.Fatal(res.Err)
			}
			f := fields(t, rc.next(t).Body)
			callID, _ := f["curcallid"].(string)
			if tc.wantCallID != "" && callID != tc.wantCallID || !callIDPattern.MatchString(callID) {
				t.Errorf("curcallid %q, want %q or a platform-style ID", callID, tc.wantCallID)
			}
			delete(f, "curcallid")
			tc.want["serverid"] = id
			if diff := cmp.Diff(tc.want, f); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("two zero pushes are two different calls", func(t *testing.T) {
		a, b := h.sim.PushTo(t.Context(), id, Push{}), h.sim.PushTo(t.Context(), id, Push{})
		if fa, fb := fields(t, a.Sent), fields(t, b.Sent); fa["curcallid"] == fb["curcallid"] {
			t.Errorf("both pushes have curcallid %v", fa["curcallid"])
		}
	})
}

func TestPushOnlyToActiveSubscriptions(t *testing.T) {
	h := start(t, Config{AllowHTTPLoopback: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)
	cancelled := h.subscribe(t, guid, rc.srv.URL, "tok", false, "")
	expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + cancelled + `"}`, guid: guid}), 200, "0")
	expired := h.subscribe(t, guid, rc.srv.URL, "tok", false, "")
	h.clock.Advance(DefaultExpiry)
	for name, id := range map[string]string{"unknown": "20260101000000-001-99999", "cancelled": cancelled, "expired": expired} {
		t.Run("a push for an "+name+" subscription sends nothing", func(t *testing.T) {
			res := h.sim.PushTo(t.Context(), id, Push{})
			if !errors.Is(res.Err, ErrNoActiveSubscription) || res.Status != 0 || res.URL != "" {
				t.Errorf("result %+v, want ErrNoActiveSubscription", res)
			}
			rc.none(t)
		})
	}
	if n := len(h.sim.Pushes()); n != 3 {
		t.Errorf("%d pushes logged, want the 3 that sent nothing", n)
	}
}

func TestPushTransport(t *testing.T) {
	tlsRC := newUnstartedReceiver(nil)
	tlsRC.srv.StartTLS()
	t.Cleanup(tlsRC.srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(tlsRC.srv.Certificate())
	oldRC := newUnstartedReceiver(nil)
	oldRC.srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	oldRC.srv.StartTLS()
	t.Cleanup(oldRC.srv.Close)
	roots.AddCert(oldRC.srv.Certificate())

	tests := []struct {
		name     string
		roots    *x509.CertPool
		callback string
		check    func(t *testing.T, res PushResult)
	}{
		{"an https receiver whose CA is in PushRoots gets the push", roots, tlsRC.srv.URL, func(t *testing.T, res PushResult) {
			if res.Err != nil || res.Status != 200 {
				t.Fatalf("result %+v", res)
			}
			tlsRC.next(t)
		}},
		{"an https receiver is verified against the system roots by default", nil, tlsRC.srv.URL, func(t *testing.T, res PushResult) {
			var unknownCA x509.UnknownAuthorityError
			if !errors.As(res.Err, &unknownCA) {
				t.Fatalf("error %v, want x509.UnknownAuthorityError", res.Err)
			}
			tlsRC.none(t)
		}},
		{"a receiver that speaks only TLS 1.1 is refused", roots, oldRC.srv.URL, func(t *testing.T, res PushResult) {
			if res.Err == nil || res.Status != 0 {
				t.Fatalf("result %+v, want a TLS error", res)
			}
			oldRC.none(t)
		}},
		{"plain http to a host that is not loopback is refused before sending", roots, "http://example.test/cb", func(t *testing.T, res PushResult) {
			if !errors.Is(res.Err, ErrInsecureCallback) || res.URL != "" {
				t.Fatalf("result %+v, want ErrInsecureCallback", res)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// LaxCallbacks: a strict gateway would refuse the http://example.test
			// callback at register already; the push must refuse it too.
			h := start(t, Config{PushRoots: tc.roots, AllowHTTPLoopback: true, LaxCallbacks: true})
			id := h.subscribe(t, h.login(t), tc.callback, "tok", false, "")
			tc.check(t, h.sim.PushTo(t.Context(), id, Push{}))
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "localhost": true, "LocalHost": true,
		"10.0.0.1": false, "0.0.0.0": false, "example.test": false, "localhost.example.test": false, "": false,
	} {
		t.Run(host+" is loopback: "+map[bool]string{true: "yes", false: "no"}[want], func(t *testing.T) {
			if got := isLoopbackHost(host); got != want {
				t.Errorf("isLoopbackHost(%q) = %v", host, got)
			}
		})
	}
}

func TestPushAnswers(t *testing.T) {
	elsewhere := newReceiver(t, nil)
	release := make(chan struct{})
	tests := []struct {
		name   string
		cfg    Config
		answer http.HandlerFunc
		check  func(t *testing.T, res PushResult)
	}{
		{"a redirect is not followed", Config{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.srv.URL, http.StatusFound)
		}, func(t *testing.T, res PushResult) {
			if res.Err != nil || res.Status != http.StatusFound {
				t.Fatalf("result %+v, want the 302 itself", res)
			}
			elsewhere.none(t)
		}},
		{"a 401 answer is a status, not an error", Config{}, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"retcode":"107-051","message":"bad token"}`)
		}, func(t *testing.T, res PushResult) {
			if res.Err != nil || res.Status != 401 || !strings.Contains(string(res.Body), "107-051") {
				t.Fatalf("result %+v", res)
			}
		}},
		{"a huge answer is kept only up to 64 KiB", Config{}, func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
		}, func(t *testing.T, res PushResult) {
			if res.Err != nil || len(res.Body) != maxPushAnswer {
				t.Fatalf("error %v, body of %d bytes, want %d", res.Err, len(res.Body), maxPushAnswer)
			}
		}},
		{"a receiver that never answers times out after PushTimeout", Config{PushTimeout: 50 * time.Millisecond}, func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, func(t *testing.T, res PushResult) {
			var ne net.Error
			if !errors.As(res.Err, &ne) || !ne.Timeout() || res.Status != 0 {
				t.Fatalf("result %+v, want a timeout", res)
			}
		}},
	}
	t.Cleanup(func() { close(release) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.AllowHTTPLoopback = true
			h := start(t, tc.cfg)
			rc := newReceiver(t, tc.answer)
			id := h.subscribe(t, h.login(t), rc.srv.URL, "tok", false, "")
			res := h.sim.PushTo(t.Context(), id, Push{})
			tc.check(t, res)
			if log := h.sim.Pushes(); len(log) != 1 || log[0].Status != res.Status || log[0].URL != res.URL {
				t.Errorf("outbound log %+v, want the one result", log)
			}
		})
	}
}

func TestPushEndsWhenTheCallerOrTheSimulatorStops(t *testing.T) {
	hang := func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	stops := map[string]func(h *harness, cancel context.CancelFunc){
		"the caller's context ends": func(_ *harness, cancel context.CancelFunc) { cancel() },
		"the simulator closes":      func(h *harness, _ context.CancelFunc) { _ = h.sim.Close() },
		"the simulator shuts down":  func(h *harness, _ context.CancelFunc) { _ = h.sim.Shutdown(context.Background()) },
	}
	for name, stop := range stops {
		t.Run("a push to a hanging receiver ends when "+name, func(t *testing.T) {
			h := start(t, Config{AllowHTTPLoopback: true})
			rc := newReceiver(t, hang)
			id := h.subscribe(t, h.login(t), rc.srv.URL, "tok", false, "")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan PushResult, 1)
			go func() { done <- h.sim.PushTo(ctx, id, Push{}) }()
			rc.next(t)
			stop(h, cancel)
			if res := <-done; !errors.Is(res.Err, context.Canceled) {
				t.Errorf("result %+v, want context.Canceled", res)
			}
		})
	}
}

func TestTheTokenHeaderIsSpelledServiceTokenOnTheWire(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	head := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			head <- ""
			return
		}
		defer conn.Close()
		head <- readHead(conn)
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	}()
	h := start(t, Config{AllowHTTPLoopback: true})
	id := h.subscribe(t, h.login(t), "http://"+ln.Addr().String()+"/cb", "tok-wire", false, "")
	if res := h.sim.PushTo(t.Context(), id, Push{}); res.Err != nil || res.Status != 200 {
		t.Fatalf("result %+v", res)
	}
	if got := <-head; !strings.Contains(got, "\r\nservice_token: tok-wire\r\n") {
		t.Errorf("request head does not carry the header as service_token:\n%s", got)
	}
}

// readHead reads an HTTP request head byte by byte, up to the blank line.
func readHead(conn net.Conn) string {
	var b strings.Builder
	one := make([]byte, 1)
	for !strings.HasSuffix(b.String(), "\r\n\r\n") {
		if _, err := conn.Read(one); err != nil {
			break
		}
		b.Write(one)
	}
	return b.String()
}
