// Package retention renders the retention page (issue 10 §3): the policy
// per kind of row, the tables' sizes, the latest runs and "Run now".
package retention

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
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

// KindLabel names a kind of row in the language of ctx.
func KindLabel(ctx context.Context, k domain.RetentionKind) string {
	switch k {
	case domain.RetainCalls:
		return i18n.T(ctx, "retention.kind.calls")
	case domain.RetainNotifications:
		return i18n.T(ctx, "retention.kind.notifications")
	case domain.RetainRefusedPushes:
		return i18n.T(ctx, "retention.kind.refused_pushes")
	case domain.RetainHeartbeats:
		return i18n.T(ctx, "retention.kind.heartbeats")
	case domain.RetainFailedHandshakes:
		return i18n.T(ctx, "retention.kind.failed_handshakes")
	case domain.RetainAudit:
		return i18n.T(ctx, "retention.kind.audit")
	}
	return string(k)
}

// Keep is the kind's window in words.
func (p PageProps) Keep(ctx context.Context, k domain.RetentionKind) string {
	d := p.Policy[k]
	if d <= 0 {
		if k == domain.RetainAudit {
			return i18n.T(ctx, "retention.keep.for_ever_off")
		}
		return i18n.T(ctx, "retention.keep.for_ever")
	}
	if d%(24*time.Hour) == 0 {
		return i18n.Tf(ctx, "retention.keep.days", i18n.D{"Days": strconv.FormatInt(int64(d/(24*time.Hour)), 10)})
	}
	return view.Span(ctx, d)
}

// Kept says what the kind keeps whatever its age.
func (p PageProps) Kept(ctx context.Context, k domain.RetentionKind) string {
	switch k {
	case domain.RetainCalls:
		return i18n.T(ctx, "retention.kept.calls")
	case domain.RetainRefusedPushes:
		return i18n.Tf(ctx, "retention.kept.refused_pushes", i18n.D{"N": i18n.Number(ctx, int64(p.RefusedKept))})
	case domain.RetainAudit:
		return i18n.T(ctx, "retention.kept.audit")
	case domain.RetainHeartbeats:
		return i18n.T(ctx, "retention.kept.heartbeats")
	}
	return ""
}

// TableKinds lists the kinds of a table, for the sizes table.
func TableKinds(ctx context.Context, table string) string {
	var labels []string
	for _, k := range domain.RetentionKinds {
		if k.Table() == table {
			labels = append(labels, KindLabel(ctx, k))
		}
	}
	if len(labels) == 0 {
		return i18n.T(ctx, "retention.tables.runs")
	}
	return strings.Join(labels, i18n.T(ctx, "retention.list_separator"))
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
func Rows(ctx context.Context, n int64) string {
	if n < 0 {
		return i18n.T(ctx, "retention.tables.not_estimated")
	}
	return "≈ " + i18n.Number(ctx, n)
}

// Deleted is a run's count for a kind ("—" for a kind it did not handle).
func Deleted(ctx context.Context, r domain.RetentionRun, k domain.RetentionKind) string {
	n, ok := r.Deleted[k]
	if !ok {
		return "—"
	}
	return i18n.Number(ctx, n)
}

// Took is how long a run took, or has taken so far, in the language of ctx.
func Took(ctx context.Context, r domain.RetentionRun) string { return view.Span(ctx, r.Duration()) }

// Trigger says what started a run.
func Trigger(ctx context.Context, r domain.RetentionRun) string {
	switch r.Trigger {
	case domain.RunScheduled:
		return i18n.T(ctx, "retention.trigger.scheduled")
	case domain.RunManual:
		return i18n.T(ctx, "retention.trigger.manual")
	case domain.RunCLI:
		return i18n.T(ctx, "retention.trigger.cli")
	}
	return r.Trigger
}

// StatusLabel is a run's status in words.
func StatusLabel(ctx context.Context, status string) string {
	switch status {
	case domain.RunRunning:
		return i18n.T(ctx, "retention.status.running")
	case domain.RunDone:
		return i18n.T(ctx, "retention.status.done")
	case domain.RunFailed:
		return i18n.T(ctx, "retention.status.failed")
	case domain.RunStopped:
		return i18n.T(ctx, "retention.status.stopped")
	case domain.RunAbandoned:
		return i18n.T(ctx, "retention.status.abandoned")
	}
	return status
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
