package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"ccsub/internal/config"
	"ccsub/internal/keepalive"
	"ccsub/internal/store"
)

// metricsShutdown bounds how long a stopping console waits for scrapes in
// flight; a scrape's own database queries time out sooner.
const metricsShutdown = 5 * time.Second

// Serve runs the console until ctx ends: it binds its listeners, settles
// calls an earlier process left pending, creates the first admin (printing
// its password once on out), starts the built-in simulator when
// configured, the keep-alive engine, the pruning and retention, and serves
// HTTP; on shutdown it drains requests and handshakes in flight. Stopped
// while it is still starting, it returns nil: a stop is not a failure.
func (a *App) Serve(ctx context.Context, out io.Writer) error {
	err := a.serve(ctx, out)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		a.Log.Info("stopped while starting", "err", err)
		return nil
	}
	return err
}

func (a *App) serve(ctx context.Context, out io.Writer) error {
	// The listeners come first: a busy port must fail the start before a
	// one-time password is printed for an admin nobody could then reach.
	lns, err := listen(a.Config)
	if err != nil {
		return err
	}
	defer lns.close() // a no-op once the servers own them
	// Answers an earlier process kept go in first, so their calls never
	// show as unknown.
	if _, err := a.Subscribe.Replay(ctx); err != nil {
		a.Log.Warn("gateway answers kept in the journal are not all recorded yet; retrying in the background", "err", err)
	}
	if _, err := a.Subscribe.RecoverInterrupted(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: a stop, not a failure
		}
		return err
	}
	pw, err := a.Access.FirstAdmin(ctx)
	if err != nil {
		return err
	}
	if pw != "" {
		fmt.Fprintf(out, "\nCreated the first console user.\n  user name: admin\n  password:  %s\nThis password is shown only once. Change it with: ccsub user reset-password --username admin --password-stdin\n\n", pw)
	}
	stopSim, err := a.startSimulator(ctx)
	if err != nil {
		return err
	}
	defer stopSim()
	sessKeys, err := a.Access.SessionKeys(ctx)
	if err != nil {
		return err
	}
	engine := keepalive.New(a.Store, a.Subscribe, keepalive.Config{Interval: a.Config.HandshakeInterval,
		CallTimeout: a.Config.GatewayCallTimeout, Log: a.Log.With("component", "keepalive"), Metrics: a.Metrics})
	// A listener that fails to start returns before ctx ends: the
	// background work must then be stopped too, or Serve would wait for it
	// until a signal came.
	bgCtx, stopBackground := context.WithCancel(store.Reserved(ctx)) // on connections of its own
	var background sync.WaitGroup
	background.Go(func() {
		if err := engine.Run(bgCtx); err != nil {
			a.Log.Error("keep-alive engine stopped", "err", err)
		}
	})
	background.Go(func() { maintain(bgCtx, a.Store, a.Log) })
	background.Go(func() { a.Retention.Schedule(bgCtx) })
	background.Go(func() { a.sweepPending(bgCtx) })
	background.Go(func() { a.ReplayJournal(bgCtx) })
	defer a.Retention.Stop() // a run an administrator started ends as "stopped", recorded
	defer background.Wait()  // on shutdown: in-flight handshakes finish or release their leases
	defer stopBackground()
	return serveHTTP(ctx, a.Config, lns, a.Handler(sessKeys), a.Metrics.Handler(), out, a.Log)
}

// listeners are the console's bound addresses: its own and, when
// configured, the metrics one.
type listeners struct {
	console, metrics net.Listener
}

// listen binds the console's address and the metrics one, or neither.
func listen(cfg config.Config) (*listeners, error) {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (set LISTEN_ADDR or --listen to another address)", cfg.ListenAddr, err)
	}
	lns := &listeners{console: ln}
	if cfg.MetricsAddr != "" {
		if lns.metrics, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("listen on %s: %w (set CCSUB_METRICS_ADDR to another address, or leave it empty to serve no metrics)", cfg.MetricsAddr, err)
		}
	}
	return lns, nil
}

// close closes both listeners; closing one an http.Server already shut
// down only returns an error, which is ignored.
func (l *listeners) close() {
	_ = l.console.Close()
	if l.metrics != nil {
		_ = l.metrics.Close()
	}
}

// serveHTTP serves on the bound listeners until ctx ends, then drains
// requests in flight. The metrics listener starts serving before the
// console's address is announced and stops after its requests are drained.
func serveHTTP(ctx context.Context, cfg config.Config, lns *listeners, h, metricsHandler http.Handler, out io.Writer, log *slog.Logger) error {
	ln := lns.console
	stopMetrics := startMetrics(lns.metrics, metricsHandler, out, log)
	defer stopMetrics()
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A register may wait for the gateway's full deadline.
		WriteTimeout: cfg.GatewayCallTimeout + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	fmt.Fprintf(out, "ccsub is serving on %s://%s\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if cfg.TLS() {
			errc <- hs.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.GatewayCallTimeout+5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// startMetrics serves GET /metrics on ln, CCSUB_METRICS_ADDR's listener of
// its own (nil when unset): Prometheus scrapes without credentials, so the
// metrics stay off the console's port and off by default. It prints the
// address like the console's and returns a function that shuts the
// listener down.
func startMetrics(ln net.Listener, h http.Handler, out io.Writer, log *slog.Logger) (stop func()) {
	if ln == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	fmt.Fprintf(out, "metrics on http://%s/metrics\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			log.Warn("metrics listener: scrapes still running at shutdown were cut off", "err", err)
			_ = hs.Close()
		}
		<-done
	}
}

// sweepPending settles, every minute, the calls no process can still
// complete (see subscribe.RecoverInterrupted): a register whose answer came
// while the database was down becomes an unknown subscription to settle,
// without waiting for a restart. Every process runs it; it is idempotent.
func (a *App) sweepPending(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.Subscribe.RecoverInterrupted(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("sweep of calls without an answer", "err", err)
		}
	}
}

// Journal replay backoff: the first retry after a failure, the longest
// wait between retries while answers wait, and how often an empty journal
// is looked at (another process on the same data dir may have written it).
const (
	replayFirst = time.Second
	replayMax   = 8 * time.Second
	replayIdle  = 30 * time.Second
)

// ReplayJournal records the gateway answers kept in the journal as soon
// as the database takes them, until ctx ends: when one is kept, then with
// backoff while any wait, so an answer is in the database within seconds
// of it coming back. Serve runs it in the background.
func (a *App) ReplayJournal(ctx context.Context) {
	delay := replayFirst
	var logged time.Time // a retry every few seconds is logged once a minute
	for {
		waiting, err := a.Subscribe.Replay(ctx)
		next := replayIdle
		if waiting > 0 {
			if err != nil && ctx.Err() == nil && time.Since(logged) >= time.Minute {
				a.Log.Warn("gateway answers wait in the journal for the database; retrying every few seconds",
					"waiting", waiting, "err", err)
				logged = time.Now()
			}
			next, delay = delay, min(2*delay, replayMax)
		} else {
			delay, logged = replayFirst, time.Time{}
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.Subscribe.Kept():
			delay = replayFirst
		case <-t.C:
		}
		t.Stop()
	}
}

// maintain prunes, every hour, what only matters for a while (see Prune).
func maintain(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		prune(ctx, st, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune runs one round of the maintenance Serve does every hour: it
// deletes replay digests older than a day, sessions that can no longer be
// used (past their own expiry or idle limit, whatever this process's
// settings) and failed sign-ins older than any throttle window. Every
// process may do it; the deletes are idempotent. Rows kept for the record
// (calls, notifications, refused pushes, heartbeats, failed handshakes)
// are retention's: see internal/retention.
func (a *App) Prune(ctx context.Context) { prune(ctx, a.Store, a.Log) }

func prune(ctx context.Context, st *store.Store, log *slog.Logger) {
	if _, err := st.PruneNotificationDigests(ctx, time.Now().Add(-24*time.Hour), 10000); err != nil && ctx.Err() == nil {
		log.Warn("prune notification digests", "err", err)
	}
	if _, err := st.PruneSessions(ctx); err != nil && ctx.Err() == nil {
		log.Warn("prune sessions", "err", err)
	}
	if _, err := st.PruneLoginFailures(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
		log.Warn("prune failed sign-ins", "err", err)
	}
}
