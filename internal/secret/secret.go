// Package secret encrypts the secrets ccsub must store (gateway passwords,
// service tokens) with AES-256-GCM, and formats them for display without
// revealing them.
//
// A sealed value is: version (1 byte) | key id (4 bytes) | nonce (12 bytes)
// | ciphertext and tag. The key id says which key sealed it, so several keys
// can be configured at once and the primary can be rotated while older rows
// still open. The header and a purpose string ("gateway-password",
// "service-token") are authenticated as associated data, so a ciphertext
// copied into another column, or with an edited header, fails to open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"
)

const (
	formatV1   = 1
	keySize    = 32
	idSize     = 4
	nonceSize  = 12
	headerSize = 1 + idSize
	overhead   = headerSize + nonceSize + 16 // 16: GCM tag
)

var (
	// ErrUnknownKey means the value was sealed with a key that is not
	// configured: an old key was removed from CCSUB_SECRET_KEY too early,
	// or the database belongs to another installation.
	ErrUnknownKey = errors.New("sealed with a key that is not configured")
	// ErrCorrupt means the value is not a sealed secret, was altered, or
	// was sealed for another purpose.
	ErrCorrupt = errors.New("sealed value is corrupt, altered or meant for another purpose")
)

// Keyring holds one or more AES-256-GCM keys. The first seals; all open.
// It never prints its keys: String and LogValue show only key ids.
type Keyring struct {
	keys []key
}

type key struct {
	id   [idSize]byte
	aead cipher.AEAD
}

// newKey derives the key id from the key with a domain-separated hash, so
// the id can be shown and stored beside ciphertexts without revealing the
// key, and the same key always gets the same id.
func newKey(raw []byte) (key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	sum := sha256.Sum256(append([]byte("ccsub secret key id v1\x00"), raw...))
	var k key
	copy(k.id[:], sum[:idSize])
	k.aead = aead
	return k, nil
}

// PrimaryID is the hex id of the key that seals new values.
func (k *Keyring) PrimaryID() string { return hex.EncodeToString(k.keys[0].id[:]) }

// String lists key ids only, so a Keyring in a log line leaks nothing.
func (k *Keyring) String() string {
	ids := make([]string, len(k.keys))
	for i, kk := range k.keys {
		ids[i] = hex.EncodeToString(kk.id[:])
	}
	return "secret.Keyring{" + strings.Join(ids, ",") + "}"
}

// GoString keeps %#v from dumping the cipher state.
func (k *Keyring) GoString() string { return k.String() }

// LogValue keeps slog from reflecting into the cipher state.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Seal encrypts plain with the primary key, bound to purpose.
func (k *Keyring) Seal(plain []byte, purpose string) ([]byte, error) {
	if purpose == "" {
		return nil, errors.New("secret.Seal: empty purpose")
	}
	primary := k.keys[0]
	out := make([]byte, headerSize+nonceSize, overhead+len(plain))
	out[0] = formatV1
	copy(out[1:headerSize], primary.id[:])
	if _, err := rand.Read(out[headerSize:]); err != nil {
		return nil, fmt.Errorf("secret.Seal: nonce: %w", err)
	}
	nonce := out[headerSize:]
	return primary.aead.Seal(out, nonce, plain, aad(out[:headerSize], purpose)), nil
}

// Open decrypts a value from Seal with the same purpose. Errors wrap
// ErrUnknownKey or ErrCorrupt and never contain the value.
func (k *Keyring) Open(sealed []byte, purpose string) ([]byte, error) {
	if len(sealed) < overhead || sealed[0] != formatV1 {
		return nil, fmt.Errorf("secret.Open(%s): %w", purpose, ErrCorrupt)
	}
	kk, ok := k.find(sealed[1:headerSize])
	if !ok {
		return nil, fmt.Errorf("secret.Open(%s): key %s: %w", purpose, hex.EncodeToString(sealed[1:headerSize]), ErrUnknownKey)
	}
	nonce := sealed[headerSize : headerSize+nonceSize]
	plain, err := kk.aead.Open(nil, nonce, sealed[headerSize+nonceSize:], aad(sealed[:headerSize], purpose))
	if err != nil {
		return nil, fmt.Errorf("secret.Open(%s): %w", purpose, ErrCorrupt)
	}
	return plain, nil
}

// NeedsRotation reports whether sealed was made with a key other than the
// primary, so a background job can re-seal it before the old key is retired.
func (k *Keyring) NeedsRotation(sealed []byte) bool {
	if len(sealed) < headerSize {
		return false
	}
	return string(sealed[1:headerSize]) != string(k.keys[0].id[:])
}

func (k *Keyring) find(id []byte) (key, bool) {
	for _, kk := range k.keys {
		if string(kk.id[:]) == string(id) {
			return kk, true
		}
	}
	return key{}, false
}

func aad(header []byte, purpose string) []byte {
	return append(append([]byte(nil), header...), purpose...)
}

// Mask shows that a secret is set, and how long it is, without revealing
// any of its characters.
func Mask(s string) string {
	n := utf8.RuneCountInString(s)
	switch n {
	case 0:
		return "(none)"
	case 1:
		return "•••••••• (1 character)"
	}
	return fmt.Sprintf("•••••••• (%d characters)", n)
}

// GenerateToken returns 32 random bytes as unpadded base64url: 43
// characters, all safe in an HTTP header or URL.
func GenerateToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("secret.GenerateToken: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Reseal opens sealed with whichever configured key made it and seals it
// again with the primary key, for key rotation. The plaintext exists only
// inside this call and is overwritten before returning.
func (k *Keyring) Reseal(sealed []byte, purpose string) ([]byte, error) {
	plain, err := k.Open(sealed, purpose)
	if err != nil {
		return nil, fmt.Errorf("secret.Reseal: %w", err)
	}
	defer clear(plain)
	out, err := k.Seal(plain, purpose)
	if err != nil {
		return nil, fmt.Errorf("secret.Reseal: %w", err)
	}
	return out, nil
}

// PrimaryPrefix is how every value sealed by the primary key begins
// (format version and key id), so a database can select the values that
// still need rotation without opening them.
func (k *Keyring) PrimaryPrefix() []byte {
	return append([]byte{formatV1}, k.keys[0].id[:]...)
}

// OlderIDs lists the hex ids of the keys after the primary: the ones that
// can be removed once every value is resealed.
func (k *Keyring) OlderIDs() []string {
	var ids []string
	for _, kk := range k.keys[1:] {
		ids = append(ids, hex.EncodeToString(kk.id[:]))
	}
	return ids
}

// MaskSealed is the display of a stored secret that is not opened: whether
// one is set, never its length or characters.
func MaskSealed(sealed []byte) string {
	if len(sealed) == 0 {
		return "(none)"
	}
	return "•••••••• (set, encrypted)"
}
