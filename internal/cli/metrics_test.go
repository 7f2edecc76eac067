package cli

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccsub/internal/metrics/metricstest"
)

var metricsLine = regexp.MustCompile(`(?m)^metrics on (http://\S+/metrics)$`)

func metricsEnv(t *testing.T, addr string) map[string]string {
	return map[string]string{"DATABASE_URL": freshDatabase(t), "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SIMULATOR": "off",
		"LISTEN_ADDR": "127.0.0.1:0", "CCSUB_SECRET_KEY": testSecretKey, "CCSUB_METRICS_ADDR": addr}
}

func TestServeExposesMetricsOnTheirOwnListener(t *testing.T) {
	c := startConsole(t, metricsEnv(t, "127.0.0.1:0"))
	m := metricsLine.FindStringSubmatch(c.Stdout.String())
	if m == nil {
		t.Fatalf("no metrics address printed before the console's:\n%s", c.Stdout)
	}
	metricsURL := m[1]
	res, err := http.Get(c.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	got := metricstest.Scrape(t, metricsURL)
	t.Run("the scrape reads the console's database", func(t *testing.T) {
		if v, ok := got.Value("ccsub_database_up"); !ok || v != 1 {
			t.Errorf("ccsub_database_up = %v (present %v), want 1", v, ok)
		}
	})
	t.Run("the scrape counts the console's requests", func(t *testing.T) {
		if v, ok := got.Value("ccsub_http_requests_total", "route", "GET /healthz", "code", "200"); !ok || v != 1 {
			t.Errorf("ccsub_http_requests_total{GET /healthz,200} = %v (present %v), want 1", v, ok)
		}
	})
	t.Run("the scrape includes the Go runtime and the process", func(t *testing.T) {
		for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
			if !got.Has(name) {
				t.Errorf("%s missing", name)
			}
		}
	})
	t.Run("the console's own port does not serve metrics", func(t *testing.T) {
		res, err := http.Get(c.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s/metrics: status %d, want 404", c.URL, res.StatusCode)
		}
	})
	t.Run("the metrics listener stops with the console", func(t *testing.T) {
		if err := c.stop(); err != nil {
			t.Fatal(err)
		}
		if res, err := http.Get(metricsURL); err == nil {
			res.Body.Close()
			t.Errorf("GET %s after stop: status %d, want the connection refused", metricsURL, res.StatusCode)
		}
	})
}

func TestServeWithoutAMetricsAddressPrintsNoMetricsLine(t *testing.T) {
	c := startConsole(t, metricsEnv(t, ""))
	if out := c.Stdout.String(); strings.Contains(out, "metrics on") {
		t.Errorf("a metrics address was printed although none was configured:\n%s", out)
	}
}

// A metrics address that is taken stops the start with an error naming the
// setting, and Run returns instead of waiting for a signal with its
// background work still running.
func TestServeRefusesATakenMetricsAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	env := metricsEnv(t, taken.Addr().String())
	// The context never ends on its own: only a failed start may end Run.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	out := newOutput()
	go func() { done <- Run(ctx, nil, getenv(env), strings.NewReader(""), out, newOutput()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "CCSUB_METRICS_ADDR") {
			t.Fatalf("Run returned %v, want an error naming CCSUB_METRICS_ADDR", err)
		}
	case <-time.After(stopTimeout):
		t.Fatalf("Run did not return within %s of a failed start", stopTimeout)
	}
	if strings.Contains(out.String(), "ccsub is serving on") {
		t.Errorf("the console announced itself although it could not start:\n%s", out)
	}
}
