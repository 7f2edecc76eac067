package config

import (
	"flag"
	"io"
	"strings"
	"testing"
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
			c, err := parseWith(map[string]string{networksEnv: tt.value})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := formatNetworks(c.GatewayNetworks); got != tt.want {
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
	if !strings.Contains(v, "(default) private ranges and loopback") {
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

func TestParseNetworks(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"an empty setting means the defaults", "", "", ""},
		{"a list of CIDRs is read in order", "10.20.0.0/16, 192.168.5.0/24", "10.20.0.0/16,192.168.5.0/24", ""},
		{"a bare address means that one host", "203.0.113.7", "203.0.113.7/32", ""},
		{"a bare IPv6 address means that one host", "2001:db8::1", "2001:db8::1/128", ""},
		{"a CIDR with host bits is refused with the fix", "10.1.2.3/8", "", "did you mean 10.0.0.0/8"},
		{"a host name is refused", "gateway.example.com", "", "want a CIDR"},
		{"an extra comma is refused", "10.0.0.0/8,", "", "entry 2"},
		{"a bad prefix length is refused", "10.0.0.0/33", "", "want a CIDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNetworks(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := formatNetworks(got); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

func TestThePoolSizeIsReadAndChecked(t *testing.T) {
	c, err := parseWith(map[string]string{})
	if err != nil || c.DBMaxConns != DefaultDBMaxConns {
		t.Fatalf("unset: %d, %v; want the default %d", c.DBMaxConns, err, DefaultDBMaxConns)
	}
	if c, err := parseWith(map[string]string{"CCSUB_DB_MAX_CONNS": "40"}); err != nil || c.DBMaxConns != 40 {
		t.Errorf("40: got %d, %v", c.DBMaxConns, err)
	}
	for _, bad := range []string{"1", "1001", "many", "-5"} {
		if _, err := parseWith(map[string]string{"CCSUB_DB_MAX_CONNS": bad}); err == nil || !strings.Contains(err.Error(), "CCSUB_DB_MAX_CONNS") {
			t.Errorf("%q: err %v, want a refusal naming the setting", bad, err)
		}
	}
}
