package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetentionSettings(t *testing.T) {
	defaults := Retention{Calls: 365 * day, Notifications: 90 * day, RefusedPushes: 30 * day,
		Heartbeats: 25 * time.Hour, FailedHandshakes: 90 * day}
	tests := []struct {
		name    string
		env     map[string]string
		want    Retention
		wantErr string
	}{
		{"unset: a year of calls, 90 days of notifications and failed handshakes, 30 of refused pushes, 25 h of heartbeats, the audit trail for ever",
			nil, defaults, ""},
		{"days, Go durations and off", map[string]string{"CCSUB_RETAIN_CALLS": "730d", "CCSUB_RETAIN_NOTIFICATIONS": "off",
			"CCSUB_RETAIN_REFUSED_PUSHES": "36h", "CCSUB_RETAIN_HEARTBEATS": "48h", "CCSUB_RETAIN_FAILED_HANDSHAKES": "OFF"},
			Retention{Calls: 730 * day, RefusedPushes: 36 * time.Hour, Heartbeats: 48 * time.Hour}, ""},
		{"the audit trail is deleted only when set explicitly", map[string]string{"CCSUB_RETAIN_AUDIT": "3650d"},
			Retention{Calls: 365 * day, Notifications: 90 * day, RefusedPushes: 30 * day, Heartbeats: 25 * time.Hour,
				FailedHandshakes: 90 * day, Audit: 3650 * day}, ""},
		{"a number without a unit is refused", map[string]string{"CCSUB_RETAIN_CALLS": "365"}, Retention{},
			`CCSUB_RETAIN_CALLS="365": want a number of days such as 90d, a duration such as 36h, or off`},
		{"a window under a day is refused as a likely wrong unit", map[string]string{"CCSUB_RETAIN_NOTIFICATIONS": "90m"}, Retention{},
			`CCSUB_RETAIN_NOTIFICATIONS="90m": must be at least 1d`},
		{"heartbeats shorter than the strip are refused", map[string]string{"CCSUB_RETAIN_HEARTBEATS": "1d"}, Retention{},
			"must be at least 25h0m0s (the heartbeat strip shows the last 24 hours)"},
		{"an audit window under 30 days is refused", map[string]string{"CCSUB_RETAIN_AUDIT": "7d"}, Retention{},
			"CCSUB_RETAIN_AUDIT=\"7d\": must be at least 30d (the audit trail is evidence)"},
		{"zero and negative days are refused", map[string]string{"CCSUB_RETAIN_FAILED_HANDSHAKES": "0d"}, Retention{},
			"CCSUB_RETAIN_FAILED_HANDSHAKES"},
		{"more than a hundred years is refused", map[string]string{"CCSUB_RETAIN_CALLS": "36501d"}, Retention{},
			"CCSUB_RETAIN_CALLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseWith(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.Retention != tt.want {
				t.Errorf("got %+v, %v; want %+v", c.Retention, err, tt.want)
			}
		})
	}
}

func TestTheLogLineNamesTheRetentionWindows(t *testing.T) {
	c, err := parseWith(map[string]string{"CCSUB_RETAIN_HEARTBEATS": "48h"})
	if err != nil {
		t.Fatal(err)
	}
	want := "retention=\"calls=365d notifications=90d refused_pushes=30d heartbeats=2d failed_handshakes=90d audit=off\""
	if v := c.LogValue().String(); !strings.Contains(v, "calls=365d") || !strings.Contains(v, "heartbeats=2d") || !strings.Contains(v, "audit=off") {
		t.Errorf("log value %q does not show the windows (%s)", v, want)
	}
}
