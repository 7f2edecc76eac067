package keepalive_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/dbtest"
	"ccsub/internal/keepalive"
	"ccsub/internal/secret"
)

// runChildEngine runs, in a child process of the test binary, one engine
// on the test's database until SIGTERM (a graceful stop, exit 0) or
// SIGKILL (a crash: no cleanup at all).
func runChildEngine() bool {
	if os.Getenv("KEEPALIVE_CHILD") != "1" {
		return false
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	pool, err := database.Open(ctx, os.Getenv("KEEPALIVE_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child engine:", err)
		os.Exit(2)
	}
	keys, _ := secret.ParseKeys(testKey)
	a := newApp(pool, keys)
	cfg := fastConfig(os.Getenv("KEEPALIVE_OWNER"))
	if os.Getenv("KEEPALIVE_BENCH") == "1" {
		cfg = benchConfig(cfg.Owner)
	}
	if g, err := time.ParseDuration(os.Getenv("KEEPALIVE_GRACE")); err == nil {
		cfg.Grace = g
	}
	if d, err := time.ParseDuration(os.Getenv("KEEPALIVE_CALL_TIMEOUT")); err == nil {
		cfg.CallTimeout, cfg.Lease = d, 2*d
	}
	if err := keepalive.New(a.Store, a.Subscribe, cfg).Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child engine:", err)
		os.Exit(3)
	}
	pool.Close()
	os.Exit(0)
	return true
}

// child is an engine in another process.
type child struct {
	cmd   *exec.Cmd
	owner string
}

// startChild starts an engine in a child process; grace and callTimeout
// "" keep the values of fastConfig.
func startChild(t testing.TB, owner, grace, callTimeout string, extraEnv ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KEEPALIVE_CHILD=1", "KEEPALIVE_DB="+dbtest.URL(t),
		"KEEPALIVE_OWNER="+owner, "KEEPALIVE_GRACE="+grace, "KEEPALIVE_CALL_TIMEOUT="+callTimeout)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, owner: owner}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c
}

// kill ends the child with SIGKILL: its leases stay behind.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

// terminate sends SIGTERM and waits for the child to exit, which it must do
// cleanly.
func (c *child) terminate(t testing.TB) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("the engine did not exit cleanly on SIGTERM: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
