package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// loadLog is what the mixed load saw: every status by kind, and the
// records each 2xx/303 promises.
type loadLog struct {
	mu       sync.Mutex
	statuses map[string]map[int]int
	calls    []int64  // register calls a 303 led to (the gateway granted nothing)
	subs     []int64  // subscriptions a 303 led to (the gateway granted one)
	pushes   []string // curcallid of every push answered 200
	errs     []string
	done     atomic.Int64 // requests answered, for the test's progress checks
	outage   atomic.Int64 // 503s seen
}

func (l *loadLog) saw(kind string, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.statuses[kind] == nil {
		l.statuses[kind] = map[int]int{}
	}
	l.statuses[kind][status]++
	l.done.Add(1)
	if status == http.StatusServiceUnavailable {
		l.outage.Add(1)
	}
}

func (l *loadLog) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, fmt.Sprintf(format, args...))
}

// landed records where a submit's 303 led: a call or a subscription.
func (l *loadLog) landed(loc string) {
	list := &l.calls
	rest, ok := strings.CutPrefix(loc, "/calls/")
	if !ok {
		rest, ok = strings.CutPrefix(loc, "/subscriptions/")
		list = &l.subs
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil {
		l.fail("a submit redirected to %q", loc)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	*list = append(*list, id)
}

// noRedirect is a signed-in browser that shows each answer as it is.
func noRedirect(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// TestMixedLoadWhileTheDatabaseRestartsTwice: form submits, history pages
// and pushes run concurrently while the database is stopped and started
// twice. Every answer is a 2xx/303 with its record committed, or a 503
// (a submit is retried with the same one-time key, as a person reloading
// would); never a 500. Afterwards every subscription the gateway granted
// is on record, once, and every register that reached the gateway has
// exactly one call.
func TestMixedLoadWhileTheDatabaseRestartsTwice(t *testing.T) {
	e, db, pool := outageEnv(t)
	ctx, stopReplay := context.WithCancel(context.Background())
	defer stopReplay()
	go e.App.ReplayJournal(ctx)
	sub := e.NewReceiverSub("tok-" + apptest.Uniq("load"))
	l := &loadLog{statuses: map[string]map[int]int{}}
	stop := make(chan struct{})
	var workers sync.WaitGroup

	for w := range 3 {
		browser, _ := e.User(domain.RoleOperator)
		browser = noRedirect(browser)
		workers.Go(func() { submitter(e, l, browser, stop) })
		reader, _ := e.User(domain.RoleAuditor)
		reader = noRedirect(reader)
		workers.Go(func() { historyReader(e, l, reader, stop) })
		workers.Go(func() { pusher(e, l, sub, w, stop) })
	}

	for round := range 2 {
		awaitProgress(t, l, 30)
		// Each submitter's next register is held at the gateway, which
		// acts on it, and answered only once the database is down.
		held := len(e.Sim.RequestsFor("register")) + 3
		e.Sim.Inject(gatewaysim.Fault{Op: "register", Delay: time.Hour, Processed: true, Times: -1})
		if err := e.Sim.WaitRequests(t.Context(), "register", held); err != nil {
			t.Fatal(err)
		}
		db.stop()
		e.Sim.ClearFaults()
		e.Sim.Release()
		awaitOutageSeen(t, l)
		db.start()
		awaitReady(t, e)
		t.Logf("restart %d done: %d requests so far, %d answered 503", round+1, l.done.Load(), l.outage.Load())
	}
	awaitProgress(t, l, 30)
	close(stop)
	workers.Wait()

	deadline := time.Now().Add(30 * time.Second)
	for e.App.Subscribe.Journalled() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d answers still in the journal 30 s after the load", e.App.Subscribe.Journalled())
		}
		time.Sleep(50 * time.Millisecond) // the replay loop works on its own schedule
	}

	t.Logf("statuses: %v", l.statuses)
	if n := strings.Count(e.Logs.String(), "gateway answer recorded from the journal"); n < 2 {
		t.Errorf("%d answers went through the journal, want one per outage at least", n)
	}
	for _, msg := range l.errs {
		t.Error(msg)
	}
	for kind, byStatus := range l.statuses {
		for status, n := range byStatus {
			if status >= 500 && status != http.StatusServiceUnavailable {
				t.Errorf("%s answered %d %d times", kind, status, n)
			}
		}
	}
	if l.outage.Load() == 0 {
		t.Error("no request met the outages: the test did not test them")
	}
	// Every 303 of a submit led to a committed, answered call, or to a
	// committed subscription with its register call answered.
	for _, id := range l.subs {
		sub, err := e.St.Subscription(context.Background(), id)
		if err != nil {
			t.Errorf("subscription %d a submit was sent to: %v", id, err)
			continue
		}
		l.calls = append(l.calls, sub.RegisterCallID)
	}
	for _, id := range l.calls {
		call, err := e.St.Call(context.Background(), id)
		if err != nil {
			t.Errorf("call %d a submit was sent to: %v", id, err)
		} else if call.Outcome == domain.OutcomePending {
			t.Errorf("call %d a submit was sent to is still pending", id)
		}
	}
	// Every push answered 200 is stored.
	stored := map[string]bool{}
	rows, err := pool.Query(context.Background(), `SELECT call_id FROM notifications WHERE receiver_key = $1 AND accepted`, sub.ReceiverKey)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range l.pushes {
		if !stored[id] {
			t.Errorf("push %s was answered 200 but is not stored", id)
		}
	}
	// Nothing granted is lost, nothing is sent twice.
	var registerCalls int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM calls WHERE operation = 'register'`).Scan(&registerCalls); err != nil {
		t.Fatal(err)
	}
	if sent := len(e.Sim.RequestsFor("register")); sent != registerCalls {
		t.Errorf("the gateway received %d registers; %d register calls are on record", sent, registerCalls)
	}
	granted := e.Sim.Subscriptions()
	for _, g := range granted {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM subscriptions WHERE gateway_id = $1 AND server_id = $2`,
			e.Gw.ID, g.ServerID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("serverId %s granted by the gateway is on record %d times", g.ServerID, n)
		}
	}
	t.Logf("%d requests; %d registers at the gateway, all on record; %d pushes stored", l.done.Load(), len(granted), len(l.pushes))
}

// submitter registers through the form until stop, each form retried with
// its one-time key until it gets an answer other than 503.
func submitter(e *testEnv, l *loadLog, c *http.Client, stop <-chan struct{}) {
	for !stopped(stop) {
		f := e.RegisterForm()
		for {
			status, loc := send(l, c, http.MethodPost, e.Srv.URL+"/subscriptions", f)
			l.saw("submit", status)
			if status == http.StatusSeeOther {
				l.landed(loc)
			}
			if status != http.StatusServiceUnavailable && status != 0 {
				break
			}
			time.Sleep(20 * time.Millisecond) // a person's reload, not a spin
		}
	}
}

func historyReader(e *testEnv, l *loadLog, c *http.Client, stop <-chan struct{}) {
	for !stopped(stop) {
		status, _ := send(l, c, http.MethodGet, e.Srv.URL+"/history", nil)
		l.saw("history", status)
	}
}

func pusher(e *testEnv, l *loadLog, sub apptest.ReceiverSub, w int, stop <-chan struct{}) {
	for i := 0; !stopped(stop); i++ {
		id := fmt.Sprintf("load-%d-%d", w, i)
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+sub.PushPath(), strings.NewReader(apptest.PushJSON(sub.ServerID, id, "hello")))
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		req.Header.Set("service_token", sub.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			l.fail("push %s: %v", id, err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		l.saw("push", res.StatusCode)
		if res.StatusCode == http.StatusOK {
			l.mu.Lock()
			l.pushes = append(l.pushes, id)
			l.mu.Unlock()
		}
	}
}

// send makes one request and returns its status and Location; a transport
// error is recorded and reported as status 0.
func send(l *loadLog, c *http.Client, method, u string, form url.Values) (int, string) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		l.fail("%s %s: %v", method, u, err)
		return 0, ""
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// awaitProgress waits until n more requests have been answered.
func awaitProgress(t *testing.T, l *loadLog, n int64) {
	t.Helper()
	want := l.done.Load() + n
	deadline := time.Now().Add(60 * time.Second)
	for l.done.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the load made no progress: %d requests answered, want %d", l.done.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// awaitOutageSeen waits until requests meet the outage (answer 503).
func awaitOutageSeen(t *testing.T, l *loadLog) {
	t.Helper()
	want := l.outage.Load() + 5
	deadline := time.Now().Add(60 * time.Second)
	for l.outage.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("no request answered 503 during the outage (%d so far)", l.outage.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func awaitReady(t *testing.T, e *testEnv) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(e.Srv.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready 10 s after the database came back")
		}
		time.Sleep(50 * time.Millisecond) // polling the probe is what a load balancer does
	}
}
