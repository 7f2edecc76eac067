package domain

import (
	"strconv"
	"time"
)

// RetentionKind is a kind of row that retention deletes once it is older
// than its window (issue 10 §3).
type RetentionKind string

const (
	// RetainCalls are the history's gateway calls and state changes:
	// every row of calls but failed handshakes.
	RetainCalls RetentionKind = "calls"
	// RetainNotifications are accepted pushes (refused ones are
	// RetainRefusedPushes).
	RetainNotifications RetentionKind = "notifications"
	RetainRefusedPushes RetentionKind = "refused_pushes"
	// RetainHeartbeats are the 5-minute buckets of the heartbeat strip.
	RetainHeartbeats RetentionKind = "heartbeats"
	// RetainFailedHandshakes are the history rows of failed handshakes
	// (successful ones are never rows).
	RetainFailedHandshakes RetentionKind = "failed_handshakes"
	// RetainAudit is the audit trail: kept for ever unless an
	// administrator sets a window.
	RetainAudit RetentionKind = "audit"
)

// RetentionKinds lists every kind in the order a run handles them and the
// pages list them.
var RetentionKinds = []RetentionKind{
	RetainHeartbeats, RetainRefusedPushes, RetainFailedHandshakes, RetainNotifications, RetainCalls, RetainAudit,
}

// Label is the kind in words, for pages and the command line.
func (k RetentionKind) Label() string {
	switch k {
	case RetainCalls:
		return "Calls (history)"
	case RetainNotifications:
		return "Notifications (accepted pushes)"
	case RetainRefusedPushes:
		return "Refused pushes"
	case RetainHeartbeats:
		return "Heartbeats"
	case RetainFailedHandshakes:
		return "Failed handshakes"
	case RetainAudit:
		return "Audit trail"
	}
	return string(k)
}

// Table is the table that holds the kind's rows.
func (k RetentionKind) Table() string {
	switch k {
	case RetainCalls, RetainFailedHandshakes:
		return "calls"
	case RetainNotifications, RetainRefusedPushes:
		return "notifications"
	case RetainHeartbeats:
		return "heartbeats"
	case RetainAudit:
		return "audit_log"
	}
	return ""
}

// RetentionPolicy is how long each kind is kept; a kind that is absent or
// zero is kept for ever.
type RetentionPolicy map[RetentionKind]time.Duration

// FormatKeep writes a window the way the settings take it: "365d" for
// whole days, a Go duration otherwise, "for ever" for none.
func FormatKeep(d time.Duration) string {
	switch {
	case d <= 0:
		return "for ever"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// Retention run statuses.
const (
	RunRunning   = "running"
	RunDone      = "done"
	RunFailed    = "failed"    // a statement failed; what was deleted before stays deleted
	RunStopped   = "stopped"   // the process shut down during the run
	RunAbandoned = "abandoned" // its process stopped reporting progress (it died)
)

// What started a retention run.
const (
	RunScheduled = "schedule" // the hourly run of a serving console
	RunManual    = "manual"   // an administrator's "Run now"
	RunCLI       = "cli"      // ccsub retention run
)

// RetentionRun is one application of the retention policy: what it
// applied, what it deleted, and how it ended.
type RetentionRun struct {
	ID         int64
	StartedAt  time.Time
	ProgressAt time.Time // the last time the run reported progress
	FinishedAt *time.Time
	Trigger    string
	Actor      string
	Status     string
	Policy     RetentionPolicy
	Deleted    map[RetentionKind]int64
	Error      string
}

// Duration is how long the run took, or has taken so far.
func (r RetentionRun) Duration() time.Duration {
	if r.FinishedAt != nil {
		return r.FinishedAt.Sub(r.StartedAt)
	}
	return r.ProgressAt.Sub(r.StartedAt)
}

// Total is the number of rows the run deleted, all kinds together.
func (r RetentionRun) Total() int64 {
	var n int64
	for _, d := range r.Deleted {
		n += d
	}
	return n
}

// NewRetentionRun is a run to claim.
type NewRetentionRun struct {
	Trigger string
	Actor   string
	// FormKey is the one-time key of the form that asked for the run: a
	// second submit of the same form finds the first run.
	FormKey string
	Policy  RetentionPolicy
	// NotWithin, when set, claims nothing if any run started less than
	// this long ago: several serving processes share one hourly run.
	NotWithin time.Duration
	// StaleAfter is how long a run may go without reporting progress
	// before it counts as abandoned and another may start.
	StaleAfter time.Duration
}

// TableSize is a table's size on disk (with its indexes and TOAST) and
// PostgreSQL's estimate of its rows (-1: not estimated yet).
type TableSize struct {
	Table string
	Bytes int64
	Rows  int64
}
