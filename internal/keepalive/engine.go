// Package keepalive keeps subscriptions alive: every active or degraded
// subscription gets a handshake every interval, from exactly one of the
// ccsub processes that share the database. Due work is claimed with
// short leases (FOR UPDATE SKIP LOCKED), so when a process dies its leases
// run out and the others take its subscriptions over.
package keepalive

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
)

// Engine is one keep-alive worker. Run it once.
type Engine struct {
	st  *store.Store
	svc *subscribe.Service
	cfg Config
	log *slog.Logger

	// slots holds a token per handshake in flight; only the claim loop
	// fills it, so a claim never asks for more than it can start at once
	// and a claimed subscription never waits out its lease in a queue.
	slots chan struct{}
	// freed is signalled when a handshake ends, so a loop that has more
	// due work than slots claims again without waiting for the next tick.
	freed    chan struct{}
	inflight sync.WaitGroup
	// claimFailing is when a failed claim was last logged (zero: claims
	// work): an outage is logged once a minute, not at every tick. Only
	// the claim loop touches it.
	claimFailing time.Time
}

// New builds an engine; zero fields of cfg take their defaults.
func New(st *store.Store, svc *subscribe.Service, cfg Config) *Engine {
	cfg = cfg.withDefaults()
	return &Engine{st: st, svc: svc, cfg: cfg, log: cfg.Log.With("owner", cfg.Owner),
		slots: make(chan struct{}, cfg.Concurrency), freed: make(chan struct{}, 1)}
}

// Owner is the name this engine's leases carry.
func (e *Engine) Owner() string { return e.cfg.Owner }

// Config returns the engine's settings with defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Run handshakes due subscriptions until ctx ends, on the store's reserved
// connections (store.Reserved). It then stops claiming, lets handshakes in
// flight finish for up to Grace, abandons the rest, and releases every
// lease it still holds so another process takes the work at once. It
// returns an error only for an invalid configuration.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.cfg.validate(); err != nil {
		return err
	}
	e.log.Info("keep-alive engine started", "interval", e.cfg.Interval, "lease", e.cfg.Lease,
		"concurrency", e.cfg.Concurrency)
	// On the reserved connections: handshakes go on while searches hold
	// every interactive one.
	ctx = store.Reserved(ctx)
	// Handshakes run on their own context: stopping must not cut off a
	// handshake that can still finish within the grace period.
	work, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	e.loop(ctx, work)
	e.drain(abandon)
	e.release(ctx)
	return nil
}

// loop claims and starts due handshakes until ctx ends.
func (e *Engine) loop(ctx, work context.Context) {
	tick := time.NewTicker(e.cfg.tick())
	defer tick.Stop()
	for ctx.Err() == nil {
		more := e.dispatch(ctx, work)
		var freed <-chan struct{}
		if more {
			if e.free() > 0 {
				continue
			}
			freed = e.freed
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		case <-freed:
		}
	}
}

// dispatch claims as many due subscriptions as there are free slots (at
// most Batch) and starts their handshakes. It reports whether more may be
// due: the claim was cut short by the slots or the batch size.
func (e *Engine) dispatch(ctx, work context.Context) bool {
	n := min(e.cfg.Batch, e.free())
	if n == 0 {
		return true
	}
	// Taken before the claim, so it is never later than the lease's start.
	claimed := time.Now()
	subs, err := e.st.ClaimDue(ctx, e.cfg.Owner, e.cfg.Lease, n)
	if err != nil {
		if ctx.Err() == nil && time.Since(e.claimFailing) >= time.Minute {
			e.log.Error("keep-alive: claiming due subscriptions failed; retrying at every tick, logged once a minute", "err", err)
			e.claimFailing = time.Now()
		}
		return false
	}
	if !e.claimFailing.IsZero() {
		e.log.Info("keep-alive: claiming due subscriptions works again")
		e.claimFailing = time.Time{}
	}
	for _, sub := range subs {
		e.start(work, sub, claimed)
	}
	return len(subs) == n
}

func (e *Engine) free() int { return cap(e.slots) - len(e.slots) }

func (e *Engine) start(work context.Context, sub domain.Subscription, claimed time.Time) {
	e.slots <- struct{}{} // never blocks: dispatch claimed at most free() rows
	e.inflight.Add(1)
	go func() {
		defer e.done()
		e.keepAlive(work, sub, claimed)
	}()
}

func (e *Engine) done() {
	<-e.slots
	e.inflight.Done()
	select {
	case e.freed <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// drain waits for handshakes in flight for up to Grace, then abandons the
// rest (they are neither recorded nor counted as failures).
func (e *Engine) drain(abandon context.CancelFunc) {
	finished := make(chan struct{})
	go func() {
		e.inflight.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return
	case <-time.After(e.cfg.Grace):
	}
	e.log.Warn("keep-alive: abandoning handshakes still in flight after the grace period", "grace", e.cfg.Grace)
	abandon()
	<-finished
}

// release frees the leases of abandoned handshakes; their subscriptions
// stay due, so another process handshakes them at its next tick.
func (e *Engine) release(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	n, err := e.st.ReleaseLeases(rctx, e.cfg.Owner)
	if err != nil {
		e.log.Error("keep-alive: releasing leases failed; they run out on their own", "err", err, "lease", e.cfg.Lease)
		return
	}
	e.log.Info("keep-alive engine stopped", "released", n)
}
