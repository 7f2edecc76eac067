package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// testKey returns a deterministic, distinct 32-byte key as std base64.
func testKey(fill byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, 32))
}

func mustKeys(t *testing.T, s string) *Keyring {
	t.Helper()
	kr, err := ParseKeys(s)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return kr
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustKeys(t, testKey(1))
	tests := []struct {
		name    string
		plain   []byte
		purpose string
	}{
		{"a gateway password comes back unchanged", []byte("Huawei@123"), "gateway-password"},
		{"a service token comes back unchanged", []byte("q1w2e3r4t5y6u7i8o9p0"), "service-token"},
		{"an empty secret comes back empty", []byte{}, "gateway-password"},
		{"non-ASCII text survives", []byte("пароль-密码-🔑"), "gateway-password"},
		{"a long value survives", bytes.Repeat([]byte("x"), 4096), "service-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := kr.Seal(tt.plain, tt.purpose)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if len(tt.plain) > 4 && bytes.Contains(sealed, tt.plain) {
				t.Fatalf("sealed value contains the plaintext")
			}
			got, err := kr.Open(sealed, tt.purpose)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plain) {
				t.Errorf("Open = %q, want %q", got, tt.plain)
			}
			if kr.NeedsRotation(sealed) {
				t.Errorf("NeedsRotation = true for a value sealed with the primary key")
			}
		})
	}
}

func TestSealingTwiceGivesDifferentCiphertexts(t *testing.T) {
	kr := mustKeys(t, testKey(1))
	a, _ := kr.Seal([]byte("same"), "p")
	b, _ := kr.Seal([]byte("same"), "p")
	if bytes.Equal(a, b) {
		t.Errorf("two seals of one value are identical: nonces are not random")
	}
}

func TestSealRefusesAnEmptyPurpose(t *testing.T) {
	if _, err := mustKeys(t, testKey(1)).Seal([]byte("x"), ""); err == nil {
		t.Errorf("Seal with an empty purpose succeeded")
	}
}

func TestOpenRejectsTamperedValues(t *testing.T) {
	kr := mustKeys(t, testKey(1))
	const plain = "TopSecretGatewayPassword"
	sealed, err := kr.Seal([]byte(plain), "gateway-password")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		value   []byte
		purpose string
		want    error
	}{
		{"a changed version byte is refused", flip(0), "gateway-password", ErrCorrupt},
		{"a changed key id is an unknown key", flip(2), "gateway-password", ErrUnknownKey},
		{"a changed nonce is refused", flip(headerSize + 3), "gateway-password", ErrCorrupt},
		{"a changed ciphertext byte is refused", flip(headerSize + nonceSize + 1), "gateway-password", ErrCorrupt},
		{"a changed tag byte is refused", flip(len(sealed) - 1), "gateway-password", ErrCorrupt},
		{"a truncated value is refused", sealed[:len(sealed)-1], "gateway-password", ErrCorrupt},
		{"an empty value is refused", nil, "gateway-password", ErrCorrupt},
		{"plaintext stored by mistake is refused", []byte(plain), "gateway-password", ErrCorrupt},
		{"a value moved to another column is refused", sealed, "service-token", ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kr.Open(tt.value, tt.purpose)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Open returned %q alongside an error", got)
			}
			if strings.Contains(err.Error(), plain) {
				t.Errorf("error %q reveals the plaintext", err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	old := mustKeys(t, k1)
	sealed, err := old.Seal([]byte("rotate me"), "service-token")
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustKeys(t, k2+","+k1)

	t.Run("a keyring with the old key second still opens old values", func(t *testing.T) {
		got, err := rotated.Open(sealed, "service-token")
		if err != nil || string(got) != "rotate me" {
			t.Fatalf("Open = %q, %v", got, err)
		}
	})
	t.Run("old values are reported for re-sealing", func(t *testing.T) {
		if !rotated.NeedsRotation(sealed) {
			t.Errorf("NeedsRotation = false for a value sealed with a non-primary key")
		}
	})
	t.Run("new values use the new primary key", func(t *testing.T) {
		resealed, _ := rotated.Seal([]byte("rotate me"), "service-token")
		if rotated.NeedsRotation(resealed) {
			t.Errorf("NeedsRotation = true right after sealing with the primary")
		}
		if rotated.PrimaryID() == old.PrimaryID() {
			t.Errorf("primary id did not change: %s", rotated.PrimaryID())
		}
	})
	t.Run("a keyring without the old key names the missing key", func(t *testing.T) {
		_, err := mustKeys(t, k2).Open(sealed, "service-token")
		if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), old.PrimaryID()) {
			t.Errorf("Open error = %v, want ErrUnknownKey naming key %s", err, old.PrimaryID())
		}
	})
}

func TestParseKeys(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, 32) // 0xfb makes '+' '/' vs '-' '_' differ
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16))
	tests := []struct {
		name    string
		in      string
		wantErr string // "" means success
		keys    int
	}{
		{"standard padded base64 is accepted", base64.StdEncoding.EncodeToString(raw), "", 1},
		{"standard unpadded base64 is accepted", base64.RawStdEncoding.EncodeToString(raw), "", 1},
		{"URL-safe base64 is accepted", base64.URLEncoding.EncodeToString(raw), "", 1},
		{"URL-safe unpadded base64 is accepted", base64.RawURLEncoding.EncodeToString(raw), "", 1},
		{"spaces and a trailing newline are ignored", " " + testKey(1) + " , " + testKey(2) + "\n", "", 2},
		{"a 16-byte key is refused with its length", short, "decodes to 16 bytes, want 32", 0},
		{"text that is not base64 is refused", "this is not base64!!", "not valid base64", 0},
		{"an empty string is refused", "", "key 1 of 1: empty", 0},
		{"a trailing comma is refused", testKey(1) + ",", "key 2 of 2: empty", 0},
		{"the same key twice is refused", testKey(1) + "," + testKey(1), "listed twice", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := ParseKeys(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseKeys: %v", err)
				}
				if len(kr.keys) != tt.keys {
					t.Errorf("got %d keys, want %d", len(kr.keys), tt.keys)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseKeys error = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(strings.Split(tt.in, ",")[0])) {
				t.Errorf("error %q echoes the key", err)
			}
		})
	}
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	kr := mustKeys(t, testKey(1))
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("loaded", "keyring", kr)
	want := "secret.Keyring{" + kr.PrimaryID() + "}"
	for _, got := range []string{fmt.Sprintf("%v", kr), fmt.Sprintf("%+v", kr), fmt.Sprintf("%#v", kr), fmt.Sprint(kr)} {
		if got != want {
			t.Errorf("formatted keyring = %q, want %q", got, want)
		}
	}
	if !strings.Contains(logged.String(), "keyring="+want) {
		t.Errorf("slog output %q does not show only the key id", logged.String())
	}
}

func TestLoadOrCreate(t *testing.T) {
	t.Run("the first call creates a private key file and later calls reuse it", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		kr1, created, err := LoadOrCreate("", dir)
		if err != nil || !created {
			t.Fatalf("first LoadOrCreate = created %v, err %v; want created", created, err)
		}
		assertMode(t, filepath.Join(dir, KeyFile), 0o600)
		assertMode(t, dir, 0o700|os.ModeDir)
		kr2, created, err := LoadOrCreate("", dir)
		if err != nil || created {
			t.Fatalf("second LoadOrCreate = created %v, err %v; want reuse", created, err)
		}
		if kr1.PrimaryID() != kr2.PrimaryID() {
			t.Errorf("key changed between starts: %s then %s", kr1.PrimaryID(), kr2.PrimaryID())
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".secret.key-*"))
		if len(leftovers) != 0 {
			t.Errorf("temporary files left behind: %v", leftovers)
		}
	})
	t.Run("a key in the environment wins and no file is written", func(t *testing.T) {
		dir := t.TempDir()
		kr, created, err := LoadOrCreate(testKey(9), dir)
		if err != nil || created {
			t.Fatalf("LoadOrCreate = created %v, err %v", created, err)
		}
		if kr.PrimaryID() != mustKeys(t, testKey(9)).PrimaryID() {
			t.Errorf("keyring does not use the environment key")
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a key file was written although CCSUB_SECRET_KEY was set (stat: %v)", err)
		}
	})
	t.Run("a bad environment key is an error that does not echo it", func(t *testing.T) {
		bad := base64.StdEncoding.EncodeToString([]byte("only-twenty-bytes-xx"))
		_, _, err := LoadOrCreate(bad, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "CCSUB_SECRET_KEY") || strings.Contains(err.Error(), bad) {
			t.Errorf("LoadOrCreate error = %v, want one naming CCSUB_SECRET_KEY without the key", err)
		}
	})
	t.Run("a damaged key file is an error that does not echo it", func(t *testing.T) {
		dir := t.TempDir()
		const junk = "c2VjcmV0LWJ1dC10b28tc2hvcnQ="
		if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte(junk), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate("", dir)
		if err == nil || strings.Contains(err.Error(), junk) {
			t.Errorf("LoadOrCreate error = %v, want an error without the file's content", err)
		}
	})
	t.Run("processes starting at once agree on a single key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 16
		ids := make([]string, n)
		createdCount := 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				kr, created, err := LoadOrCreate("", dir)
				if err != nil {
					t.Errorf("LoadOrCreate: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[i] = kr.PrimaryID()
				if created {
					createdCount++
				}
			})
		}
		wg.Wait()
		if createdCount != 1 {
			t.Errorf("%d callers report creating the key, want exactly 1", createdCount)
		}
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("callers got different keys: %v", ids)
			}
		}
	})
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != want {
		t.Errorf("%s mode = %v, want %v", path, st.Mode(), want)
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"an empty secret shows as none", "", "(none)"},
		{"one character is singular", "x", "•••••••• (1 character)"},
		{"a 32-character token shows only its length", strings.Repeat("a", 32), "•••••••• (32 characters)"},
		{"multi-byte characters are counted as characters", "密码密码", "•••••••• (4 characters)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGenerateToken(t *testing.T) {
	a, err := GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateToken()
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(a) {
		t.Errorf("token %q is not 43 base64url characters", a)
	}
	if a == b {
		t.Errorf("two tokens are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Errorf("token decodes to %d bytes (%v), want 32", len(raw), err)
	}
}

func TestResealMovesAValueToThePrimaryKey(t *testing.T) {
	old := mustKeys(t, testKey(1))
	both := mustKeys(t, testKey(2)+","+testKey(1))
	sealed, err := old.Seal([]byte("Huawei@123"), "gateway-password")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a value sealed with the old key needs rotation and does not start with the primary prefix", func(t *testing.T) {
		if !both.NeedsRotation(sealed) || bytes.HasPrefix(sealed, both.PrimaryPrefix()) {
			t.Errorf("NeedsRotation %v, prefix match %v", both.NeedsRotation(sealed), bytes.HasPrefix(sealed, both.PrimaryPrefix()))
		}
	})
	resealed, err := both.Reseal(sealed, "gateway-password")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the resealed value opens with the new key alone", func(t *testing.T) {
		got, err := mustKeys(t, testKey(2)).Open(resealed, "gateway-password")
		if err != nil || string(got) != "Huawei@123" {
			t.Errorf("Open = %q, %v", got, err)
		}
		if both.NeedsRotation(resealed) || !bytes.HasPrefix(resealed, both.PrimaryPrefix()) {
			t.Errorf("the resealed value is not marked as sealed with the primary key")
		}
	})
	t.Run("resealing for another purpose fails without the value in the error", func(t *testing.T) {
		_, err := both.Reseal(sealed, "service-token")
		if !errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), "Huawei") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("the older key ids are listed for removal", func(t *testing.T) {
		if ids := both.OlderIDs(); len(ids) != 1 || ids[0] != old.PrimaryID() {
			t.Errorf("OlderIDs = %v, want [%s]", ids, old.PrimaryID())
		}
	})
}

func TestMaskSealedRevealsNothing(t *testing.T) {
	kr := mustKeys(t, testKey(1))
	short, _ := kr.Seal([]byte("a"), "p")
	long, _ := kr.Seal(bytes.Repeat([]byte("a"), 100), "p")
	if MaskSealed(short) != MaskSealed(long) {
		t.Errorf("the mask differs with the secret's length: %q vs %q", MaskSealed(short), MaskSealed(long))
	}
	if MaskSealed(nil) != "(none)" {
		t.Errorf("MaskSealed(nil) = %q", MaskSealed(nil))
	}
}
