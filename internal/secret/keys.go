package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the name of the generated key inside ccsub's data dir.
const KeyFile = "secret.key"

// ParseKeys reads CCSUB_SECRET_KEY: comma-separated base64 (standard or
// URL alphabet, padded or not) 32-byte keys; the first seals. Errors say
// which key is wrong and why, but never repeat any of it.
func ParseKeys(s string) (*Keyring, error) {
	parts := strings.Split(s, ",")
	kr := &Keyring{}
	for i, p := range parts {
		k, err := parseKey(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("secret.ParseKeys: key %d of %d: %w", i+1, len(parts), err)
		}
		if _, dup := kr.find(k.id[:]); dup {
			return nil, fmt.Errorf("secret.ParseKeys: key %d of %d is listed twice", i+1, len(parts))
		}
		kr.keys = append(kr.keys, k)
	}
	return kr, nil
}

func parseKey(s string) (key, error) {
	if s == "" {
		return key{}, errors.New("empty (generate one with: openssl rand -base64 32)")
	}
	raw, err := decodeBase64(s)
	if err != nil {
		return key{}, errors.New("not valid base64 (generate one with: openssl rand -base64 32)")
	}
	if len(raw) != keySize {
		return key{}, fmt.Errorf("decodes to %d bytes, want %d (generate one with: openssl rand -base64 32)", len(raw), keySize)
	}
	return newKey(raw)
}

// decodeBase64 accepts both alphabets, with or without padding, because
// keys get pasted from openssl, Go programs and URL-safe generators.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if raw, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return raw, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// LoadOrCreate returns the keyring from env (CCSUB_SECRET_KEY) when set.
// Otherwise it reads dataDir/secret.key, generating it on first use; created
// reports that a new key was written, which the caller should log so the
// operator knows to back it up.
func LoadOrCreate(env string, dataDir string) (kr *Keyring, created bool, err error) {
	if env != "" {
		kr, err := ParseKeys(env)
		if err != nil {
			return nil, false, fmt.Errorf("secret.LoadOrCreate: CCSUB_SECRET_KEY: %w", err)
		}
		return kr, false, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("secret.LoadOrCreate: %w", err)
	}
	created, err = createKeyFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("secret.LoadOrCreate: %w", err)
	}
	kr, err = readKeyFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("secret.LoadOrCreate: %w", err)
	}
	return kr, created, nil
}

func readKeyFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kr, err := ParseKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kr, nil
}

// createKeyFile writes a new random key to path unless it exists. The key
// is written and synced under a temporary name and then hard-linked into
// place: the link fails if another process got there first, and nobody can
// ever read a half-written key file.
func createKeyFile(path string) (bool, error) {
	if _, err := os.Stat(path); err == nil {
		return false, nil
	}
	tmp, err := writeTempKey(filepath.Dir(path))
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	return true, syncDir(filepath.Dir(path))
}

func writeTempKey(dir string) (string, error) {
	var raw [keySize]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	// CreateTemp opens with O_EXCL and mode 0600.
	f, err := os.CreateTemp(dir, ".secret.key-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(raw[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("write key: %w", err)
	}
	return f.Name(), nil
}

// syncDir makes the new directory entry durable, so a crash right after
// the first start cannot lose the key that already sealed secrets.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
