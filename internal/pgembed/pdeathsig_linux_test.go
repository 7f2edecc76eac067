package pgembed

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestServerStopsWhenCcsubIsKilled runs this test binary as a stand-in for
// ccsub (see helperMain), kills it with SIGKILL, and waits on a pidfd for
// its postmaster, which must exit because of the parent-death signal.
func TestServerStopsWhenCcsubIsKilled(t *testing.T) {
	t.Parallel()
	dataDir := testDataDir(t)
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"="+dataDir)
	var stderr bytes.Buffer
	helper.Stderr = &stderr
	stdin, _ := helper.StdinPipe()
	stdout, _ := helper.StdoutPipe()
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = helper.Process.Kill(); _ = helper.Wait() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = helper.Wait()
		t.Fatalf("helper did not report a postmaster PID: %v; stderr: %s", err, stderr.String())
	}
	var pid int
	var sockDir string
	if _, err := fmt.Sscan(line, &pid, &sockDir); err != nil {
		t.Fatalf("helper said %q: %v", line, err)
	}
	// A killed ccsub cannot remove its socket directory; the test does.
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	defer unix.Close(pidfd)

	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()

	// A pidfd turns readable when the process exits. The Go runtime's
	// signals interrupt poll (EINTR): wait again until the minute is up.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(time.Minute)
	n, err := 0, unix.EINTR
	for err == unix.EINTR && time.Now().Before(deadline) {
		n, err = unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
	}
	if err != nil || n != 1 {
		t.Fatalf("postmaster %d still running a minute after its ccsub was killed (poll: %d, %v)", pid, n, err)
	}

	t.Run("the next start on the same data dir succeeds", func(t *testing.T) {
		if err := connect(t, startServer(t, dataDir, io.Discard)).Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}
