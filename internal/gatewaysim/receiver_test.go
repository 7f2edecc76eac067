package gatewaysim

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
)

// received is one push as a receiver saw it.
type received struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// receiver is a callback server on 127.0.0.1 that records every request
// and answers with answer (nil: the §6 acceptance answer).
type receiver struct {
	srv *httptest.Server
	got chan received
}

func newReceiver(t *testing.T, answer http.HandlerFunc) *receiver {
	t.Helper()
	rc := newUnstartedReceiver(answer)
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

// newUnstartedReceiver lets a test configure TLS before starting it.
func newUnstartedReceiver(answer http.HandlerFunc) *receiver {
	rc := &receiver{got: make(chan received, 10000)} // never full: a blocked handler would stall pushes
	if answer == nil {
		answer = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"retcode":"0","message":"success"}`)
		}
	}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.got <- received{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
		answer(w, r)
	}))
	rc.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused TLS handshakes are expected
	return rc
}

// next waits for the next push the receiver got.
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	ctx := waitCtx(t)
	select {
	case r := <-rc.got:
		return r
	case <-ctx.Done():
		t.Fatal("no push arrived")
		return received{}
	}
}

// none fails if the receiver got anything so far. Call it only after the
// push that could have reached it has returned: a request is recorded
// before it is answered.
func (rc *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-rc.got:
		t.Fatalf("the receiver got %s %s", r.Method, r.Path)
	default:
	}
}

// fields decodes a pushed body.
func fields(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatalf("push body %s: %v", body, err)
	}
	return f
}

// subscribe registers a subscription with these callback fields over the
// gateway API and returns its serverId.
func (h *harness) subscribe(t *testing.T, guid, uri, token string, nlp bool, flow string) string {
	t.Helper()
	body := map[string]any{"subscribeType": "1", "serviceCallBackUri": uri, "nlpFlag": nlp}
	if token != "" {
		body["serviceToken"] = token
	}
	if flow != "" {
		body["flowAccessCode"] = flow
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return h.register(t, guid, string(b))
}
