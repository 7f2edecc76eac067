package config

import (
	"strings"
	"testing"
)

func TestMetricsAddrSetting(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    string
		wantErr bool
	}{
		{"unset means no metrics listener", "", "", false},
		{"a loopback host and port is kept", "127.0.0.1:9090", "127.0.0.1:9090", false},
		{"port 0 is accepted so tests can take any free port", "127.0.0.1:0", "127.0.0.1:0", false},
		{"an empty host means every interface", ":9090", ":9090", false},
		{"a bracketed IPv6 address is accepted", "[::1]:9090", "[::1]:9090", false},
		{"a port alone without a colon is refused", "9090", "", true},
		{"a missing port is refused", "127.0.0.1:", "", true},
		{"a named port is refused", "127.0.0.1:http", "", true},
		{"a port above 65535 is refused", "127.0.0.1:70000", "", true},
		{"a URL instead of an address is refused", "http://127.0.0.1:9090/metrics", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseWith(map[string]string{"CCSUB_METRICS_ADDR": tt.value})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "CCSUB_METRICS_ADDR") {
					t.Fatalf("err %v, want a refusal naming CCSUB_METRICS_ADDR", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MetricsAddr != tt.want {
				t.Errorf("MetricsAddr %q, want %q", c.MetricsAddr, tt.want)
			}
		})
	}
}

func TestTheLogLineSaysWhereMetricsAreServed(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"it says off when no address is set", "", "metrics=(off)"},
		{"it names the address when one is set", "127.0.0.1:9090", "metrics=127.0.0.1:9090"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseWith(map[string]string{"CCSUB_METRICS_ADDR": tt.value})
			if err != nil {
				t.Fatal(err)
			}
			if v := c.LogValue().String(); !strings.Contains(v, tt.want) {
				t.Errorf("log value %q does not contain %q", v, tt.want)
			}
		})
	}
}
