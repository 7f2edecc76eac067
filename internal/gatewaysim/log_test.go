package gatewaysim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTheRequestLogKeepsWhatWasSentAndAnswered(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	modifyBody := `{"serviceCallBackUri":"https://b.test","nlpFlag":false}`
	h.do(t, call{method: "POST", path: ModifyPath + "?serverId=" + id, body: modifyBody, guid: guid})
	h.do(t, call{method: "POST", path: HandshakePrefix + id, guid: guid, header: map[string]string{"service_token": "tok-123"}})
	h.do(t, call{method: "PUT", path: "/elsewhere", body: "x", header: map[string]string{"Content-Type": "text/plain"}})

	type row struct {
		Op, Method, Path, RawQuery, Body, Guid, ContentType, Token, Retcode string
		Status                                                              int
	}
	var got []row
	for _, r := range h.sim.Requests() {
		if !r.Time.Equal(t0) {
			t.Errorf("%s logged at %v, want the Clock's %v", r.Op, r.Time, t0)
		}
		got = append(got, row{r.Op, r.Method, r.Path, r.RawQuery, string(r.Body), r.Header.Get("Guid"),
			r.Header.Get("Content-Type"), r.Header.Get("service_token"), r.Retcode, r.Status})
	}
	const ct = "application/json; charset=UTF-8"
	want := []row{
		{OpLogin, "POST", LoginPath, "", loginBody("100001", DefaultPassword), "", ct, "", "0", 200},
		{OpRegister, "POST", RegisterPath, "", validRegister, guid, ct, "", "0", 200},
		{OpModify, "POST", ModifyPath, "serverId=" + id, modifyBody, guid, ct, "", "0", 200},
		{OpHandshake, "POST", HandshakePrefix + id, "", "", guid, ct, "tok-123", "0", 200},
		{"", "PUT", "/elsewhere", "", "x", "", "text/plain", "", "000-002", 404},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("request log (-want +got):\n%s", diff)
	}
	t.Run("RequestsFor picks one operation and an empty op picks all", func(t *testing.T) {
		if n := len(h.sim.RequestsFor(OpModify)); n != 1 {
			t.Errorf("%d modify requests, want 1", n)
		}
		if n := len(h.sim.RequestsFor("")); n != len(want) {
			t.Errorf("%d requests for \"\", want %d", n, len(want))
		}
	})
	t.Run("Requests returns copies", func(t *testing.T) {
		first := h.sim.Requests()[0]
		first.Body[0] = 'X'
		first.Header.Set("Guid", "changed")
		if again := h.sim.Requests()[0]; string(again.Body) != want[0].Body || again.Header.Get("Guid") != "" {
			t.Errorf("editing a returned request changed the log: %+v", again)
		}
	})
	t.Run("ResetLog empties it", func(t *testing.T) {
		h.sim.ResetLog()
		if n := len(h.sim.Requests()); n != 0 {
			t.Errorf("%d requests after ResetLog", n)
		}
	})
}

func TestWaitRequests(t *testing.T) {
	h := start(t, Config{})
	h.login(t)
	tests := []struct {
		name    string
		op      string
		n       int
		wantErr bool
	}{
		{"enough requests already logged return at once", OpLogin, 1, false},
		{"zero requests are always there", OpRegister, 0, false},
		{"an empty op counts every request", "", 1, false},
		{"too few requests end with the context's error", OpLogin, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a wait that would block fails at once instead
			err := h.sim.WaitRequests(ctx, tc.op, tc.n)
			if (err != nil) != tc.wantErr || (tc.wantErr && !errors.Is(err, context.Canceled)) {
				t.Fatalf("WaitRequests: %v, want error %v", err, tc.wantErr)
			}
		})
	}
	t.Run("a waiter wakes up when the request arrives", func(t *testing.T) {
		woke := make(chan error, 1)
		go func() { woke <- h.sim.WaitRequests(waitCtx(t), OpLogin, 2) }()
		h.login(t)
		if err := <-woke; err != nil {
			t.Fatal(err)
		}
	})
}

func TestControlRequestsAreNotLogged(t *testing.T) {
	h := start(t, Config{})
	resp, err := h.client.Get(h.sim.URL() + "/_sim/requests")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sim/requests: %d", resp.StatusCode)
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("%d requests logged, want 0", n)
	}
}

func TestTheLogShowsEachRequestsHeadersAndCountsPerOperation(t *testing.T) {
	h := start(t, Config{})
	guid := h.login(t)
	id := h.register(t, guid, validRegister)
	h.handshake(t, guid, id, "")
	h.handshake(t, guid, id, "tok-123")
	h.do(t, call{method: "GET", path: "/elsewhere"})
	// The harness client sends no keep-alive (Connection: close), gzip and
	// its User-Agent besides what the test sets.
	base := []string{"Accept-Encoding", "Connection", "Content-Type", "User-Agent"}
	with := func(extra ...string) []string {
		names := append(append([]string{}, base...), extra...)
		slices.Sort(names)
		return names
	}
	want := [][]string{
		with("Content-Length"),
		with("Content-Length", "Guid"),
		with("Guid"),
		with("Content-Length", "Guid", "Service_token"),
		with(),
	}
	var got [][]string
	for _, r := range h.sim.Requests() {
		got = append(got, r.HeaderNames())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("header names (-want +got):\n%s", diff)
	}
	if got := h.sim.RequestsFor(OpHandshake)[1].Header["Service_token"]; len(got) != 1 || got[0] != "tok-123" {
		t.Errorf("logged service_token %q", got)
	}
	wantCounts := map[string]int{OpLogin: 1, OpRegister: 1, OpHandshake: 2, "": 1}
	if diff := cmp.Diff(wantCounts, h.sim.Counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	h.sim.ResetLog()
	if got := h.sim.Counts(); len(got) != 0 {
		t.Errorf("counts after ResetLog: %v", got)
	}
}
