//go:build !linux

package pgembed

import "syscall"

// sysProcAttr: without Linux's parent-death signal a private PostgreSQL
// outlives a ccsub killed with SIGKILL; the next start then reports it as
// still running (macOS development machines only).
func sysProcAttr(acct *account, _ syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: acct.credential(), Setpgid: true}
}

// processesIn cannot look at other processes' directories here; PostgreSQL's
// own postmaster.pid check still applies.
func processesIn(string) ([]int, bool) { return nil, false }
