package pgembed

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// process is a running postgres server we started.
type process struct {
	cmd      *exec.Cmd
	out      *logTail
	log      *slog.Logger
	done     chan struct{} // closed when the process has exited
	err      error         // Wait's result; read only after done
	stopping atomic.Bool
}

// launch starts cmd and watches it until it exits. The child gets
// parentDeathSignal (see sysproc_linux.go), which the kernel sends when the
// OS *thread* that forked it exits, not the process. So the child is
// started and waited for from one goroutine locked to its thread for the
// child's whole life; the goroutine never unlocks, so when it returns
// (after the child is gone) the runtime retires that thread.
func launch(cmd *exec.Cmd, log *slog.Logger) (*process, error) {
	p := &process{cmd: cmd, out: newLogTail(log, 30), log: log, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// Bound Wait if a stray descendant keeps the output pipe open.
	cmd.WaitDelay = 5 * time.Second
	started := make(chan error, 1)
	go p.run(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

func (p *process) run(started chan<- error) {
	runtime.LockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.err = p.cmd.Wait()
	close(p.done)
	if !p.stopping.Load() {
		p.log.Error("private PostgreSQL exited unexpectedly", "err", p.err, "log", p.out.String())
	}
}

// exited reports the exit of a process that was not asked to stop.
func (p *process) exited() error {
	return fmt.Errorf("postgres exited (%v); its last messages: %s", p.err, p.out.String())
}

// stop asks for a fast shutdown (SIGINT: roll back open transactions,
// checkpoint, exit) and escalates to immediate shutdown, then SIGKILL, if
// the server does not exit in time.
func (p *process) stop() error {
	if !p.stopping.CompareAndSwap(false, true) {
		<-p.done
		return nil
	}
	select {
	case <-p.done:
		return p.exited()
	default:
	}
	steps := []struct {
		sig  os.Signal
		wait time.Duration
	}{{syscall.SIGINT, time.Minute}, {syscall.SIGQUIT, 10 * time.Second}, {syscall.SIGKILL, 10 * time.Second}}
	for i, s := range steps {
		if err := p.cmd.Process.Signal(s.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("signal postgres: %w", err)
		}
		select {
		case <-p.done:
			if i > 0 {
				return fmt.Errorf("postgres ignored fast shutdown and was stopped with %v", s.sig)
			}
			return nil
		case <-time.After(s.wait):
		}
	}
	return errors.New("postgres did not exit after SIGKILL")
}

// runLocked runs a short-lived command (initdb) on a locked thread so its
// parent-death signal stays armed while it runs, and returns its output.
func runLocked(cmd *exec.Cmd) ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// logTail forwards postgres's output to the logger line by line (debug
// level: it is chatty) and keeps the last lines for error messages.
type logTail struct {
	log     *slog.Logger
	max     int
	mu      sync.Mutex
	partial []byte
	lines   []string
}

func newLogTail(log *slog.Logger, max int) *logTail { return &logTail{log: log, max: max} }

func (t *logTail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, b...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		t.add(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
}

func (t *logTail) add(line string) {
	t.log.Debug("postgres", "line", line)
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// String is the kept lines joined on one line, for an error message.
func (t *logTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := slices.Clone(t.lines)
	if len(t.partial) > 0 {
		lines = append(lines, string(t.partial))
	}
	return strings.Join(lines, " | ")
}
