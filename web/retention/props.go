// Package retention renders the retention page (issue 10 §3): the policy
// per kind of row, the tables' sizes, the latest runs and "Run now".
package retention

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"ccsub/internal/domain"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// PageProps is the retention page's model.
type PageProps struct {
	Shell  layout.Shell
	Policy domain.RetentionPolicy // this process's settings
	Tables []domain.TableSize
	Runs   []domain.RetentionRun // newest first
	// RunKey is the one-time key of the "Run now" form.
	RunKey string
	// Batch and Pause say how a run deletes, for the page's explanation.
	Batch int
	Pause time.Duration
	// RefusedKept is the count bound of refused pushes.
	RefusedKept int
}

// Kinds are the rows of the policy table.
func Kinds() []domain.RetentionKind { return domain.RetentionKinds }

// Setting is the environment variable that sets the kind's window.
func Setting(k domain.RetentionKind) string { return "CCSUB_RETAIN_" + strings.ToUpper(string(k)) }

// Keep is the kind's window in words.
func (p PageProps) Keep(k domain.RetentionKind) string {
	d := p.Policy[k]
	if d <= 0 {
		if k == domain.RetainAudit {
			return "for ever (off)"
		}
		return "for ever"
	}
	return domain.FormatKeep(d)
}

// Kept says what the kind keeps whatever its age.
func (p PageProps) Kept(k domain.RetentionKind) string {
	switch k {
	case domain.RetainCalls:
		return "Pending calls; the register call of every subscription; the newest unregister call of every subscription that is not cancelled."
	case domain.RetainRefusedPushes:
		return "Never more than the newest " + view.Thousands(int64(p.RefusedKept)) + ", whatever their age."
	case domain.RetainAudit:
		return "Deleted only when an administrator sets a window; then from the oldest entry on, never the newest, and verification starts from the hash of the last entry deleted."
	case domain.RetainHeartbeats:
		return "The strip shows the last 24 hours."
	}
	return ""
}

// Kinds of a table, for the sizes table.
func TableKinds(table string) string {
	var labels []string
	for _, k := range domain.RetentionKinds {
		if k.Table() == table {
			labels = append(labels, k.Label())
		}
	}
	if len(labels) == 0 {
		return "the runs themselves"
	}
	return strings.Join(labels, ", ")
}

// Size is a byte count in binary units.
func Size(b int64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatInt(b, 10) + " B"
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

// Rows is PostgreSQL's row estimate in words.
func Rows(n int64) string {
	if n < 0 {
		return "not estimated yet"
	}
	return "≈ " + view.Thousands(n)
}

// Deleted is a run's count for a kind ("—" for a kind it did not handle).
func Deleted(r domain.RetentionRun, k domain.RetentionKind) string {
	n, ok := r.Deleted[k]
	if !ok {
		return "—"
	}
	return view.Thousands(n)
}

// Took is how long a run took, or has taken so far.
func Took(r domain.RetentionRun) string {
	d := r.Duration()
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return d.Round(100 * time.Millisecond).String()
}

// Trigger says what started a run.
func Trigger(r domain.RetentionRun) string {
	switch r.Trigger {
	case domain.RunScheduled:
		return "hourly"
	case domain.RunManual:
		return "Run now"
	case domain.RunCLI:
		return "command line"
	}
	return r.Trigger
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
