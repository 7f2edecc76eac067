// Package retention is the action that applies the retention policy
// (issue 10 §3): it deletes each kind of row once older than its window, in
// small batches with a pause between them, on the reserved connections, one
// run at a time across every process. Each run is recorded
// (retention_runs) and audited as one entry with its counts per kind.
// docs/decisions.md "Retention" says what is never deleted and why;
// docs/benchmarks.md "Retention" why batches and not partitions.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// Defaults of Options (see docs/benchmarks.md "Retention" for the figures
// they were chosen by).
const (
	// DefaultBatch rows per DELETE: a batch of calls takes about a tenth
	// of a second, far below any lock or statement timeout.
	DefaultBatch = 5000
	// DefaultPause between batches leaves the database to the pages.
	DefaultPause = 50 * time.Millisecond
	// yield is how much longer than a batch took the pause after it lasts
	// at least: a run holds one connection a third of the time at most.
	// Under load a batch of calls took 0.4 s, and with only DefaultPause
	// between them a run kept a database core busy and 20 users' p99 rose
	// from 74 to 116 ms (docs/benchmarks.md, third pass).
	yield = 2
	// DefaultEvery is how often a serving console runs retention.
	DefaultEvery = time.Hour
	// staleAfter is how long a run may go without reporting progress
	// before another process counts it as abandoned.
	staleAfter = 10 * time.Minute
	// progressEvery is how often a run writes its counts so far.
	progressEvery = 2 * time.Second
)

// RefusedKept is how many refused pushes are kept at most, whatever their
// age (issue 9: a flood must not fill the table).
const RefusedKept = 100000

// Scheduler is the actor of the hourly runs in the audit trail.
var Scheduler = domain.Actor{Name: "ccsub"}

// Options tune a Service; zero values take the defaults.
type Options struct {
	Policy domain.RetentionPolicy
	Batch  int
	Pause  time.Duration
	Every  time.Duration
}

// Service applies the retention policy.
type Service struct {
	store  *store.Store
	audit  *audit.Trail
	log    *slog.Logger
	policy domain.RetentionPolicy
	batch  int
	pause  time.Duration
	every  time.Duration

	// Runs started by Start go on after their request, until Stop.
	life    context.Context
	stop    context.CancelFunc
	running sync.WaitGroup
}

// New builds the service.
func New(st *store.Store, trail *audit.Trail, log *slog.Logger, o Options) *Service {
	s := &Service{store: st, audit: trail, log: log, policy: domain.RetentionPolicy{}, batch: o.Batch,
		pause: o.Pause, every: o.Every}
	for k, d := range o.Policy {
		if d > 0 {
			s.policy[k] = d
		}
	}
	if s.batch <= 0 {
		s.batch = DefaultBatch
	}
	if s.pause <= 0 {
		s.pause = DefaultPause
	}
	if s.every <= 0 {
		s.every = DefaultEvery
	}
	s.life, s.stop = context.WithCancel(store.Reserved(context.Background()))
	return s
}

// Policy is the policy this process applies (each process applies its own
// settings; every process should have the same).
func (s *Service) Policy() domain.RetentionPolicy { return s.policy }

// Pace is how a run deletes: rows per batch, and the pause between
// batches.
func (s *Service) Pace() (batch int, pause time.Duration) { return s.batch, s.pause }

// Run applies the policy once, now, and returns the run as recorded. It
// yields domain.ErrConflict, with the run going on, when another run is
// in progress.
func (s *Service) Run(ctx context.Context, who domain.Actor, trigger string) (domain.RetentionRun, error) {
	run, err := s.store.BeginRetentionRun(ctx, domain.NewRetentionRun{Trigger: trigger, Actor: who.Name,
		Policy: s.policy, StaleAfter: staleAfter})
	if err != nil {
		return run, fmt.Errorf("retention.Run: %w", err)
	}
	return s.execute(ctx, who, run)
}

// Start claims a run for a person's form (key is its one-time key) and
// applies the policy in the background, so the page answers at once; the
// run goes on after the request, until Stop. A second submit of the same
// form yields the first run and domain.ErrDuplicateSubmission; a run
// already in progress yields it and domain.ErrConflict.
func (s *Service) Start(ctx context.Context, who domain.Actor, key string) (domain.RetentionRun, error) {
	run, err := s.store.BeginRetentionRun(ctx, domain.NewRetentionRun{Trigger: domain.RunManual, Actor: who.Name,
		FormKey: key, Policy: s.policy, StaleAfter: staleAfter})
	if err != nil {
		return run, fmt.Errorf("retention.Start: %w", err)
	}
	s.running.Go(func() {
		if _, err := s.execute(s.life, who, run); err != nil {
			s.log.Error("retention run failed", "run", run.ID, "err", err)
		}
	})
	return run, nil
}

// Stop stops the runs Start began (each ends as "stopped", recorded and
// audited) and waits for them.
func (s *Service) Stop() {
	s.stop()
	s.running.Wait()
}

// Schedule runs retention every hour (Options.Every) until ctx ends, the
// first time right away. Every serving process runs it; a process skips
// its turn when any run started within the last interval, so the
// processes of one database share one run an hour.
func (s *Service) Schedule(ctx context.Context) {
	ctx = store.Reserved(ctx)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		s.scheduled(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) scheduled(ctx context.Context) {
	_, err := s.RunIfDue(ctx)
	if err != nil && !errors.Is(err, store.ErrNotDue) && !errors.Is(err, domain.ErrConflict) && ctx.Err() == nil {
		s.log.Warn("retention: the hourly run failed", "err", err)
	}
}

// RunIfDue is one turn of the hourly run: it applies the policy as
// "ccsub" unless a run started within the last interval
// (store.ErrNotDue) or is in progress (domain.ErrConflict).
func (s *Service) RunIfDue(ctx context.Context) (domain.RetentionRun, error) {
	// A little under the interval, so the process whose turn it is never
	// skips because its own last run started a moment less than an hour
	// ago.
	run, err := s.store.BeginRetentionRun(ctx, domain.NewRetentionRun{Trigger: domain.RunScheduled,
		Actor: Scheduler.Name, Policy: s.policy, NotWithin: s.every * 9 / 10, StaleAfter: staleAfter})
	if err != nil {
		return run, fmt.Errorf("retention.RunIfDue: %w", err)
	}
	return s.execute(ctx, Scheduler, run)
}

// execute deletes each kind in turn, then records how the run ended and
// audits it in one transaction. Cut-offs are the run's start on the
// database's clock minus each window.
func (s *Service) execute(ctx context.Context, who domain.Actor, run domain.RetentionRun) (domain.RetentionRun, error) {
	ctx = store.Reserved(ctx)
	p := progress{s: s, run: run.ID, deleted: map[domain.RetentionKind]int64{}, last: time.Now()}
	var failure error
	for _, kind := range domain.RetentionKinds {
		keep, ok := s.policy[kind]
		if !ok && kind != domain.RetainRefusedPushes { // refused pushes are capped by count in any case
			continue
		}
		var cutoff time.Time
		if ok {
			cutoff = run.StartedAt.Add(-keep)
		}
		if failure = s.kind(ctx, &p, kind, cutoff); failure != nil {
			break
		}
	}
	status, errText := domain.RunDone, ""
	switch {
	case failure != nil && ctx.Err() != nil:
		status, errText = domain.RunStopped, "stopped: the process shut down during the run"
	case failure != nil:
		status, errText = domain.RunFailed, failure.Error()
	}
	// Recorded even when the run was stopped by a shutdown: Serve waits
	// for it before closing the database.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var done domain.RetentionRun
	err := s.audit.Change(fctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if done, err = tx.FinishRetentionRun(fctx, run.ID, status, p.deleted, errText); err != nil {
			return domain.AuditEntry{}, err
		}
		return entry(done), nil
	})
	if err != nil {
		return run, fmt.Errorf("retention run %d: record its end: %w (deleting: %v)", run.ID, err, failure)
	}
	if failure != nil {
		return done, fmt.Errorf("retention run %d: %w", run.ID, failure)
	}
	s.log.Info("retention run", "run", done.ID, "trigger", done.Trigger, "deleted", done.Total(),
		"took", done.Duration().Round(time.Millisecond))
	return done, nil
}

// kind deletes one kind's rows older than cutoff (for refused pushes a
// zero cutoff means "by count only"), batch after batch.
func (s *Service) kind(ctx context.Context, p *progress, kind domain.RetentionKind, cutoff time.Time) error {
	var after domain.Cursor
	var bound *domain.Cursor
	if kind == domain.RetainRefusedPushes {
		c, ok, err := s.store.RefusedBoundary(ctx, RefusedKept)
		if err != nil {
			return err
		}
		if ok {
			bound = &c
		}
	}
	for {
		var b store.Batch
		var err error
		began := time.Now()
		switch kind {
		case domain.RetainCalls, domain.RetainFailedHandshakes:
			b, err = s.store.DeleteCallsBatch(ctx, kind == domain.RetainFailedHandshakes, cutoff, after, s.batch)
		case domain.RetainNotifications:
			b, err = s.store.DeleteNotificationsBatch(ctx, cutoff, after, s.batch)
		case domain.RetainRefusedPushes:
			b, err = s.store.DeleteRefusedBatch(ctx, cutoff, bound, s.batch)
		case domain.RetainHeartbeats:
			b, err = s.store.DeleteHeartbeatsBatch(ctx, cutoff, s.batch)
		case domain.RetainAudit:
			b, err = s.store.DeleteAuditBatch(ctx, cutoff, s.batch)
		default:
			return fmt.Errorf("no retention for %q", kind)
		}
		if err != nil {
			return err
		}
		p.add(ctx, kind, b.Deleted)
		if !b.More {
			return nil
		}
		after = b.Next
		if err := sleep(ctx, max(s.pause, yield*time.Since(began))); err != nil {
			return err
		}
	}
}

// progress counts a run's deletes and writes them now and then, which
// also shows the run is alive.
type progress struct {
	s       *Service
	run     int64
	deleted map[domain.RetentionKind]int64
	last    time.Time
}

func (p *progress) add(ctx context.Context, kind domain.RetentionKind, n int64) {
	p.deleted[kind] += n
	if time.Since(p.last) < progressEvery {
		return
	}
	p.last = time.Now()
	if err := p.s.store.ProgressRetentionRun(ctx, p.run, p.deleted); err != nil && ctx.Err() == nil {
		p.s.log.Warn("retention: could not record progress", "run", p.run, "err", err)
	}
}

// entry is the run's one audit entry: the policy it applied and what it
// deleted, per kind.
func entry(r domain.RetentionRun) domain.AuditEntry {
	diff := map[string]domain.FieldChange{
		"trigger":    {After: r.Trigger},
		"status":     {After: r.Status},
		"durationMs": {After: r.Duration().Milliseconds()},
	}
	for _, k := range domain.RetentionKinds {
		diff["keep."+string(k)] = domain.FieldChange{After: domain.FormatKeep(r.Policy[k])}
		if n, ok := r.Deleted[k]; ok {
			diff["deleted."+string(k)] = domain.FieldChange{After: n}
		}
	}
	if r.Error != "" {
		diff["error"] = domain.FieldChange{After: r.Error}
	}
	outcome := "success"
	if r.Status != domain.RunDone {
		outcome = "failure"
	}
	return domain.AuditEntry{Action: domain.AuditRetentionRun, TargetType: domain.TargetRetention,
		TargetID: strconv.FormatInt(r.ID, 10), TargetName: "run #" + strconv.FormatInt(r.ID, 10), Outcome: outcome, Diff: diff}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
