package pgembed

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// sysProcAttr runs a child as acct, in its own process group (a Ctrl-C in
// the terminal reaches ccsub, which then stops PostgreSQL in order, instead
// of both at once), and with a parent-death signal so it does not outlive
// ccsub even when ccsub is killed with SIGKILL.
func sysProcAttr(acct *account, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: acct.credential(), Setpgid: true, Pdeathsig: deathSig}
}

// processesIn lists the processes whose working directory is dir. The
// postmaster and every backend chdir into their data directory, so this
// finds a server on dir even when its postmaster.pid is missing or stale.
// ok is false when /proc cannot answer.
func processesIn(dir string) (pids []int, ok bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			pids = append(pids, pid)
		}
	}
	return pids, true
}
