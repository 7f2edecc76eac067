package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention is how long each kind of row is kept before the background
// retention run deletes it (CCSUB_RETAIN_*). Zero keeps the kind for
// ever: the audit trail by default, and every kind in a Config built in
// code. Parse sets the defaults.
type Retention struct {
	Calls            time.Duration // gateway calls and state changes in the history
	Notifications    time.Duration // accepted pushes
	RefusedPushes    time.Duration // refused pushes (also capped at the newest 100,000)
	Heartbeats       time.Duration // 5-minute buckets of the heartbeat strip
	FailedHandshakes time.Duration // history rows of failed handshakes
	Audit            time.Duration // the audit trail: 0 (kept for ever) unless set
}

const day = 24 * time.Hour

// Default windows (see README's settings table).
const (
	DefaultRetainCalls            = 365 * day
	DefaultRetainNotifications    = 90 * day
	DefaultRetainRefusedPushes    = 30 * day
	DefaultRetainHeartbeats       = 25 * time.Hour // the strip shows 24 hours
	DefaultRetainFailedHandshakes = 90 * day
)

// retainMax bounds every window (a longer one is "off").
const retainMax = 36500 * day

// envRetention reads the windows, defaulting each one that is unset.
func (c *Config) envRetention(getenv Getenv) []error {
	var errs []error
	keep := func(name string, def, least time.Duration, why string, dst *time.Duration) {
		*dst = def
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		d, err := ParseKeep(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s=%q: want a number of days such as 90d, a duration such as 36h, or off to keep these rows for ever", name, v))
		case d != 0 && d < least:
			errs = append(errs, fmt.Errorf("%s=%q: must be at least %s (%s), or off", name, v, formatKeep(least), why))
		case d > retainMax:
			errs = append(errs, fmt.Errorf("%s=%q: must be at most %s, or off", name, v, formatKeep(retainMax)))
		default:
			*dst = d
		}
	}
	const aDay = "shorter is most likely a mistaken unit"
	keep("CCSUB_RETAIN_CALLS", DefaultRetainCalls, day, aDay, &c.Retention.Calls)
	keep("CCSUB_RETAIN_NOTIFICATIONS", DefaultRetainNotifications, day, aDay, &c.Retention.Notifications)
	keep("CCSUB_RETAIN_REFUSED_PUSHES", DefaultRetainRefusedPushes, day, aDay, &c.Retention.RefusedPushes)
	keep("CCSUB_RETAIN_HEARTBEATS", DefaultRetainHeartbeats, 25*time.Hour, "the heartbeat strip shows the last 24 hours", &c.Retention.Heartbeats)
	keep("CCSUB_RETAIN_FAILED_HANDSHAKES", DefaultRetainFailedHandshakes, day, aDay, &c.Retention.FailedHandshakes)
	keep("CCSUB_RETAIN_AUDIT", 0, 30*day, "the audit trail is evidence", &c.Retention.Audit)
	return errs
}

// ParseKeep reads a retention window: "off" (0: kept for ever), whole
// days ("90d"), or a positive Go duration ("36h").
func ParseKeep(v string) (time.Duration, error) {
	if strings.EqualFold(v, "off") {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days <= 0 || days > int64(retainMax/day) {
			return 0, fmt.Errorf("%q is not a whole number of days from 1 to %d", v, retainMax/day)
		}
		return time.Duration(days) * day, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", v)
	}
	return d, nil
}

// formatKeep writes a window as the settings take it.
func formatKeep(d time.Duration) string {
	switch {
	case d <= 0:
		return "off"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// retentionLog is the log line's summary of the windows.
func (r Retention) retentionLog() string {
	return fmt.Sprintf("calls=%s notifications=%s refused_pushes=%s heartbeats=%s failed_handshakes=%s audit=%s",
		formatKeep(r.Calls), formatKeep(r.Notifications), formatKeep(r.RefusedPushes), formatKeep(r.Heartbeats),
		formatKeep(r.FailedHandshakes), formatKeep(r.Audit))
}
