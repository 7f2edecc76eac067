package config

import (
	"strings"
	"testing"
	"time"
)

func TestTheReservedPoolAndTheStatementTimeoutAreReadAndChecked(t *testing.T) {
	c, err := parseWith(map[string]string{})
	if err != nil || c.DBReservedConns != DefaultDBReservedConns || c.DBStatementTimeout != DefaultDBStatementTimeout {
		t.Fatalf("unset: %d, %s, %v; want the defaults", c.DBReservedConns, c.DBStatementTimeout, err)
	}
	c, err = parseWith(map[string]string{"CCSUB_DB_RESERVED_CONNS": "8", "CCSUB_DB_STATEMENT_TIMEOUT": "30s"})
	if err != nil || c.DBReservedConns != 8 || c.DBStatementTimeout != 30*time.Second {
		t.Errorf("8 and 30s: got %d, %s, %v", c.DBReservedConns, c.DBStatementTimeout, err)
	}
	for name, bads := range map[string][]string{
		"CCSUB_DB_RESERVED_CONNS":    {"0", "101", "some"},
		"CCSUB_DB_STATEMENT_TIMEOUT": {"5", "10ms", "2h", "-5s", "never"},
	} {
		for _, bad := range bads {
			if _, err := parseWith(map[string]string{name: bad}); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: err %v, want a refusal naming the setting", name, bad, err)
			}
		}
	}
}
