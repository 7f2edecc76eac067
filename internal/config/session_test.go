package config

import (
	"strings"
	"testing"
	"time"
)

func TestSessionLifetimeSettings(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		maxAge, idle  time.Duration
		wantErrSubstr string
	}{
		{"unset means 12 hours at most and 30 minutes idle", nil, 12 * time.Hour, 30 * time.Minute, ""},
		{"both can be set", map[string]string{"CCSUB_SESSION_MAX_AGE": "8h", "CCSUB_SESSION_IDLE": "10m"}, 8 * time.Hour, 10 * time.Minute, ""},
		{"an idle limit that is not a duration is refused naming it", map[string]string{"CCSUB_SESSION_IDLE": "30"}, 0, 0, "CCSUB_SESSION_IDLE"},
		{"a negative idle limit is refused", map[string]string{"CCSUB_SESSION_IDLE": "-5m"}, 0, 0, "positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseWith(tt.env)
			if tt.wantErrSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstr) {
					t.Fatalf("err %v, want it to contain %q", err, tt.wantErrSubstr)
				}
				return
			}
			if err != nil || c.SessionMaxAge != tt.maxAge || c.SessionIdle != tt.idle {
				t.Errorf("max age %s, idle %s, %v; want %s and %s", c.SessionMaxAge, c.SessionIdle, err, tt.maxAge, tt.idle)
			}
		})
	}
}
