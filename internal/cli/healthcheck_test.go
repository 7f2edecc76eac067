package cli

import (
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// probeEnv is an environment in which opening the database or loading keys
// would fail or leave a trace: the probe must do neither.
func probeEnv(t *testing.T, extra map[string]string) (map[string]string, string) {
	dataDir := t.TempDir()
	env := map[string]string{
		"DATABASE_URL":   "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=1",
		"CCSUB_DATA_DIR": dataDir,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env, dataDir
}

// readyz is a console's /readyz answering status, counting its requests.
func readyz(t *testing.T, status int, body string, hits *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// closedLoopbackAddr is a loopback address nothing listens on.
func closedLoopbackAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestHealthcheck(t *testing.T) {
	var readyHits, downHits atomic.Int32
	ready := readyz(t, http.StatusOK, "ready\n", &readyHits)
	down := readyz(t, http.StatusServiceUnavailable, "database unavailable\n", &downHits)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)
	redirect := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	t.Cleanup(redirect.Close)
	_, readyPort, _ := net.SplitHostPort(ready.Listener.Addr().String())
	closed := closedLoopbackAddr(t)

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string // nil: ready
	}{
		{"a 200 from --url is ready", nil, []string{"--url", ready.URL + "/readyz"}, nil},
		{"--url without a path probes /readyz", nil, []string{"--url", ready.URL}, nil},
		{"the probe needs no secret key, even where the image requires one for serve",
			map[string]string{"CCSUB_REQUIRE_SECRET_KEY": "true"}, []string{"--url", ready.URL}, nil},
		{"without --url the probe finds the console on loopback from LISTEN_ADDR 0.0.0.0",
			map[string]string{"LISTEN_ADDR": "0.0.0.0:" + readyPort}, nil, nil},
		{"a 503 is not ready, with the console's reason", nil, []string{"--url", down.URL + "/readyz"},
			[]string{"not ready", "503 Service Unavailable", "database unavailable"}},
		{"nothing listening is not ready", map[string]string{"LISTEN_ADDR": closed}, nil,
			[]string{"not ready", "http://" + closed + "/readyz", "connection refused"}},
		{"no answer within --timeout is not ready", nil, []string{"--url", hang.URL + "/readyz", "--timeout", "200ms"},
			[]string{"not ready", "no answer", "within 200ms"}},
		{"a redirect is not followed and is not ready", nil, []string{"--url", redirect.URL + "/readyz"},
			[]string{"not ready", "302 Found"}},
		{"an address that is not http(s) is refused", nil, []string{"--url", "ftp://127.0.0.1/readyz"},
			[]string{`--url "ftp://127.0.0.1/readyz"`}},
		{"a listener on port 0 cannot be probed without --url", map[string]string{"LISTEN_ADDR": "127.0.0.1:0"}, nil,
			[]string{"pass --url"}},
		{"an invalid configuration is reported on one line", map[string]string{"LISTEN_ADDR": "nonsense", "CCSUB_LOG_FORMAT": "xml"}, nil,
			[]string{"configuration", "LISTEN_ADDR", "CCSUB_LOG_FORMAT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, dataDir := probeEnv(t, tt.env)
			start := time.Now()
			stdout, _, err := runCLI(t, env, "", append([]string{"healthcheck"}, tt.args...)...)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("the probe took %s", elapsed)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("not ready: %v", err)
				}
				if !strings.HasPrefix(stdout, "ready: ") || !strings.Contains(stdout, "/readyz answered 200 OK") {
					t.Errorf("stdout %q", stdout)
				}
			} else {
				if err == nil {
					t.Fatalf("ready (stdout %q), want an error", stdout)
				}
				t.Logf("refused: %v", err)
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Errorf("error %q is more than one line", err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
			}
			// Neither a database nor a key was touched: the data dir, where
			// a private database or a generated key would go, stays empty.
			if entries, err := os.ReadDir(dataDir); err != nil || len(entries) > 0 {
				t.Errorf("data dir: %v entries, err %v", entries, err)
			}
		})
	}
	if readyHits.Load() != 4 || downHits.Load() != 1 {
		t.Errorf("/readyz hits: ready %d (want 4), down %d (want 1)", readyHits.Load(), downHits.Load())
	}
}

func TestHealthcheckOverTLS(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("ready\n"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ours := write("console.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	other := write("other.pem", testCAPEM(t))
	key := write("key.pem", []byte("not read by the probe"))
	tlsEnv := func(cert string) map[string]string {
		return map[string]string{"LISTEN_ADDR": srv.Listener.Addr().String(), "CCSUB_TLS_CERT": cert, "CCSUB_TLS_KEY": key}
	}

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string
	}{
		{"with CCSUB_TLS_CERT the derived probe uses https and accepts the configured certificate",
			tlsEnv(ours), nil, nil},
		{"a console presenting another certificate than CCSUB_TLS_CERT is not ready",
			tlsEnv(other), nil, []string{"https://" + srv.Listener.Addr().String() + "/readyz", "not the one in CCSUB_TLS_CERT"}},
		{"an unreadable CCSUB_TLS_CERT is reported", tlsEnv(filepath.Join(dir, "missing.pem")), nil,
			[]string{"read CCSUB_TLS_CERT"}},
		{"--url https trusts the certificates of CCSUB_TLS_CERT", tlsEnv(ours), []string{"--url", srv.URL}, nil},
		{"--url https without them verifies against the system's roots only", nil, []string{"--url", srv.URL},
			[]string{"not ready", "certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := probeEnv(t, tt.env)
			stdout, _, err := runCLI(t, env, "", append([]string{"healthcheck"}, tt.args...)...)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("not ready: %v", err)
				}
				if !strings.HasPrefix(stdout, "ready: https://") {
					t.Errorf("stdout %q", stdout)
				}
				return
			}
			if err == nil {
				t.Fatalf("ready (stdout %q), want an error", stdout)
			}
			t.Logf("refused: %v", err)
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
	if hits.Load() != 2 {
		t.Errorf("the console answered %d probes, want 2 (only those that trusted it)", hits.Load())
	}
}
