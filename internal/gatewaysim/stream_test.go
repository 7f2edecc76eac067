package gatewaysim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPushStream(t *testing.T) {
	h := start(t, Config{AllowHTTPLoopback: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)

	t.Run("n pushes are the lines of one call with alternating speakers", func(t *testing.T) {
		id := h.subscribe(t, guid, rc.srv.URL, "tok", false, "")
		results := h.sim.PushStream(t.Context(), id, time.Millisecond, 3)
		if len(results) != 3 {
			t.Fatalf("%d results, want 3", len(results))
		}
		var callIDs, speakers, texts []string
		for i := range results {
			f := fields(t, rc.next(t).Body)
			callIDs = append(callIDs, f["curcallid"].(string))
			speakers = append(speakers, f["talkertype"].(string))
			texts = append(texts, f["result"].([]any)[0].(map[string]any)["content"].(string))
			if results[i].Err != nil || results[i].Status != 200 {
				t.Errorf("push %d: %+v", i, results[i])
			}
		}
		if callIDs[0] != callIDs[1] || callIDs[1] != callIDs[2] {
			t.Errorf("call IDs %q, want one call", callIDs)
		}
		if strings.Join(speakers, ",") != "1,2,1" || texts[0] != script[0].text || texts[2] != script[2].text {
			t.Errorf("speakers %q texts %q, want the script from its start", speakers, texts)
		}
	})
	t.Run("a stream without n runs until its context ends", func(t *testing.T) {
		id := h.subscribe(t, guid, rc.srv.URL, "tok", false, "")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan []PushResult, 1)
		go func() { done <- h.sim.PushStream(ctx, id, time.Millisecond, 0) }()
		rc.next(t)
		rc.next(t)
		cancel()
		if results := <-done; len(results) < 2 {
			t.Errorf("%d results, want at least the 2 received", len(results))
		}
	})
	t.Run("a stream stops when its subscription is cancelled", func(t *testing.T) {
		id := h.subscribe(t, guid, rc.srv.URL, "tok", false, "")
		done := make(chan []PushResult, 1)
		go func() { done <- h.sim.PushStream(t.Context(), id, time.Millisecond, 0) }()
		rc.next(t)
		expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + id + `"}`, guid: guid}), 200, "0")
		results := <-done
		if last := results[len(results)-1]; !errors.Is(last.Err, ErrNoActiveSubscription) {
			t.Errorf("last result %+v, want ErrNoActiveSubscription", last)
		}
	})
}

func TestPushToActive(t *testing.T) {
	h := start(t, Config{AllowHTTPLoopback: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)
	a := h.subscribe(t, guid, rc.srv.URL+"/a", "tok-a", false, "")
	b := h.subscribe(t, guid, rc.srv.URL+"/b", "", false, "")
	gone := h.subscribe(t, guid, rc.srv.URL+"/gone", "tok", false, "")
	expect(t, h.do(t, call{method: "PUT", path: UnregisterPath, body: `{"serverId":"` + gone + `"}`, guid: guid}), 200, "0")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); h.sim.PushToActive(ctx, time.Millisecond) }()
	seen := map[string]int{}
	for seen[a] < 2 || seen[b] < 2 {
		f := fields(t, rc.next(t).Body)
		seen[f["serverid"].(string)]++
	}
	cancel()
	<-done
	if seen[gone] != 0 {
		t.Errorf("the cancelled subscription got %d pushes", seen[gone])
	}
	for _, p := range h.sim.Pushes() {
		if p.ServerID == gone {
			t.Errorf("a push was attempted for the cancelled subscription: %+v", p)
		}
	}
}

func TestPushToActiveCanBeKeptToLoopbackCallbacks(t *testing.T) {
	h := start(t, Config{PushLoopbackOnly: true, AllowHTTPLoopback: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)
	local := h.subscribe(t, guid, rc.srv.URL+"/a", "tok-a", false, "")
	// A documentation address (TEST-NET-3): skipped before any dial.
	outside := h.subscribe(t, guid, "https://203.0.113.7/cb", "tok-b", false, "")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); h.sim.PushToActive(ctx, time.Millisecond) }()
	for n := 0; n < 2; {
		if fields(t, rc.next(t).Body)["serverid"] == local {
			n++
		}
	}
	cancel()
	<-done
	for _, p := range h.sim.Pushes() {
		if p.ServerID == outside {
			t.Errorf("a push was attempted to a non-loopback callback: %+v", p)
		}
	}
}

func TestControlPush(t *testing.T) {
	h := start(t, Config{AllowHTTPLoopback: true})
	guid := h.login(t)
	rc := newReceiver(t, nil)
	id := h.subscribe(t, guid, rc.srv.URL, "tok-ctl-secret", true, "")
	tests := []struct {
		name, body string
		wantStatus int
		wantPushes int // received by the receiver
	}{
		{"a single push answers with its result", `{"serverId":"` + id + `","text":"Hello there"}`, 200, 1},
		{"a stream of 3 is accepted and runs in the background", `{"serverId":"` + id + `","count":3,"every":"1ms"}`, 202, 3},
		{"an unknown serverId is 404", `{"serverId":"20260101000000-001-99999"}`, 404, 0},
		{"a missing serverId is 400", `{"count":1}`, 400, 0},
		{"an every that is not a duration is 400", `{"serverId":"` + id + `","count":2,"every":"soon"}`, 400, 0},
		{"a zero every is 400", `{"serverId":"` + id + `","count":2,"every":"0s"}`, 400, 0},
		{"a count below -1 is 400", `{"serverId":"` + id + `","count":-2}`, 400, 0},
		{"an unknown field is 400", `{"serverId":"` + id + `","cnt":2}`, 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetPushes()
			status, body := h.control(t, "POST", "/_sim/push", tc.body)
			if status != tc.wantStatus {
				t.Fatalf("HTTP %d %s, want %d", status, body, tc.wantStatus)
			}
			if err := h.sim.WaitPushes(waitCtx(t), tc.wantPushes); err != nil {
				t.Fatal(err)
			}
			for range tc.wantPushes {
				rc.next(t)
			}
			rc.none(t)
			if status == 200 {
				var got pushResultJSON
				if err := json.Unmarshal([]byte(body), &got); err != nil || got.Status != 200 || got.URL != rc.srv.URL+PushPath ||
					!strings.Contains(got.Sent, `"content":"Hello there"`) || got.Error != "" {
					t.Errorf("answer %s (%v)", body, err)
				}
			}
		})
	}
	t.Run("the outbound log shows pushes without the token", func(t *testing.T) {
		h.sim.PushTo(t.Context(), id, Push{})
		rc.next(t)
		status, body := h.control(t, "GET", "/_sim/pushes", "")
		var got []pushResultJSON
		if err := json.Unmarshal([]byte(body), &got); err != nil || status != 200 || len(got) == 0 || got[0].ServerID != id {
			t.Fatalf("HTTP %d %s (%v)", status, body, err)
		}
		if strings.Contains(body, "tok-ctl-secret") {
			t.Errorf("the outbound log shows the service token: %s", body)
		}
	})
	t.Run("DELETE /_sim/pushes empties the outbound log", func(t *testing.T) {
		h.control(t, "DELETE", "/_sim/pushes", "")
		if n := len(h.sim.Pushes()); n != 0 {
			t.Errorf("%d pushes left", n)
		}
	})
}

func TestAnEndlessControlStreamStopsOnClose(t *testing.T) {
	h := start(t, Config{AllowHTTPLoopback: true})
	rc := newReceiver(t, nil)
	id := h.subscribe(t, h.login(t), rc.srv.URL, "tok", false, "")
	if status, body := h.control(t, "POST", "/_sim/push", `{"serverId":"`+id+`","count":-1,"every":"1ms"}`); status != 202 {
		t.Fatalf("HTTP %d %s", status, body)
	}
	if err := h.sim.WaitPushes(waitCtx(t), 3); err != nil {
		t.Fatal(err)
	}
	// Close waits for background streams: it returning proves the stream ended.
	if err := h.sim.Close(); err != nil {
		t.Fatal(err)
	}
	if h.sim.bg.goRun(func(context.Context) {}) {
		t.Error("a stream could still be started after Close")
	}
}
