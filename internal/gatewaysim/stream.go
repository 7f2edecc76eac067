package gatewaysim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"
)

// PushStream pushes n results (n <= 0: until ctx ends or the simulator
// closes) to serverID's callback, one every `every` of real time (<= 0:
// DefaultPushEvery), the first at once. The pushes are the lines of one
// scripted call with a single call ID and alternating speakers. The
// stream stops early when the subscription is no longer active; the
// failed push is the last result.
func (s *Sim) PushStream(ctx context.Context, serverID string, every time.Duration, n int) []PushResult {
	return s.stream(ctx, serverID, every, n, "")
}

// stream is PushStream with text, when not "", replacing every line.
func (s *Sim) stream(ctx context.Context, serverID string, every time.Duration, n int, text string) []PushResult {
	if every <= 0 {
		every = DefaultPushEvery
	}
	conv := s.newConversation()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var out []PushResult
	for i := 0; n <= 0 || i < n; i++ {
		if i > 0 && !s.await(ctx, tick.C) {
			break
		}
		r := s.PushTo(ctx, serverID, conv.next(text))
		out = append(out, r)
		if errors.Is(r.Err, ErrNoActiveSubscription) || ctx.Err() != nil {
			break
		}
	}
	return out
}

// await waits for the next tick; false when ctx ends or the simulator
// closes first.
func (s *Sim) await(ctx context.Context, tick <-chan time.Time) bool {
	select {
	case <-tick:
		return true
	case <-ctx.Done():
	case <-s.bg.ctx.Done():
	}
	return false
}

// PushToActive pushes one result to every active subscription every
// `every` of real time (<= 0: DefaultPushEvery), in parallel, until ctx
// ends or the simulator closes. Each subscription gets its own scripted
// call. It is what ccgw-sim -push-every runs.
func (s *Sim) PushToActive(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultPushEvery
	}
	convs := map[string]*conversation{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for s.await(ctx, tick.C) {
		s.pushRound(ctx, convs)
	}
}

// pushRound pushes once to each active subscription and waits for all, so
// a slow receiver delays only the next round, never piles pushes up.
func (s *Sim) pushRound(ctx context.Context, convs map[string]*conversation) {
	active := s.state.activeList()
	live := make(map[string]bool, len(active))
	var wg sync.WaitGroup
	for _, sub := range active {
		live[sub.ServerID] = true
		if s.loopOnly && !loopbackCallback(sub.CallBackURI) {
			continue
		}
		conv := convs[sub.ServerID]
		if conv == nil {
			conv = s.newConversation()
			convs[sub.ServerID] = conv
		}
		p := conv.next("")
		wg.Go(func() { s.PushTo(ctx, sub.ServerID, p) })
	}
	wg.Wait()
	for id := range convs {
		if !live[id] {
			delete(convs, id) // cancelled or expired: it will never be pushed to again
		}
	}
}

// maxPushLog bounds the outbound log: ccgw-sim may push for days.
const maxPushLog = 10000

// pushLog is the outbound log, separate from the request log.
type pushLog struct {
	mu      sync.Mutex
	entries []PushResult
	changed chan struct{} // closed and replaced on every add, for WaitPushes
}

func newPushLog() *pushLog { return &pushLog{changed: make(chan struct{})} }

func (l *pushLog) add(r PushResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, r)
	if over := len(l.entries) - maxPushLog; over > 0 {
		l.entries = append(l.entries[:0:0], l.entries[over:]...)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *pushLog) list() []PushResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]PushResult, len(l.entries))
	for i, r := range l.entries {
		r.Body, r.Sent = bytes.Clone(r.Body), bytes.Clone(r.Sent)
		out[i] = r
	}
	return out
}

func (l *pushLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

func (l *pushLog) count() (int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries), l.changed
}

// Pushes returns the outbound log, oldest first: every PushTo, including
// those that sent nothing (see PushResult.Err). It keeps the newest 10,000.
func (s *Sim) Pushes() []PushResult { return s.pushes.list() }

// ResetPushes empties the outbound log.
func (s *Sim) ResetPushes() { s.pushes.reset() }

// WaitPushes blocks until the outbound log holds at least n pushes or ctx
// ends. A push is logged once its answer has been read (or it failed).
func (s *Sim) WaitPushes(ctx context.Context, n int) error {
	for {
		have, changed := s.pushes.count()
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("gatewaysim.WaitPushes(%d): have %d: %w", n, have, ctx.Err())
		}
	}
}

// background runs the streams started through /_sim/push so Close and
// Shutdown can end them and wait for them.
type background struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

func newBackground() *background {
	ctx, cancel := context.WithCancel(context.Background())
	return &background{ctx: ctx, cancel: cancel}
}

// goRun runs f in a goroutine; false when the simulator already stopped.
func (b *background) goRun(f func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped { // a WaitGroup must not grow once stop waits on it
		return false
	}
	b.wg.Go(func() { f(b.ctx) })
	return true
}

// stop cancels everything running and waits for it; it may be called
// more than once.
func (b *background) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}

// loopbackCallback reports whether a callback URI names a loopback host
// without needing a DNS lookup.
func loopbackCallback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}
