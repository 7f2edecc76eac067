package apitoken_test

import (
	"strings"
	"testing"
	"time"

	"ccsub/internal/apitoken"
)

func TestGenerate(t *testing.T) {
	a, err := apitoken.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := apitoken.Generate()
	t.Run("two tokens differ", func(t *testing.T) {
		if a.Plain == b.Plain || string(a.Hash) == string(b.Hash) {
			t.Fatal("two generated tokens are equal")
		}
	})
	t.Run("a token is well formed and carries 256 bits", func(t *testing.T) {
		if !apitoken.WellFormed(a.Plain) || len(a.Plain) != len("ccsub_")+43 {
			t.Fatalf("token %d chars, well formed %v", len(a.Plain), apitoken.WellFormed(a.Plain))
		}
	})
	t.Run("the listed prefix is a short start of the token", func(t *testing.T) {
		if !strings.HasPrefix(a.Plain, a.Prefix) || len(a.Prefix) > 12 {
			t.Fatalf("prefix %q", a.Prefix)
		}
	})
	t.Run("the hash is the stored form", func(t *testing.T) {
		if string(apitoken.Hash(a.Plain)) != string(a.Hash) || len(a.Hash) != 32 {
			t.Fatal("hash differs from the issued hash")
		}
	})
}

func TestWellFormed(t *testing.T) {
	good, _ := apitoken.Generate()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"a generated token is accepted", good.Plain, true},
		{"an empty string is refused", "", false},
		{"a token without its prefix is refused", strings.TrimPrefix(good.Plain, "ccsub_"), false},
		{"a truncated token is refused", good.Plain[:len(good.Plain)-1], false},
		{"a token with a character outside base64url is refused", good.Plain[:len(good.Plain)-1] + "+", false},
		{"an overlong token is refused", good.Plain + "A", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apitoken.WellFormed(tt.in); got != tt.want {
				t.Fatalf("WellFormed(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		wantBad bool
	}{
		{"a plain name is fine", apitoken.CheckName("CRM provisioning"), false},
		{"an empty name is refused", apitoken.CheckName(""), true},
		{"a 65-character name is refused", apitoken.CheckName(strings.Repeat("a", 65)), true},
		{"a name with a zero-width space is refused", apitoken.CheckName("crm\u200bbot"), true},
		{"a name with a newline is refused", apitoken.CheckName("crm\nbot"), true},
		{"one day is allowed", apitoken.CheckDays(1), false},
		{"365 days are allowed", apitoken.CheckDays(365), false},
		{"zero days are refused", apitoken.CheckDays(0), true},
		{"366 days are refused", apitoken.CheckDays(366), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.msg != "") != tt.wantBad {
				t.Fatalf("message %q", tt.msg)
			}
		})
	}
	t.Run("a token expires after its lifetime in days", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if got := apitoken.Expiry(now, 30); !got.Equal(now.AddDate(0, 0, 30)) {
			t.Fatalf("expiry %v", got)
		}
	})
}
