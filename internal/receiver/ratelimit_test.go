package receiver_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/config"
	"ccsub/internal/metrics/metricstest"
)

// refusedBurst is the tests' refused-push burst; their rate is one an hour,
// so no token comes back while a test runs, however slow the machine.
const refusedBurst = 3

func newLimitedEnv(t *testing.T) *testEnv {
	return &testEnv{apptest.NewTuned(t, func(c *config.Config) {
		c.PushRefusedRate, c.PushRefusedBurst = 1.0/3600, refusedBurst
	})}
}

// want429 checks a push refused by the limiter: 429, a Retry-After of
// whole seconds, and the contract's JSON answer saying what happened.
func want429(t *testing.T, i int, got apptest.PushReply) {
	t.Helper()
	if got.Status != http.StatusTooManyRequests {
		t.Fatalf("push %d: status %d (%s), want 429", i, got.Status, got.Message)
	}
	if s, err := strconv.Atoi(got.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("push %d: Retry-After %q, want whole seconds", i, got.Header.Get("Retry-After"))
	}
	if got.Retcode != "000-002" || !strings.Contains(got.Message, "too many refused pushes") || !strings.Contains(got.Message, "not stored") {
		t.Errorf("push %d: retcode %q, message %q", i, got.Retcode, got.Message)
	}
}

func (e *testEnv) refusedRows(keys ...string) int {
	e.T.Helper()
	n := 0
	for _, k := range keys {
		ns, _ := e.Notifications(k)
		for _, row := range ns {
			if !row.Accepted {
				n++
			}
		}
	}
	return n
}

// TestAFloodOfRefusedPushesIsCutOffWithoutStarvingTheRealOnes floods one
// receiver key with wrong tokens from one address: after the burst the
// flood is answered 429 and stored no more, while the platform, from
// another address, keeps pushing with the right token and is accepted,
// and a sender's own valid push is never limited.
func TestAFloodOfRefusedPushesIsCutOffWithoutStarvingTheRealOnes(t *testing.T) {
	e := newLimitedEnv(t)
	sub := e.NewReceiverSub(apptest.Uniq("token"))
	attacker, _ := e.ClientFrom()
	wrong := apptest.PushOpts{Tokens: []string{"not-the-token"}, Client: attacker}
	const flood = 25
	for i := 1; i <= flood; i++ {
		got := e.SendPush(sub.PushPath(), apptest.OKBody(sub), wrong)
		if i <= refusedBurst {
			if got.Status != http.StatusUnauthorized {
				t.Fatalf("push %d, within the burst: status %d, want the refusal itself (401)", i, got.Status)
			}
			continue
		}
		want429(t, i, got)
	}
	if n := e.refusedRows(sub.ReceiverKey); n != refusedBurst {
		t.Errorf("%d refused pushes stored, want the burst of %d: the limited ones must not be", n, refusedBurst)
	}

	// The platform, from another address: accepted, and its own refusals
	// have a bucket of their own.
	for i := range 5 {
		ok := e.SendPush(sub.PushPath(), apptest.PushJSON(sub.ServerID, apptest.Uniq("call"), "hello"), apptest.RightToken(sub))
		if ok.Status != http.StatusOK {
			t.Fatalf("valid push %d from the platform during the flood: status %d (%s), want 200", i+1, ok.Status, ok.Message)
		}
	}
	if got := e.SendPush(sub.PushPath(), apptest.OKBody(sub), apptest.PushOpts{Tokens: []string{"stale"}}); got.Status != http.StatusUnauthorized {
		t.Errorf("a refused push from another address: status %d, want 401 (its own bucket)", got.Status)
	}
	// The flooding address itself, with the right token: accepted pushes
	// are never limited.
	mine := apptest.RightToken(sub)
	mine.Client = attacker
	if got := e.SendPush(sub.PushPath(), apptest.PushJSON(sub.ServerID, apptest.Uniq("call"), "hi"), mine); got.Status != http.StatusOK {
		t.Errorf("a valid push from the limited address: status %d (%s), want 200", got.Status, got.Message)
	}
	want429(t, flood+1, e.SendPush(sub.PushPath(), apptest.OKBody(sub), wrong))
	if n := e.refusedRows(sub.ReceiverKey); n != refusedBurst+1 {
		t.Errorf("%d refused pushes stored, want %d (the flood's burst and the platform's one)", n, refusedBurst+1)
	}
	ns, _ := e.Notifications(sub.ReceiverKey)
	if accepted := len(ns) - e.refusedRows(sub.ReceiverKey); accepted != 6 {
		t.Errorf("%d accepted pushes stored, want all 6", accepted)
	}

	srv := httptest.NewServer(e.M.Handler())
	defer srv.Close()
	m := metricstest.Scrape(t, srv.URL+"/metrics")
	if v, _ := m.Value("ccsub_notifications_total", "result", "limited"); v != flood-refusedBurst+1 {
		t.Errorf("ccsub_notifications_total{result=limited} = %v, want %d", v, flood-refusedBurst+1)
	}
	// One line per key and address a minute, not one per push (the exact
	// count per minute is ratelimit's TestARefusalIsNotedOncePerKeyPerMinute).
	if lines := strings.Count(e.Logs.String(), "too many refused pushes"); lines < 1 || lines > 2 {
		t.Errorf("%d log lines about the %d limited pushes, want one", lines, flood-refusedBurst+1)
	}
}

// TestUnknownReceiverKeysShareTheirSendersBucket: a sender that makes up a
// new receiver key for every push gets no fresh burst each time.
func TestUnknownReceiverKeysShareTheirSendersBucket(t *testing.T) {
	e := newLimitedEnv(t)
	prober, _ := e.ClientFrom()
	var keys []string
	for i := 1; i <= 10; i++ {
		key := apptest.Uniq("made-up") + apptest.Uniq("")
		keys = append(keys, key)
		got := e.SendPush("/receiver/"+key+"/v100/subscribe/asrevent/asrresult", `{}`, apptest.PushOpts{Client: prober})
		if i <= refusedBurst {
			if got.Status != http.StatusNotFound {
				t.Fatalf("push %d: status %d, want 404", i, got.Status)
			}
			continue
		}
		want429(t, i, got)
	}
	if n := e.refusedRows(keys...); n != refusedBurst {
		t.Errorf("%d pushes to made-up keys stored, want %d", n, refusedBurst)
	}
	// Another sender still has its own.
	if got := e.SendPush("/receiver/"+apptest.Uniq("other")+"/v100/subscribe/asrevent/asrresult", `{}`, apptest.PushOpts{}); got.Status != http.StatusNotFound {
		t.Errorf("another address: status %d, want 404", got.Status)
	}
}
