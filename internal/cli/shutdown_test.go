package cli

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccsub/internal/gatewaysim"

	"github.com/jackc/pgx/v5"
)

// On SIGTERM (the run context ending) the console stops taking requests but
// finishes the one in flight: the register the gateway is still answering
// completes, its page is served, and nothing is left pending.
func TestShutdownDrainsARegisterInFlight(t *testing.T) {
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{100001: "drain-test-password"},
		SubscriptionServers: []string{"drain.example.com"}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, sim.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	db := freshDatabase(t)
	env := map[string]string{"DATABASE_URL": db, "CCSUB_DATA_DIR": t.TempDir(), "CCSUB_SIMULATOR": "off",
		"LISTEN_ADDR": "127.0.0.1:0", "CCSUB_SECRET_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	if _, _, err := runCLI(t, env, "drain-test-password\n", "gateway", "add", "--name", "drain", "--url", sim.URL(),
		"--agent-id", "100001", "--ca-file", caFile, "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, env, "a long enough password\n", "user", "add", "--username", "op", "--role", "operator", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	c := startConsole(t, env)
	cl := newClient(t, c.URL)
	cl.signIn("op", "a long enough password")
	gw, _ := cl.page("/subscriptions/new").Find("#gateway option[value!='']").Attr("value")

	// The gateway answers only after a while, so the shutdown starts while
	// the register is in flight.
	sim.Inject(gatewaysim.Fault{Op: "register", Delay: 5 * time.Second})
	type answer struct {
		status   int
		location string
	}
	done := make(chan answer, 1)
	go func() {
		res, err := cl.http.PostForm(c.URL+"/subscriptions", url.Values{"gateway": {gw}, "subscribeType": {"1"},
			"serviceCallBackUri": {"https://drain.example.com/cb"}, "idempotencyKey": {uniq("drain")}})
		if err != nil {
			done <- answer{}
			return
		}
		res.Body.Close()
		done <- answer{res.StatusCode, res.Header.Get("Location")}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := sim.WaitRequests(ctx, "register", 1); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- c.stop() }()
	if _, err := waitForOutput(ctx, c.Stderr, regexp.MustCompile("shutting down")); err != nil {
		t.Fatalf("no shutdown began: %v", err)
	}
	select {
	case a := <-done:
		t.Fatalf("the register answered (%d) before the gateway did; the test needs it in flight", a.status)
	default:
	}
	a := <-done
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "/subscriptions/") {
		t.Fatalf("the request in flight got %d %q, want 303 to its subscription", a.status, a.location)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v", err)
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pending, success int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE outcome = 'pending'),
		count(*) FILTER (WHERE outcome = 'success' AND operation = 'register') FROM calls`).Scan(&pending, &success); err != nil {
		t.Fatal(err)
	}
	if pending != 0 || success != 1 {
		t.Errorf("after shutdown: %d pending calls and %d successful registers, want 0 and 1", pending, success)
	}
}

// waitForOutput waits until out matches re.
func waitForOutput(ctx context.Context, out *output, re *regexp.Regexp) (string, error) {
	for {
		s, changed := out.snapshot()
		if re.MatchString(s) {
			return s, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
