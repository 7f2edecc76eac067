package gatewaysim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// raw sends c with a client that follows no redirect and returns the
// response with its body read as far as it goes (readErr: why it stopped).
func (h *harness) raw(t *testing.T, c call) (resp *http.Response, body []byte, readErr error) {
	t.Helper()
	req, err := http.NewRequest(c.method, h.sim.URL()+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if c.guid != "" {
		req.Header.Set("Guid", c.guid)
	}
	noFollow := *h.client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	body, readErr = io.ReadAll(resp.Body)
	return resp, body, readErr
}

// wantSubscriptions fails unless exactly n subscriptions exist, all active.
func (h *harness) wantSubscriptions(t *testing.T, n int) []Subscription {
	t.Helper()
	subs := h.sim.Subscriptions()
	if len(subs) != n {
		t.Fatalf("%d subscriptions, want %d: %+v", len(subs), n, subs)
	}
	for _, s := range subs {
		if !s.Active {
			t.Fatalf("subscription %+v is not active", s)
		}
	}
	return subs
}

func TestATimedOutRegisterStillCreatesItsSubscription(t *testing.T) {
	if f := TimedOutRegister(time.Second); f != (Fault{Op: OpRegister, Retcode: "107-029", Delay: time.Second, Processed: true}) {
		t.Fatalf("TimedOutRegister = %+v", f)
	}
	t.Run("the subscription exists while the answer is still delayed", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(TimedOutRegister(time.Hour))
		ctx, cancel := context.WithCancel(context.Background())
		done := h.sendAsync(ctx, registerCall(guid))
		if err := h.sim.WaitRequests(waitCtx(t), OpRegister, 1); err != nil {
			t.Fatal(err)
		}
		// A Processed request is logged once the gateway has acted on it.
		h.wantSubscriptions(t, 1)
		select {
		case err := <-done:
			t.Fatalf("the register was answered during its delay: %v", err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("client error %v", err)
		}
		h.wantSubscriptions(t, 1)
	})
	t.Run("after the delay it answers 107-029 and handshakes keep the subscription alive", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		const delay = 20 * time.Millisecond
		h.sim.Inject(TimedOutRegister(delay))
		began := time.Now()
		r := h.do(t, registerCall(guid))
		took := time.Since(began)
		expect(t, r, 200, "107-029")
		if took < delay || r.Env.Result != nil || r.Env.Message != "subscription request timed out" {
			t.Fatalf("answered after %v with result %v, message %q", took, r.Env.Result, r.Env.Message)
		}
		if logged := h.sim.RequestsFor(OpRegister); len(logged) != 1 || logged[0].Retcode != "107-029" {
			t.Fatalf("log %+v", logged)
		}
		id := h.wantSubscriptions(t, 1)[0].ServerID
		other := h.register(t, guid, validRegister) // never handshaken: the control
		for range 3 {
			h.clock.Advance(DefaultExpiry - time.Second)
			expect(t, h.handshake(t, guid, id, "tok-123"), 200, "0")
		}
		if s := h.subscription(t, id); s.State != StateActive {
			t.Errorf("the timed-out register's subscription is %s, want active", s.State)
		}
		if s := h.subscription(t, other); s.State != StateExpired {
			t.Errorf("the control subscription is %s, want expired", s.State)
		}
	})
	t.Run("without Processed a 107-029 creates nothing", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(Fault{Op: OpRegister, Retcode: "107-029", Delay: time.Millisecond})
		expect(t, h.do(t, registerCall(guid)), 200, "107-029")
		h.wantSubscriptions(t, 0)
	})
}

func TestTruncateSendsHalfTheAnswerThenCloses(t *testing.T) {
	for _, processed := range []bool{false, true} {
		t.Run(fmt.Sprintf("Processed %v", processed), func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			h.sim.Inject(Fault{Op: OpRegister, Truncate: true, Processed: processed})
			resp, body, err := h.raw(t, registerCall(guid))
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading the body: %v, want io.ErrUnexpectedEOF", err)
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" ||
				resp.ContentLength != int64(2*len(body)) && resp.ContentLength != int64(2*len(body)+1) {
				t.Fatalf("HTTP %d %v, Content-Length %d for %d bytes received", resp.StatusCode, resp.Header, resp.ContentLength, len(body))
			}
			want := `{"retcode":"0","message":"success"}`
			if processed {
				want = `{"retcode":"0","message":"success","result":{"serverId":"` + h.wantSubscriptions(t, 1)[0].ServerID + `"}}`
			} else {
				h.wantSubscriptions(t, 0)
			}
			if int64(len(want)) != resp.ContentLength || !strings.HasPrefix(want, string(body)) || json.Valid(body) {
				t.Errorf("received %q of %d announced bytes; want the first half of %q", body, resp.ContentLength, want)
			}
			if logged := h.sim.RequestsFor(OpRegister); len(logged) != 1 || logged[0].Status != 200 || logged[0].Retcode != "" {
				t.Errorf("log %+v; want status 200 without a retcode", logged)
			}
		})
	}
}

func TestHTMLErrorPages(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantSubs   int
	}{
		{"the default is a 502 page", Fault{Op: OpRegister, HTML: true}, 502, 0},
		{"the page carries the HTTPStatus given", Fault{Op: OpRegister, HTML: true, HTTPStatus: 504}, 504, 0},
		{"a processed request's answer is lost behind the page", Fault{Op: OpRegister, HTML: true, HTTPStatus: 500, Processed: true}, 500, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			h.sim.Inject(tc.fault)
			resp, body, err := h.raw(t, registerCall(guid))
			if err != nil {
				t.Fatal(err)
			}
			title := fmt.Sprintf("%d %s", tc.wantStatus, http.StatusText(tc.wantStatus))
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("Content-Type") != "text/html" ||
				!bytes.HasPrefix(body, []byte("<html>")) || !bytes.Contains(body, []byte("<title>"+title+"</title>")) {
				t.Fatalf("HTTP %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			h.wantSubscriptions(t, tc.wantSubs)
		})
	}
}

func TestRedirects(t *testing.T) {
	t.Run("a 302 by default, to the same path and query under RedirectPrefix", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		id := h.register(t, guid, validRegister)
		h.sim.Inject(Fault{Op: OpModify, Redirect: true})
		resp, _, err := h.raw(t, call{method: "POST", path: ModifyPath + "?serverId=" + id,
			body: `{"serviceCallBackUri":"https://b.test","nlpFlag":true}`, guid: guid})
		if err != nil {
			t.Fatal(err)
		}
		if want := RedirectPrefix + ModifyPath + "?serverId=" + id; resp.StatusCode != 302 || resp.Header.Get("Location") != want {
			t.Fatalf("HTTP %d Location %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
		if s := h.subscription(t, id); s.CallBackURI != "https://127.0.0.1:9443/cb" {
			t.Errorf("an unprocessed redirected modify changed the subscription: %+v", s)
		}
	})
	t.Run("a client that follows a 307 shows up in the log at an unknown path", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(Fault{Op: OpRegister, Redirect: true, HTTPStatus: 307, Processed: true})
		r := h.do(t, registerCall(guid)) // h.client follows redirects, re-sending the body
		expect(t, r, 404, "000-002")
		logged := h.sim.Requests()
		if len(logged) != 3 || logged[1].Status != 307 || logged[2].Op != "" || logged[2].Path != RedirectPrefix+RegisterPath ||
			string(logged[2].Body) != validRegister {
			t.Fatalf("log %+v", logged)
		}
		h.wantSubscriptions(t, 1)
	})
}

func TestNumericRetcodes(t *testing.T) {
	t.Run("alone it dresses the normal answer, which takes effect", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(Fault{Op: OpRegister, NumericRetcode: true})
		r := h.do(t, registerCall(guid))
		id := h.wantSubscriptions(t, 1)[0].ServerID
		if want := `{"retcode":0,"message":"success","result":{"serverId":"` + id + `"}}`; string(r.Body) != want {
			t.Fatalf("body %s, want %s", r.Body, want)
		}
	})
	t.Run("with a Retcode the code goes out as a number and nothing happens", func(t *testing.T) {
		h := start(t, Config{})
		guid := h.login(t)
		h.sim.Inject(Fault{Op: OpRegister, NumericRetcode: true, Retcode: "107-029"})
		if r := h.do(t, registerCall(guid)); string(r.Body) != `{"retcode":107029,"message":"subscription request timed out"}` {
			t.Fatalf("body %s", r.Body)
		}
		h.wantSubscriptions(t, 0)
		if logged := h.sim.RequestsFor(OpRegister); logged[0].Retcode != "107-029" {
			t.Errorf("logged retcode %q, want the code as text", logged[0].Retcode)
		}
	})
	t.Run("a rejection of the normal answer is numeric too", func(t *testing.T) {
		h := start(t, Config{})
		h.sim.Inject(Fault{Op: OpLogin, NumericRetcode: true})
		r := h.do(t, call{method: "POST", path: LoginPath, body: loginBody("100001", "wrong")})
		if !bytes.HasPrefix(r.Body, []byte(`{"retcode":107003,`)) {
			t.Fatalf("body %s", r.Body)
		}
	})
	for code, want := range map[string]string{"0": "0", "107-029": "107029", "000-003": "3", "000-000": "0", "x-1": "", "": ""} {
		got, isNumber := numericRetcode(code)
		if string(got) != want || isNumber != (want != "") {
			t.Errorf("numericRetcode(%q) = %q, %v; want %q", code, got, isNumber, want)
		}
	}
}

func TestSuccessWithoutOrWithAWrongResult(t *testing.T) {
	tests := []struct {
		name      string
		fault     Fault
		op        string
		wantBody  string // "%s": the serverId or Guid the request created
		wantCount int    // subscriptions after a register
	}{
		{"NoResult answers success without a result", Fault{NoResult: true}, OpRegister, `{"retcode":"0","message":"success"}`, 0},
		{"NoResult with Processed creates the subscription", Fault{NoResult: true, Processed: true}, OpRegister, `{"retcode":"0","message":"success"}`, 1},
		{"ResultAs string", Fault{ResultAs: ResultAsString}, OpRegister, `{"retcode":"0","message":"success","result":"success"}`, 0},
		{"ResultAs string with Processed is the bare serverId", Fault{ResultAs: ResultAsString, Processed: true}, OpRegister, `{"retcode":"0","message":"success","result":"%s"}`, 1},
		{"ResultAs array", Fault{ResultAs: ResultAsArray}, OpRegister, `{"retcode":"0","message":"success","result":[]}`, 0},
		{"ResultAs array with Processed wraps the real result", Fault{ResultAs: ResultAsArray, Processed: true}, OpRegister, `{"retcode":"0","message":"success","result":[{"serverId":"%s"}]}`, 1},
		{"ResultAs number", Fault{ResultAs: ResultAsNumber, Processed: true}, OpRegister, `{"retcode":"0","message":"success","result":1}`, 1},
		{"ResultAs string on a login is the bare Guid, which works", Fault{ResultAs: ResultAsString, Processed: true}, OpLogin, `{"retcode":"0","message":"success","result":"%s"}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			tc.fault.Op = tc.op
			h.sim.Inject(tc.fault)
			c := registerCall(guid)
			if tc.op == OpLogin {
				c = call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)}
			}
			r := h.do(t, c)
			subs := h.wantSubscriptions(t, tc.wantCount)
			created := ""
			if len(subs) == 1 {
				created = subs[0].ServerID
			}
			if tc.op == OpLogin {
				var env struct{ Result string }
				_ = json.Unmarshal(r.Body, &env)
				created = env.Result
				h.register(t, created, validRegister)
			}
			if want := strings.ReplaceAll(tc.wantBody, "%s", created); string(r.Body) != want || r.Status != 200 {
				t.Fatalf("HTTP %d %s, want %s", r.Status, r.Body, want)
			}
		})
	}
}

func TestOversizeAnswersAreValidJSONOverOneMiB(t *testing.T) {
	if OversizeBytes <= 1<<20 {
		t.Fatalf("OversizeBytes %d is not over 1 MiB", OversizeBytes)
	}
	for _, processed := range []bool{false, true} {
		t.Run(fmt.Sprintf("Processed %v", processed), func(t *testing.T) {
			h := start(t, Config{})
			guid := h.login(t)
			h.sim.Inject(Fault{Op: OpRegister, Oversize: true, Processed: processed})
			resp, body, err := h.raw(t, registerCall(guid))
			if err != nil {
				t.Fatal(err)
			}
			var env struct {
				Retcode string
				Result  map[string]string
				Padding string
			}
			if resp.StatusCode != 200 || len(body) != OversizeBytes || resp.ContentLength != OversizeBytes || json.Unmarshal(body, &env) != nil {
				t.Fatalf("HTTP %d, %d bytes (Content-Length %d), valid JSON %v", resp.StatusCode, len(body), resp.ContentLength, json.Valid(body))
			}
			if env.Retcode != "0" || strings.Trim(env.Padding, "x") != "" {
				t.Errorf("retcode %q, padding not all x", env.Retcode)
			}
			if processed {
				if id := h.wantSubscriptions(t, 1)[0].ServerID; env.Result["serverId"] != id {
					t.Errorf("result %v, want serverId %s", env.Result, id)
				}
			} else if h.wantSubscriptions(t, 0); env.Result != nil {
				t.Errorf("an unprocessed register answered a result %v", env.Result)
			}
		})
	}
	t.Run("an oversize rejection keeps its retcode", func(t *testing.T) {
		h := start(t, Config{})
		h.sim.Inject(Fault{Op: OpLogin, Oversize: true, Retcode: "107-005"})
		_, body, err := h.raw(t, call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)})
		if err != nil || len(body) != OversizeBytes || !bytes.HasPrefix(body, []byte(`{"retcode":"107-005",`)) {
			t.Fatalf("%v, %d bytes: %.60s", err, len(body), body)
		}
	})
}

func TestInvalidFaultsAreRefused(t *testing.T) {
	bad := []Fault{
		{Op: "logout"},
		{ResultAs: "object"},
		{HTTPStatus: 99},
		{HTTPStatus: 600},
		{HTML: true, HTTPStatus: 302},
		{Redirect: true, HTTPStatus: 500},
		{Times: -2},
		{Delay: -time.Second},
	}
	for _, f := range bad {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			if f.Validate() == nil {
				t.Fatal("Validate accepted it")
			}
			s := New(Config{})
			defer func() {
				if recover() == nil {
					t.Error("Inject did not panic")
				}
				if n := len(s.Faults()); n != 0 {
					t.Errorf("%d faults pending", n)
				}
			}()
			s.Inject(f)
		})
	}
}
