package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestHashAndVerify(t *testing.T) {
	encoded, err := Hash("correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %q, want the argon2id PHC prefix with OWASP parameters", encoded)
	}
	tests := []struct {
		name  string
		plain string
		want  bool
	}{
		{"the right password matches", "correct horse battery staple", true},
		{"a wrong password does not match", "correct horse battery stapl3", false},
		{"a different case does not match", "Correct horse battery staple", false},
		{"an empty password does not match", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Verify(encoded, tt.plain)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashUsesAFreshSaltEachTime(t *testing.T) {
	a, err := Hash("the same password twice")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hash("the same password twice")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", a)
	}
}

// phc builds a hash with arbitrary parameters, as an older version of
// ccsub (or another tool) might have stored it.
func phc(plain string, m, tm uint32, p uint8) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(plain), salt, tm, m, p, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestVerifyHonoursTheParametersInTheHash(t *testing.T) {
	old := phc("an older stronger hash", 32768, 3, 2)
	ok, err := Verify(old, "an older stronger hash")
	if err != nil || !ok {
		t.Fatalf("Verify(old params) = %v, %v; want true, nil", ok, err)
	}
	if !NeedsRehash(old) {
		t.Errorf("NeedsRehash(m=32768,t=3,p=2) = false, want true")
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	good := phc("whatever password", 19456, 2, 1)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"an empty string is malformed", ""},
		{"a bcrypt hash is malformed", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i instead of argon2id is malformed", with(1, "argon2i")},
		{"an unknown version is malformed", with(2, "v=16")},
		{"parameters in another order are malformed", with(3, "t=2,m=19456,p=1")},
		{"a gigantic memory cost is refused", with(3, "m=4194304,t=2,p=1")},
		{"zero iterations are refused", with(3, "m=19456,t=0,p=1")},
		{"a salt that is not base64 is malformed", with(4, "not*base64")},
		{"a truncated key is malformed", with(5, "AAAA")},
		{"an extra field is malformed", good + "$extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify(tt.encoded, "whatever password")
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify error = %v, want ErrMalformedHash", err)
			}
			if ok {
				t.Errorf("Verify = true for a malformed hash")
			}
			if tt.encoded != "" && strings.Contains(err.Error(), tt.encoded) {
				t.Errorf("error %q repeats the stored hash", err)
			}
			if !NeedsRehash(tt.encoded) {
				t.Errorf("NeedsRehash = false for a malformed hash")
			}
		})
	}
}

func TestNeedsRehashIsFalseForAFreshHash(t *testing.T) {
	encoded, err := Hash("a brand new password")
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(encoded) {
		t.Errorf("NeedsRehash(%q) = true for a hash made with the current parameters", encoded)
	}
}

// allocated reports how many bytes f allocates: argon2's cost is its
// memory, so equal allocation means equal work without timing anything.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestVerifyDummyDoesTheSameWorkAsVerify(t *testing.T) {
	encoded, err := Hash("somebody's password")
	if err != nil {
		t.Fatal(err)
	}
	verified := allocated(func() { _, _ = Verify(encoded, "a guess at it") })
	dummy := allocated(func() { VerifyDummy("a guess at it") })
	if verified < 19456*1024 {
		t.Fatalf("Verify allocated %d bytes, expected at least the 19 MiB argon2 memory", verified)
	}
	if diff := float64(verified) - float64(dummy); diff > 0.05*float64(verified) || -diff > 0.05*float64(verified) {
		t.Errorf("VerifyDummy allocated %d bytes, Verify %d: more than 5%% apart", dummy, verified)
	}
}

func TestCheckPolicy(t *testing.T) {
	tests := []struct {
		name    string
		plain   string
		wantErr string
	}{
		{"eleven characters are too short", strings.Repeat("a", 11), "too short"},
		{"twelve characters are enough", strings.Repeat("a", 12), ""},
		{"twelve accented letters count as twelve characters", strings.Repeat("é", 12), ""},
		{"eleven accented letters are too short even at 22 bytes", strings.Repeat("é", 11), "too short"},
		{"256 bytes are allowed", strings.Repeat("b", 256), ""},
		{"257 bytes are too long", strings.Repeat("b", 257), "too long"},
		{"a tab is refused", "twelve chars\there", "control characters"},
		{"a newline is refused", "twelve chars\nhere", "control characters"},
		{"spaces are allowed", "a passphrase with spaces", ""},
		{"invalid UTF-8 is refused", "twelve chars \xff\xfe", "not valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPolicy(tt.plain)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckPolicy = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("CheckPolicy = nil, want an error about %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("CheckPolicy = %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
