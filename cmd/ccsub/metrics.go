package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"ccsub/internal/config"
)

// metricsShutdown bounds how long a stopping console waits for scrapes in
// flight; a scrape's own database queries time out sooner.
const metricsShutdown = 5 * time.Second

// startMetrics serves GET /metrics on CCSUB_METRICS_ADDR, a listener of
// its own: Prometheus scrapes without credentials, so the metrics stay off
// the console's port and off by default. It prints the address like the
// console's and returns a function that shuts the listener down.
func startMetrics(cfg config.Config, h http.Handler, e env, log *slog.Logger) (stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (set CCSUB_METRICS_ADDR to another address, or leave it empty to serve no metrics)", cfg.MetricsAddr, err)
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
	fmt.Fprintf(e.stdout, "metrics on http://%s/metrics\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			log.Warn("metrics listener: scrapes still running at shutdown were cut off", "err", err)
			_ = hs.Close()
		}
		<-done
	}, nil
}
