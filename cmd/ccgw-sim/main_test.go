package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lines feeds what run prints, line by line, to a channel.
func lines(r io.Reader) <-chan string {
	out := make(chan string, 1024)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return out
}

// urlFrom waits for the "listening on" line.
func urlFrom(t *testing.T, out <-chan string) string {
	t.Helper()
	for line := range out {
		if u, found := strings.CutPrefix(line, "ccgw-sim: listening on "); found {
			return u
		}
	}
	t.Fatal("run ended without printing its URL")
	return ""
}

func TestRunServesUntilCancelled(t *testing.T) {
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	out := lines(pr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-ca-out", caPath, "-account", "7:pw-seven", "-manual-clock"}, pw)
		pw.Close()
	}()
	base := urlFrom(t, out)
	client := clientTrusting(t, caPath)

	t.Run("the control endpoint answers over HTTPS with the written CA", func(t *testing.T) {
		resp, err := client.Get(base + "/_sim/requests")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var reqs []json.RawMessage
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&reqs) != nil {
			t.Fatalf("HTTP %d, want 200 and a JSON list", resp.StatusCode)
		}
	})
	t.Run("the -account flag replaces the default account", func(t *testing.T) {
		for body, want := range map[string]string{
			`{"agentId":7,"password":"pw-seven"}`:                "0",
			`{"agentId":100001,"password":"simulator-password"}`: "107-004",
		} {
			if got := login(t, client, base, body); got != want {
				t.Errorf("login %s: retcode %q, want %q", body, got, want)
			}
		}
	})
	t.Run("-manual-clock lets the clock be advanced", func(t *testing.T) {
		resp, err := client.Post(base+"/_sim/clock/advance?by=1m", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("HTTP %d, want 200", resp.StatusCode)
		}
	})

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	var printed []string
	for line := range out {
		printed = append(printed, line)
	}
	if joined := strings.Join(printed, "\n"); strings.Contains(joined, "pw-seven") || !strings.Contains(joined, "ccgw-sim: stopped") {
		t.Errorf("output after the URL:\n%s", joined)
	}
}

func clientTrusting(t *testing.T, caPath string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caPath)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

func login(t *testing.T, c *http.Client, base, body string) string {
	t.Helper()
	resp, err := c.Post(base+"/agentgateway/resource/config/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Retcode string }
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env.Retcode
}

func TestRunRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"an account without a password", []string{"-account", "100001"}},
		{"an account whose id is not a number", []string{"-account", "admin:pw"}},
		{"a zero expiry", []string{"-expiry", "0s"}},
		{"a stray argument", []string{"serve"}},
		{"an unknown flag", []string{"-port", "8043"}},
		{"an address that cannot be listened on", []string{"-listen", "127.0.0.1:-1", "-ca-out", filepath.Join(t.TempDir(), "ca.pem")}},
		{"a CA file in a missing directory", []string{"-listen", "127.0.0.1:0", "-ca-out", filepath.Join(t.TempDir(), "no", "ca.pem")}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if err := run(t.Context(), tc.args, io.Discard); err == nil {
				t.Fatal("run succeeded")
			}
		})
	}
}
