// Package password hashes and checks console users' passwords with
// argon2id at OWASP's minimum parameters, stored as PHC strings so the
// parameters can be raised later without invalidating existing hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Current parameters (OWASP password storage cheat sheet, argon2id
// minimum: 19 MiB, 2 iterations, 1 lane). Raising them makes NeedsRehash
// report old hashes, which the login handler can then replace.
const (
	memoryKiB  = 19456
	iterations = 2
	threads    = 1
	saltLen    = 16
	keyLen     = 32
)

// Limits on parameters read from a stored hash, so a corrupted or planted
// row cannot make one login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxKeyLen    = 128
	minKeyLen    = 16
	minSaltLen   = 8
	maxSaltLen   = 64
)

// Policy limits. The byte cap bounds hashing work per request; 256 bytes
// leaves room for long passphrases in any script.
const (
	MinChars = 12
	MaxBytes = 256
)

// ErrMalformedHash means a stored hash is not an argon2id PHC string this
// package can verify. It never carries the hash itself.
var ErrMalformedHash = errors.New("malformed argon2id password hash")

// params are the argon2id settings encoded in a hash.
type params struct {
	memory  uint32
	time    uint32
	threads uint8
}

// currentParams are the parameters Hash uses.
func currentParams() params {
	return params{memory: memoryKiB, time: iterations, threads: threads}
}

// Hash returns plain's argon2id hash as a PHC string with a fresh salt.
func Hash(plain string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password.Hash: salt: %w", err)
	}
	key := derive(plain, salt, currentParams(), keyLen)
	return encode(currentParams(), salt, key), nil
}

// Verify reports whether plain matches encoded. A hash that cannot be
// parsed is an error, not a mismatch, so a broken row is noticed.
func Verify(encoded, plain string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, fmt.Errorf("password.Verify: %w", err)
	}
	got := derive(plain, salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends the same time as Verify on a current-parameter hash.
// Call it when the user does not exist, so response time does not reveal
// which usernames are registered.
func VerifyDummy(plain string) {
	var salt [saltLen]byte
	_ = derive(plain, salt[:], currentParams(), keyLen)
}

// NeedsRehash reports whether encoded was made with other parameters than
// Hash uses now (or cannot be parsed), so it should be replaced after the
// next successful login.
func NeedsRehash(encoded string) bool {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return true
	}
	return p != currentParams() || len(salt) != saltLen || len(key) != keyLen
}

// CheckPolicy says in plain words why plain is not acceptable as a new
// password, or returns nil.
func CheckPolicy(plain string) error {
	switch {
	case !utf8.ValidString(plain):
		return errors.New("the password contains characters that are not valid text")
	case len(plain) > MaxBytes:
		return fmt.Errorf("the password is too long: at most %d bytes (about %d letters without accents)", MaxBytes, MaxBytes)
	case utf8.RuneCountInString(plain) < MinChars:
		return fmt.Errorf("the password is too short: use at least %d characters", MinChars)
	case strings.IndexFunc(plain, unicode.IsControl) >= 0:
		return errors.New("the password contains invisible control characters such as tabs or line breaks")
	}
	return nil
}

func derive(plain string, salt []byte, p params, n uint32) []byte {
	return argon2.IDKey([]byte(plain), salt, p.time, p.memory, p.threads, n)
}

func encode(p params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses "$argon2id$v=19$m=…,t=…,p=…$salt$hash" strictly: any
// deviation is ErrMalformedHash.
func decode(encoded string) (params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return params{}, nil, nil, ErrMalformedHash
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return params{}, nil, nil, err
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return params{}, nil, nil, ErrMalformedHash
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}

func parseParams(s string) (params, error) {
	var m, t, p uint32
	var rest string
	n, _ := fmt.Sscanf(s, "m=%d,t=%d,p=%d%s", &m, &t, &p, &rest)
	if n != 3 || fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != s {
		return params{}, ErrMalformedHash
	}
	if m < 8*p || m > maxMemoryKiB || t < 1 || t > maxTime || p < 1 || p > 255 {
		return params{}, ErrMalformedHash
	}
	return params{memory: m, time: t, threads: uint8(p)}, nil
}
