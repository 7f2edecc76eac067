package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccsub/internal/gatewaysim"
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

func TestStrictnessFlagsReachTheSimulatorsConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want gatewaysim.Config // only the strictness fields are compared
	}{
		{"no flags: the strictest gateway", nil,
			gatewaysim.Config{GuidIdle: gatewaysim.DefaultGuidIdle, ExpiredCode: "107-000", GuidIn: "body"}},
		{"every flag", []string{"-guid-idle", "10m", "-expired-code", "100-006", "-guid-in", "set-guid-guid", "-lax-agent-id",
			"-if-sub-configure=false", "-subscription-server", "crm.example.com", "-subscription-server", "10.1.2.3",
			"-allow-http-loopback", "-lax-callbacks", "-lax-handshake-token"},
			gatewaysim.Config{GuidIdle: 10 * time.Minute, ExpiredCode: "100-006", GuidIn: "set-guid-guid", LaxAgentID: true,
				IFSubConfigureOff: true, SubscriptionServers: []string{"crm.example.com", "10.1.2.3"}, AllowHTTPLoopback: true,
				LaxCallbacks: true, LaxHandshakeToken: true}},
		{"-guid-idle never", []string{"-guid-idle", "never"},
			gatewaysim.Config{GuidIdle: -1, ExpiredCode: "107-000", GuidIn: "body"}},
		{"a negative -guid-idle is never too", []string{"-guid-idle=-1s"},
			gatewaysim.Config{GuidIdle: -time.Second, ExpiredCode: "107-000", GuidIn: "body"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := o.config(nil)
			if err != nil {
				t.Fatal(err)
			}
			got := gatewaysim.Config{GuidIdle: cfg.GuidIdle, ExpiredCode: cfg.ExpiredCode, GuidIn: cfg.GuidIn, LaxAgentID: cfg.LaxAgentID,
				IFSubConfigureOff: cfg.IFSubConfigureOff, SubscriptionServers: cfg.SubscriptionServers, AllowHTTPLoopback: cfg.AllowHTTPLoopback,
				LaxCallbacks: cfg.LaxCallbacks, LaxHandshakeToken: cfg.LaxHandshakeToken}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("config\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRunRefusesBadStrictnessFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"an unknown expired code":      {"-expired-code", "107-001"},
		"an unknown Guid place":        {"-guid-in", "cookie"},
		"a subscription server w/port": {"-subscription-server", "crm.example.com:443"},
		"a subscription server as URL": {"-subscription-server", "https://crm.example.com"},
		"a Guid idle that is no time":  {"-guid-idle", "soon"},
		"a Guid idle of zero":          {"-guid-idle", "0s"},
	} {
		t.Run(name+" is an error", func(t *testing.T) {
			if _, err := parseFlags(args, io.Discard); err == nil {
				t.Fatal("parseFlags succeeded")
			}
			if err := run(t.Context(), args, io.Discard); err == nil {
				t.Fatal("run succeeded")
			}
		})
	}
}

func TestTheHelpNamesEveryStrictnessFlagAndTheConfigEndpoint(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	for _, want := range []string{"-guid-idle", "-expired-code", "-guid-in", "-lax-agent-id", "-if-sub-configure",
		"-subscription-server", "-allow-http-loopback", "-lax-callbacks", "-lax-handshake-token", "/_sim/config",
		"/_sim/expire-guids", "truncate", "oversize", "resultAs", "107-000, 107-007, 000-003, 100-006",
		"body, body+header, header, set-guid-jsessionid, set-guid-guid"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the help does not mention %q", want)
		}
	}
}

func TestRunServesTheStrictnessItWasGiven(t *testing.T) {
	base, client, stop := startRun(t, "-guid-in", "header", "-expired-code", "000-003", "-subscription-server", "crm.example.com")
	post := func(t *testing.T, path, guid, body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if guid != "" {
			req.Header.Set("Guid", guid)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			t.Fatal(err)
		}
		return resp, env
	}
	resp, env := post(t, "/agentgateway/resource/config/login", "", `{"agentId":100001,"password":"simulator-password"}`)
	guid := resp.Header.Get("Guid")
	if result, _ := env["result"].(map[string]any); guid == "" || result == nil || result["guid"] != nil {
		t.Fatalf("-guid-in header: Guid header %q, body %v", guid, env)
	}
	register := func(callback string) string {
		_, env := post(t, "/agentgateway/resource/config/subscribe/register", guid,
			`{"subscribeType":"1","serviceCallBackUri":"`+callback+`","nlpFlag":false}`)
		return env["retcode"].(string)
	}
	if got := register("https://crm.example.com/cc"); got != "0" {
		t.Errorf("a listed host: %s", got)
	}
	if got := register("https://other.example.com/cc"); got != "107-027" {
		t.Errorf("a host not listed: %s, want 107-027", got)
	}
	if got := register("http://127.0.0.1:8080/r"); got != "107-002" {
		t.Errorf("plain http to loopback without -allow-http-loopback: %s, want 107-002", got)
	}
	r, err := client.Post(base+"/_sim/expire-guids", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if got := register("https://crm.example.com/cc"); got != "000-003" {
		t.Errorf("an expired Guid: %s, want the -expired-code 000-003", got)
	}
	printed, err := stop()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if strings.Contains(printed, "no -subscription-server given") {
		t.Errorf("warned about a missing server list:\n%s", printed)
	}
}

func TestRunWarnsThatNoHostIsASubscriptionServer(t *testing.T) {
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	out := lines(pr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-ca-out", caPath}, pw)
		pw.Close()
	}()
	warned := false
	for line := range out {
		if strings.HasPrefix(line, "ccgw-sim: no -subscription-server given: every register and modify answers 107-027") {
			warned = true
		}
		if strings.HasPrefix(line, "ccgw-sim: listening on ") {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range out {
	}
	if !warned {
		t.Error("no warning before the URL")
	}
}
