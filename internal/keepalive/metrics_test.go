package keepalive_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"ccsub/internal/gatewaysim"
	"ccsub/internal/metrics"
	"ccsub/internal/metrics/metricstest"
)

// TestEveryRecordedHandshakeIsCounted: successes are not history rows,
// but they are metrics; a failure is both.
func TestEveryRecordedHandshakeIsCounted(t *testing.T) {
	e := newEnv(t, gatewaysim.NewManualClock(t0))
	sub := e.register(1, false)[0]
	e.sim.Inject(gatewaysim.Fault{Op: "handshake", HTTPStatus: http.StatusForbidden}) // a 4xx: refused, so failed
	m := metrics.New(nil)
	cfg := fastConfig("engine-metrics")
	cfg.Retry = 200 * time.Millisecond
	cfg.Metrics = m
	r := e.start(cfg)
	await(t, "a failed and then a successful handshake", func() bool {
		s := e.sub(sub.ID)
		return s.HandshakesFailed == 1 && s.HandshakesOK >= 1
	})
	r.stop(t) // nothing is handshaken or counted after this
	got := e.sub(sub.ID)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	scrape := metricstest.Scrape(t, srv.URL+"/metrics")

	tests := []struct {
		name   string
		metric string
		labels []string
		want   float64
	}{
		{"each successful handshake is counted, as on the subscription", "ccsub_gateway_calls_total",
			[]string{"operation", "handshake", "outcome", "success"}, float64(got.HandshakesOK)},
		{"the refused handshake is counted as failed", "ccsub_gateway_calls_total",
			[]string{"operation", "handshake", "outcome", "failed"}, 1},
		{"every handshake's duration is observed", "ccsub_gateway_call_duration_seconds_count",
			[]string{"operation", "handshake"}, float64(got.HandshakesOK + got.HandshakesFailed)},
		{"the engine records no other gateway call", "ccsub_gateway_calls_total",
			[]string{"operation", "register", "outcome", "success"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := scrape.Value(tt.metric, tt.labels...)
			if !ok {
				t.Fatalf("%s%v missing from the scrape", tt.metric, tt.labels)
			}
			if v != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, v, tt.want)
			}
		})
	}
}
