// Package crypt keeps what EaaPL stores in Temporal and on Kafka unreadable without its keys: AES-256-GCM
// payload encryption as a Temporal PayloadCodec, the key file it reads, and the codec server through which
// the Web UI and the temporal CLI show decoded payloads.
package crypt

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"time"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// keyIDPattern is what a key ID may look like: it is written into every payload's metadata.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Keys are the payload keys of one key file: every key decrypts, the newest (the file's last line) encrypts.
type Keys struct {
	aeads   map[string]cipher.AEAD
	values  map[string]cipher.AEAD // for event values: see valueAEAD
	raw     map[string][]byte
	current string
}

// CurrentID is the ID of the key that encrypts.
func (k *Keys) CurrentID() string { return k.current }

// LoadKeyFile reads a key file: one key a line as `id:base64key`, a 32-byte key in standard base64; blank
// lines and lines starting with # are ignored. The last key encrypts; all of them decrypt, so a key is
// rotated by appending a new line and removed only once nothing it encrypted is still needed. A file that
// anyone but its owner may read or write is refused: the keys are the only thing between a reader of the
// Temporal database and the data in it.
func LoadKeyFile(path string) (*Keys, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %04o: others may read it; make it 0600 (chmod 600 %s)", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	keys, err := ParseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return keys, nil
}

// ParseKeys parses a key file's text (see LoadKeyFile). The errors name the line, never the key.
func ParseKeys(data []byte) (*Keys, error) {
	k := &Keys{aeads: map[string]cipher.AEAD{}, values: map[string]cipher.AEAD{}, raw: map[string][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, b64, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d is not `id:base64key`", n)
		}
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("line %d: key ID %q must be letters, digits, '.', '_' or '-' (at most 64)", n, id)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("line %d: key ID %q appears twice", n, id)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("line %d: key %q is not base64", n, id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("line %d: key %q has %d bytes; an AES-256 key has %d", n, id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("line %d: key %q: %w", n, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("line %d: key %q: %w", n, id, err)
		}
		values, err := newGCM(subkey(key, "event-values"))
		if err != nil {
			return nil, fmt.Errorf("line %d: key %q: %w", n, id, err)
		}
		k.aeads[id], k.values[id], k.raw[id], k.current = aead, values, key, id
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if k.current == "" {
		return nil, errors.New("it holds no key; add a line `id:base64key` (eaapl dev writes one)")
	}
	return k, nil
}

// NewKeyLine returns a new key file line with a random key, its ID made from t, e.g. "k20261201T213000".
func NewKeyLine(t time.Time) (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("new key: %w", err)
	}
	return fmt.Sprintf("k%s:%s\n", t.UTC().Format("20060102T150405"), base64.StdEncoding.EncodeToString(key)), nil
}

// EnsureKeyFile creates a key file with one new key at path, mode 0600, unless one exists; it reports
// whether it made one. An existing file is left as it is (LoadKeyFile checks it).
func EnsureKeyFile(path string, now time.Time) (bool, error) {
	line, err := NewKeyLine(now)
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("key file: %w", err)
	}
	header := "# EaaPL payload keys: id:base64(32-byte AES-256 key). The last line encrypts; every line decrypts.\n"
	if _, err := f.WriteString(header + line); err != nil {
		f.Close()
		return false, fmt.Errorf("key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("key file %s: %w", path, err)
	}
	return true, nil
}
