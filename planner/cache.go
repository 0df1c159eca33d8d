package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/eaapl/eaapl/catalog"
)

// Cache keeps the plans a model made, one file per program, in a directory that workers can share (a
// volume mounted on every worker). The same normalised program, catalog version, prompt and model give the
// same plan without a model call. A cached plan is a template whose times are still phrases ("start of this
// week"), resolved at each use, and it is validated at each use like any other plan.
//
// Validation alone cannot tell a tampered plan: a valid plan that emails everyone something else is still
// valid. So each entry is signed (HMAC-SHA256 with a key derived from the worker's payload keys) over the
// program's key and the plan, and an entry whose signature does not verify, moved from another program's
// name or from before signing, is ignored with a warning and planned again. Without a Signer nothing is
// read or written: a cache nobody can check is not trusted.
type Cache struct {
	Dir    string
	Signer Signer       // nil: the cache is off
	Logger *slog.Logger // where ignored entries are reported; slog.Default() when nil
}

// Signer signs cache entries and verifies them (crypt.Keys.Signer("plan-cache")).
type Signer interface {
	Sign(data []byte) string
	Verify(data []byte, sig string) error
}

// cacheMagic starts the first line of a cache entry, before its signature; the plan follows on the next line.
const cacheMagic = "eaapl-plan-cache-v1 "

// cacheKey names a program's entry. Only whitespace around lines is normalised: quoted messages are part
// of the program, and a different message must not hit another's plan.
func cacheKey(program, model string) string {
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(program), "\r\n", "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	h := sha256.New()
	for _, part := range []string{"eaapl-plan", promptVersion, catalog.Version, model, strings.Join(lines, "\n")} {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+".plan.json") }

// signed is what an entry's signature covers: the entry's name too, so that a plan cannot be moved to
// another program's name.
func signed(key string, tmpl []byte) []byte {
	return append([]byte(cacheMagic+key+"\n"), tmpl...)
}

// Get returns the cached plan template of key, if its signature verifies.
func (c *Cache) Get(key string) ([]byte, bool) {
	if c.Signer == nil {
		return nil, false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, false
	}
	tmpl, err := c.verify(key, b)
	if err != nil {
		c.logger().Warn("plan cache: ignoring an entry that does not verify; the program is planned again", "file", c.path(key), "reason", err.Error())
		return nil, false
	}
	return tmpl, true
}

func (c *Cache) verify(key string, entry []byte) ([]byte, error) {
	header, tmpl, ok := bytes.Cut(entry, []byte("\n"))
	if !ok || !bytes.HasPrefix(header, []byte(cacheMagic)) {
		return nil, errors.New("it is not signed")
	}
	if err := c.Signer.Verify(signed(key, tmpl), string(header[len(cacheMagic):])); err != nil {
		return nil, err
	}
	return tmpl, nil
}

func (c *Cache) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// Put stores a plan template under key, signed. The file appears whole or not at all (written aside, then
// renamed), so a worker reading at the same moment never sees half a plan.
func (c *Cache) Put(key string, tmpl []byte) error {
	if c.Signer == nil {
		return errors.New("plan cache: no key to sign entries with (EAAPL_KEY_FILE)")
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("plan cache: %w", err)
	}
	f, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("plan cache: %w", err)
	}
	entry := append([]byte(cacheMagic+c.Signer.Sign(signed(key, tmpl))+"\n"), tmpl...)
	_, err = f.Write(entry)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path(key))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("plan cache: %w", err)
	}
	return nil
}
