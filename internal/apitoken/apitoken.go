// Package apitoken issues and recognises ccsub's API tokens: 256-bit random
// secrets with a recognisable prefix, stored only as their SHA-256.
package apitoken

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Prefix starts every token, so a leaked one is recognisable by secret
// scanners and in logs.
const Prefix = "ccsub_"

// Limits of an issued token.
const (
	MinDays   = 1
	MaxDays   = 365
	MaxName   = 64
	shownLen  = len(Prefix) + 6 // characters kept as the listed prefix
	randBytes = 32
)

// encodedLen is the length of a well-formed token.
var encodedLen = len(Prefix) + base64.RawURLEncoding.EncodedLen(randBytes)

// Issued is a freshly generated token: Plain is shown once and never stored.
type Issued struct {
	Plain  string
	Hash   []byte
	Prefix string
}

// Generate makes a new token from 256 random bits.
func Generate() (Issued, error) {
	var b [randBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Issued{}, fmt.Errorf("apitoken.Generate: %w", err)
	}
	plain := Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return Issued{Plain: plain, Hash: Hash(plain), Prefix: plain[:shownLen]}, nil
}

// Hash is what the database keeps and looks tokens up by. A fast hash is
// enough: the input has 256 bits of entropy, so it cannot be guessed.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// WellFormed reports whether s has the shape of a token, so garbage is
// refused without a database round trip.
func WellFormed(s string) bool {
	if len(s) != encodedLen || !strings.HasPrefix(s, Prefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(Prefix):])
	return err == nil
}

// CheckName returns a message when name is not a usable token name, or "".
func CheckName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case !utf8.ValidString(name):
		return "Contains invalid UTF-8."
	case n == 0:
		return "Enter a name that says what the token is for, for example \"CRM provisioning script\"."
	case n > MaxName:
		return fmt.Sprintf("At most %d characters; this one has %d.", MaxName, n)
	}
	for _, r := range name {
		// Format characters (zero-width, bidi) make two names look alike.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("Contains an invisible or control character (U+%04X).", r)
		}
	}
	return ""
}

// CheckDays returns a message when days is not an allowed lifetime, or "".
func CheckDays(days int) string {
	if days < MinDays || days > MaxDays {
		return fmt.Sprintf("Choose a lifetime from %d to %d days.", MinDays, MaxDays)
	}
	return ""
}

// Expiry is when a token issued at now with the given lifetime expires.
func Expiry(now time.Time, days int) time.Time { return now.Add(time.Duration(days) * 24 * time.Hour) }
