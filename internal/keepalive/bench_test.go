package keepalive_test

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/keepalive"
	"ccsub/internal/subscribe"
)

// benchSubscriptions is how many subscriptions one engine keeps alive in
// the benchmark: the target.
const benchSubscriptions = 1000

// benchConfig is the production configuration, except that the interval
// is long enough for each round of the benchmark to handshake every
// subscription exactly once.
func benchConfig(owner string) keepalive.Config {
	return keepalive.Config{Interval: time.Hour, Limit: 2 * time.Hour, Owner: owner, Log: testLogger()}
}

// BenchmarkHandshakes measures what one engine sustains against the
// simulator over HTTPS: each round makes all 1,000 subscriptions due at
// once and waits until every one was handshaken. Throughput counts from
// the first to the last handshake the simulator saw in a round (not the
// wait for the engine's next look at the database). The engine runs in a
// child process so its CPU time (user + system, from getrusage) is its
// own, not the simulator's; the database server's CPU is not included.
//
//	go test -run '^$' -bench Handshakes -benchtime 5x ./internal/keepalive
func BenchmarkHandshakes(b *testing.B) {
	e := newEnv(b, nil)
	registerMany(b, e, benchSubscriptions)
	c := startChild(b, "bench-engine", "", "", "KEEPALIVE_BENCH=1")
	ctx := context.Background()
	sent, timed := 0, 0
	var busy time.Duration
	waitRound := func() time.Duration {
		sent += benchSubscriptions
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if err := e.sim.WaitRequests(wctx, "handshake", sent); err != nil {
			b.Fatal(err)
		}
		round := e.sim.RequestsFor("handshake")[sent-benchSubscriptions:]
		return round[len(round)-1].Time.Sub(round[0].Time)
	}
	waitRound() // the first round includes the child's start and login
	for b.Loop() {
		if _, err := e.st.Pool().Exec(ctx, `UPDATE subscriptions SET next_due_at = now() WHERE gateway_id = $1`, e.gw.ID); err != nil {
			b.Fatal(err)
		}
		busy += waitRound()
		timed += benchSubscriptions
	}
	c.terminate(b)
	reportCPU(b, c.cmd.ProcessState.SysUsage().(*syscall.Rusage), sent, timed, busy)
}

// reportCPU reports throughput and the engine's CPU per handshake (over
// its whole life, start-up included, so slightly pessimistic), and what
// that costs for 1,000 subscriptions at the default 120 s interval.
func reportCPU(b *testing.B, ru *syscall.Rusage, handshakes, timed int, busy time.Duration) {
	cpu := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	perHandshake := cpu / time.Duration(handshakes)
	b.ReportMetric(float64(timed)/busy.Seconds(), "handshakes/s")
	b.ReportMetric(float64(perHandshake.Microseconds()), "cpu-µs/handshake")
	perSecond := float64(benchSubscriptions) / keepalive.DefaultInterval.Seconds()
	b.ReportMetric(100*perSecond*perHandshake.Seconds(), "%core@1000subs/120s")
}

// registerMany registers n subscriptions with a few workers (the set-up,
// not what is measured).
func registerMany(b *testing.B, e *env, n int) {
	b.Helper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				call, err := e.svc.Register(context.Background(), domain.Actor{Name: "bench"}, subscribe.RegisterInput{GatewayID: e.gw.ID,
					SubscribeType: "1", ServiceToken: fmt.Sprintf("token-%d-abcdefghijklmnop", i),
					CallbackURI: fmt.Sprintf("https://crm.example.com/cc/events/%d", i)})
				if err == nil && call.Outcome != domain.OutcomeSuccess {
					err = fmt.Errorf("register %d: %s %s", i, call.Outcome, call.Error)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
