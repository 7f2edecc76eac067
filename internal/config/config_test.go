package config

import (
	"flag"
	"io"
	"strings"
	"testing"

	"ccsub/internal/gateway"
)

func parseWith(env map[string]string) (Config, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Parse(func(k string) string { return env[k] }, fs, nil)
}

func TestGatewayNetworksSetting(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    string // FormatNetworks of the parsed value; "" = defaults (nil)
		wantErr string
	}{
		{"unset means the default private and loopback ranges", "", "", ""},
		{"a list of CIDRs is kept in order", "10.20.0.0/16,203.0.113.0/24", "10.20.0.0/16,203.0.113.0/24", ""},
		{"a malformed entry is refused naming the setting", "10.0.0.0/8,banana", "", "CCSUB_GATEWAY_NETWORKS: entry 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseWith(map[string]string{gateway.NetworksEnv: tt.value})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := gateway.FormatNetworks(c.GatewayNetworks); got != tt.want {
				t.Errorf("networks %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTheLogLineNamesTheGatewayNetworks(t *testing.T) {
	c, err := parseWith(map[string]string{"CCSUB_SECRET_KEY": "c2VjcmV0"})
	if err != nil {
		t.Fatal(err)
	}
	v := c.LogValue().String()
	if !strings.Contains(v, "(default) 10.0.0.0/8") {
		t.Errorf("log value %q does not show the default networks", v)
	}
	if strings.Contains(v, "c2VjcmV0") {
		t.Errorf("log value %q shows the secret key", v)
	}
}

func TestAContainerRefusesToStartWithoutASecretKey(t *testing.T) {
	_, err := parseWith(map[string]string{"CCSUB_REQUIRE_SECRET_KEY": "true"})
	if err == nil || !strings.Contains(err.Error(), "CCSUB_SECRET_KEY must be set") {
		t.Fatalf("err %v, want a refusal naming CCSUB_SECRET_KEY", err)
	}
	if _, err := parseWith(map[string]string{"CCSUB_REQUIRE_SECRET_KEY": "true", "CCSUB_SECRET_KEY": "c2VjcmV0"}); err != nil {
		t.Errorf("with a key: %v", err)
	}
	if _, err := parseWith(map[string]string{}); err != nil {
		t.Errorf("zero configuration: %v", err)
	}
}
