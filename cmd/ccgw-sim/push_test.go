package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startRun runs the program with args in the background and returns its
// URL, a client trusting its CA, and a stop function that returns what
// run returned and everything it printed.
func startRun(t *testing.T, args ...string) (base string, client *http.Client, stop func() (string, error)) {
	t.Helper()
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	out := lines(pr)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-listen", "127.0.0.1:0", "-ca-out", caPath}, args...), pw)
		pw.Close()
	}()
	base = urlFrom(t, out)
	return base, clientTrusting(t, caPath), func() (string, error) {
		cancel()
		err := <-done
		var printed []string
		for line := range out {
			printed = append(printed, line)
		}
		return strings.Join(printed, "\n"), err
	}
}

// gatewayCall posts body to path with the Guid and returns the decoded answer.
func gatewayCall(t *testing.T, c *http.Client, base, path, guid, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if guid != "" {
		req.Header.Set("Guid", guid)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env["retcode"] != "0" {
		t.Fatalf("POST %s: %v %v", path, env, err)
	}
	return env["result"].(map[string]any)
}

// subscribeTo logs in with the default account and registers callback.
func subscribeTo(t *testing.T, c *http.Client, base, callback, token string) string {
	t.Helper()
	guid := gatewayCall(t, c, base, "/agentgateway/resource/config/login", "", `{"agentId":100001,"password":"simulator-password"}`)["guid"].(string)
	body := `{"subscribeType":"1","serviceToken":"` + token + `","serviceCallBackUri":"` + callback + `","nlpFlag":false}`
	return gatewayCall(t, c, base, "/agentgateway/resource/config/subscribe/register", guid, body)["serverId"].(string)
}

func TestPushEveryPushesToActiveSubscriptionsOverVerifiedTLS(t *testing.T) {
	type push struct {
		path  string
		token string
		body  []byte
	}
	got := make(chan push, 1000)
	receiver := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- push{r.URL.Path, r.Header.Get("service_token"), body}
		_, _ = io.WriteString(w, `{"retcode":"0","message":"success"}`)
	}))
	receiver.Config.ErrorLog = log.New(io.Discard, "", 0)
	receiver.StartTLS()
	t.Cleanup(receiver.Close)
	pushCA := filepath.Join(t.TempDir(), "push-ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: receiver.Certificate().Raw})
	if err := os.WriteFile(pushCA, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	base, client, stop := startRun(t, "-push-every", "5ms", "-push-ca", pushCA, "-subscription-server", "127.0.0.1")
	id := subscribeTo(t, client, base, receiver.URL+"/cb", "tok-cmd-secret")
	for range 2 {
		select {
		case p := <-got:
			if p.path != "/cb/v100/subscribe/asrevent/asrresult" || p.token != "tok-cmd-secret" ||
				!bytes.Contains(p.body, []byte(`"serverid":"`+id+`"`)) {
				t.Fatalf("push to %s with token %q: %s", p.path, p.token, p.body)
			}
		case <-time.After(time.Minute): // only stops a broken test from hanging
			t.Fatal("no push arrived")
		}
	}
	printed, err := stop()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(printed, "ccgw-sim: stopped") || strings.Contains(printed, "tok-cmd-secret") {
		t.Errorf("output:\n%s", printed)
	}
}

func TestClockFactorRunsAScaledClock(t *testing.T) {
	base, client, stop := startRun(t, "-clock-factor", "60")
	resp, err := client.Post(base+"/_sim/clock/advance?by=1m", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("advance: HTTP %d, want 200 (a real clock answers 409)", resp.StatusCode)
	}
	if _, err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunRefusesBadPushAndClockFlags(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	tests := []struct {
		name string
		args []string
	}{
		{"a negative push interval", []string{"-push-every", "-1s"}},
		{"a negative clock factor", []string{"-clock-factor", "-2"}},
		{"an infinite clock factor", []string{"-clock-factor", "+Inf"}},
		{"a clock factor with a manual clock", []string{"-clock-factor", "60", "-manual-clock"}},
		{"a push CA file that does not exist", []string{"-listen", "127.0.0.1:0", "-ca-out", ca, "-push-ca", filepath.Join(t.TempDir(), "missing.pem")}},
		{"a push CA file without a certificate", []string{"-listen", "127.0.0.1:0", "-ca-out", ca, "-push-ca", notPEM}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			if err := run(t.Context(), tc.args, io.Discard); err == nil {
				t.Fatal("run succeeded")
			}
		})
	}
}
