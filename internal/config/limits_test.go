package config

import (
	"strings"
	"testing"
)

func TestRateLimitSettings(t *testing.T) {
	type limits struct {
		apiRate   float64
		apiBurst  int
		pushRate  float64
		pushBurst int
	}
	defaults := limits{DefaultAPIRate, DefaultAPIBurst, DefaultPushRefusedRate, DefaultPushRefusedBurst}
	tests := []struct {
		name    string
		env     map[string]string
		want    limits
		wantErr string
	}{
		{"unset means 20/s burst 40 per token and 1/s burst 20 per receiver key and address", nil, defaults, ""},
		{"every one can be set, a rate as a fraction too",
			map[string]string{"CCSUB_API_RATE": "5", "CCSUB_API_BURST": "10", "CCSUB_PUSH_REFUSED_RATE": "0.5", "CCSUB_PUSH_REFUSED_BURST": "3"},
			limits{5, 10, 0.5, 3}, ""},
		{"a rate of 0 is refused: a limit cannot be switched off", map[string]string{"CCSUB_API_RATE": "0"}, limits{}, "CCSUB_API_RATE"},
		{"a rate that is not a number is refused", map[string]string{"CCSUB_PUSH_REFUSED_RATE": "5/s"}, limits{}, "CCSUB_PUSH_REFUSED_RATE=\"5/s\""},
		{"NaN is refused", map[string]string{"CCSUB_API_RATE": "NaN"}, limits{}, "CCSUB_API_RATE"},
		{"a burst of 0 is refused", map[string]string{"CCSUB_PUSH_REFUSED_BURST": "0"}, limits{}, "CCSUB_PUSH_REFUSED_BURST"},
		{"a fractional burst is refused", map[string]string{"CCSUB_API_BURST": "1.5"}, limits{}, "want a whole number from 1 to 100000"},
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
			got := limits{c.APIRate, c.APIBurst, c.PushRefusedRate, c.PushRefusedBurst}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestTheLogLineNamesTheRateLimits(t *testing.T) {
	c, err := parseWith(map[string]string{"CCSUB_PUSH_REFUSED_RATE": "0.5"})
	if err != nil {
		t.Fatal(err)
	}
	v := c.LogValue().String()
	for _, want := range []string{"api_rate=20/s, burst 40", "push_refused_rate=0.5/s, burst 20"} {
		if !strings.Contains(v, want) {
			t.Errorf("log value %q does not show %q", v, want)
		}
	}
	if v := (Config{}).LogValue().String(); !strings.Contains(v, "api_rate=(off)") {
		t.Errorf("a Config built in code: log value %q, want the limits shown as off", v)
	}
}
