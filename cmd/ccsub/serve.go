package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"ccsub/internal/config"
	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/keepalive"
	"ccsub/internal/metrics"
	"ccsub/internal/password"
	"ccsub/internal/secret"
	"ccsub/internal/server"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
)

const (
	simulatorName  = "simulator"
	simulatorAgent = 100001
	sessionPurpose = "session-key"
	// simulatorPushEvery paces the built-in simulator's recognition results.
	simulatorPushEvery = 20 * time.Second
)

func serve(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg, err := config.Parse(e.getenv, fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log := newLogger(cfg, e.stderr)
	log.Info("starting ccsub", "config", cfg)
	pool, closeDB, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer closeDB()
	keys, created, err := secret.LoadOrCreate(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	if created {
		log.Warn("generated a new secret key; back it up, and give every ccsub process sharing this database the same key (CCSUB_SECRET_KEY)", "key_id", keys.PrimaryID())
	}
	st := store.New(pool)
	m := metrics.New(st)
	client := gateway.New(gateway.Config{ConnectTimeout: cfg.GatewayConnectTimeout, CallTimeout: cfg.GatewayCallTimeout, Logger: log,
		Networks: cfg.GatewayNetworks})
	svc := subscribe.New(st, client, keys, log, subscribe.Options{CallTimeout: cfg.GatewayCallTimeout, PublicURL: cfg.PublicURL,
		Metrics: m})
	if _, err := svc.RecoverInterrupted(ctx); err != nil {
		return err
	}
	if err := ensureAdmin(ctx, st, e); err != nil {
		return err
	}
	stopSim, err := startSimulator(ctx, cfg, st, keys, log)
	if err != nil {
		return err
	}
	defer stopSim()
	sessKeys, err := sessionKeys(ctx, st, keys)
	if err != nil {
		return err
	}
	engine := keepalive.New(st, svc, keepalive.Config{Interval: cfg.HandshakeInterval, CallTimeout: cfg.GatewayCallTimeout,
		Log: log.With("component", "keepalive"), Metrics: m})
	// A listener that fails to start returns before ctx ends: the
	// background work must then be stopped too, or serve would wait for it
	// until a signal came.
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() {
		if err := engine.Run(bgCtx); err != nil {
			log.Error("keep-alive engine stopped", "err", err)
		}
	})
	background.Go(func() { maintain(bgCtx, st, log, cfg.SessionIdle) })
	defer background.Wait() // on shutdown: in-flight handshakes finish or release their leases
	defer stopBackground()
	srv := server.New(server.Deps{Store: st, Service: svc, Keys: keys, Log: log, SessionKeys: sessKeys,
		Secure: cfg.SecureCookies(), SessionTTL: cfg.SessionMaxAge, SessionIdle: cfg.SessionIdle, PublicURL: cfg.PublicURL, Interval: cfg.HandshakeInterval,
		Metrics: m})
	return listenAndServe(ctx, cfg, srv.Handler(), m.Handler(), e, log)
}

// listenAndServe serves until ctx ends, then drains requests in flight.
// The metrics listener, when configured, starts before the console's
// address is announced and stops after its requests are drained.
func listenAndServe(ctx context.Context, cfg config.Config, h, metricsHandler http.Handler, e env, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set LISTEN_ADDR or --listen to another address)", cfg.ListenAddr, err)
	}
	stopMetrics, err := startMetrics(cfg, metricsHandler, e, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
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
	fmt.Fprintf(e.stdout, "ccsub is serving on %s://%s\n", scheme, ln.Addr())
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

// maintain prunes what only matters for a while: heartbeat buckets older
// than the 24-hour strip, replay digests older than a day, sessions that
// can no longer be used and failed sign-ins older than any throttle window.
// Every process may do it; the deletes are idempotent.
func maintain(ctx context.Context, st *store.Store, log *slog.Logger, idle time.Duration) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := st.PruneHeartbeats(ctx, 25*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("prune heartbeats", "err", err)
		}
		if _, err := st.PruneNotificationDigests(ctx, time.Now().Add(-24*time.Hour), 10000); err != nil && ctx.Err() == nil {
			log.Warn("prune notification digests", "err", err)
		}
		if _, err := st.PruneSessions(ctx, idle); err != nil && ctx.Err() == nil {
			log.Warn("prune sessions", "err", err)
		}
		if _, err := st.PruneLoginFailures(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("prune failed sign-ins", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ensureAdmin creates the first user, "admin", with a random password that
// is printed once on standard output (never logged).
func ensureAdmin(ctx context.Context, st *store.Store, e env) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	pw := base64.RawURLEncoding.EncodeToString(b[:])
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, "admin", domain.RoleAdmin, hash); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil // another process created it first
		}
		return err
	}
	fmt.Fprintf(e.stdout, "\nCreated the first console user.\n  user name: admin\n  password:  %s\nThis password is shown only once. Change it with: ccsub user reset-password --username admin --password-stdin\n\n", pw)
	return nil
}

// startSimulator runs the built-in gateway simulator when configured, and
// registers it as the gateway named "simulator".
func startSimulator(ctx context.Context, cfg config.Config, st *store.Store, keys *secret.Keyring, log *slog.Logger) (func(), error) {
	want, err := wantSimulator(ctx, cfg, st)
	if err != nil || !want {
		return func() {}, err
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	pw := base64.RawURLEncoding.EncodeToString(b[:])
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{simulatorAgent: pw}, Logger: log.With("component", "simulator"),
		PushLoopbackOnly: true})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the gateway simulator: %w", err)
	}
	sealed, err := keys.Seal([]byte(pw), subscribe.PurposeGatewayPassword)
	if err != nil {
		sim.Close()
		return nil, err
	}
	if _, err := st.UpsertGatewayByName(ctx, domain.GatewayInput{Name: simulatorName, BaseURL: sim.URL(),
		AgentID: simulatorAgent, PasswordSealed: sealed, CAPEM: string(sim.CAPEM())}); err != nil {
		sim.Close()
		return nil, err
	}
	// A newcomer sees results arrive in the inbox: the simulator pushes to
	// subscriptions that use ccsub's own (loopback) receiver, never outside.
	pushCtx, stopPush := context.WithCancel(ctx)
	go sim.PushToActive(pushCtx, simulatorPushEvery)
	log.Info("built-in gateway simulator running", "url", sim.URL(), "gateway", simulatorName,
		"pushes_every", simulatorPushEvery)
	return func() { stopPush(); _ = sim.Close() }, nil
}

// wantSimulator: "auto" runs it only with the private database and when no
// real gateway is configured, so production never talks to a fake.
func wantSimulator(ctx context.Context, cfg config.Config, st *store.Store) (bool, error) {
	switch cfg.Simulator {
	case config.SimOn:
		return true, nil
	case config.SimOff:
		return false, nil
	}
	if cfg.DatabaseURL != "" {
		return false, nil
	}
	gws, err := st.ListGateways(ctx)
	if err != nil {
		return false, err
	}
	for _, g := range gws {
		if g.Name != simulatorName {
			return false, nil
		}
	}
	return true, nil
}

// sessionKeys opens the database's shared cookie keys (creating the first
// on a new database) as gorilla hash/block key pairs, newest first.
func sessionKeys(ctx context.Context, st *store.Store, keys *secret.Keyring) ([][]byte, error) {
	sealed, err := st.SessionKeys(ctx, func() ([]byte, error) {
		raw := make([]byte, 64)
		_, _ = rand.Read(raw)
		return keys.Seal(raw, sessionPurpose)
	})
	if err != nil {
		return nil, err
	}
	var pairs [][]byte
	for _, s := range sealed {
		raw, err := keys.Open(s, sessionPurpose)
		if err != nil {
			return nil, fmt.Errorf("open a session key (was CCSUB_SECRET_KEY changed?): %w", err)
		}
		pairs = append(pairs, raw[:32], raw[32:64])
	}
	return pairs, nil
}
