package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/apptest"
	"ccsub/internal/audit"
	"ccsub/internal/config"
	"ccsub/internal/database"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/secret"
	"ccsub/internal/subscribe"
)

// maybeCrashChild runs, in a child process, a register that never gets its
// answer; the parent kills the child with SIGKILL while the call is pending.
func maybeCrashChild() bool {
	if os.Getenv("CCSUB_CRASH_CHILD") != "1" {
		return false
	}
	ctx := context.Background()
	pool, err := database.Open(ctx, os.Getenv("CCSUB_CRASH_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	keys, _ := secret.ParseKeys(apptest.Key)
	gwID, _ := strconv.ParseInt(os.Getenv("CCSUB_CRASH_GATEWAY"), 10, 64)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(app.Parts{Config: config.Config{GatewayCallTimeout: time.Hour}, Log: log, Pool: pool, Keys: keys})
	_, err = a.Subscribe.Register(ctx, domain.Actor{Name: "crash-child"}, subscribe.RegisterInput{GatewayID: gwID, SubscribeType: "1", CallbackURI: "https://crash.example.com/cc"})
	fmt.Fprintln(os.Stderr, "child was not killed:", err)
	os.Exit(3)
	return true
}

func TestACrashBetweenPendingAndCompletedLeavesAnUnknownCall(t *testing.T) {
	e := newEnv(t)
	e.Sim.Inject(gatewaysim.Fault{Op: "register", Hang: true})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CCSUB_CRASH_CHILD=1", "CCSUB_CRASH_DB="+dbtest.URL(t),
		"CCSUB_CRASH_GATEWAY="+strconv.FormatInt(e.Gw.ID, 10))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Sim.WaitRequests(ctx, "register", 1); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("the child's register never reached the simulator: %v", err)
	}
	_ = cmd.Process.Kill() // the crash: no deferred code, no completion
	_ = cmd.Wait()

	page, err := e.St.ListCalls(ctx, domain.CallFilter{Operation: domain.OpRegister, CallbackContains: "crash.example.com", GatewayID: e.Gw.ID}, domain.PageRequest{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Calls) != 1 || page.Calls[0].Outcome != domain.OutcomePending {
		t.Fatalf("after the crash: %d calls, want 1 pending: %+v", len(page.Calls), page.Calls)
	}
	id := page.Calls[0].ID

	// The restart: a new process recovers calls no one can still be waiting for.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	restarted := subscribe.New(e.St, audit.New(e.St, quiet), gateway.New(gateway.Config{}), e.Keys, quiet,
		subscribe.Options{CallTimeout: time.Second, InterruptedAfter: time.Nanosecond})
	if n, err := restarted.RecoverInterrupted(ctx); err != nil || n < 1 {
		t.Fatalf("RecoverInterrupted = %d, %v; want at least the crashed call", n, err)
	}
	call, err := e.St.Call(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if call.Outcome != domain.OutcomeUnknown || call.Error == "" {
		t.Errorf("after restart the call is %s (%q), want unknown with a reason", call.Outcome, call.Error)
	}
	if call.SubscriptionID == nil {
		t.Fatal("the interrupted register is not listed as a subscription to settle")
	}
	if sub, err := e.St.Subscription(ctx, *call.SubscriptionID); err != nil || sub.State != domain.SubUnknown ||
		sub.CallbackURI != "https://crash.example.com/cc" || sub.ServerID != "" {
		t.Errorf("the interrupted register's subscription = %+v, %v; want state unknown with its callback", sub, err)
	}
	if n, err := restarted.RecoverInterrupted(ctx); err != nil || n != 0 {
		t.Errorf("a second sweep changed %d calls (%v), want none: the sweep is idempotent", n, err)
	}
	if n := len(e.Sim.RequestsFor("register")); n != 1 {
		t.Errorf("simulator saw %d registers, want 1: an unknown register is never retried", n)
	}
	c, _ := e.User(domain.RoleAuditor)
	doc := e.Page(c, "/calls/"+strconv.FormatInt(id, 10), 200)
	if doc.Find(".badge.unknown").Length() == 0 {
		t.Error("the call page does not show the call as unknown")
	}
}
