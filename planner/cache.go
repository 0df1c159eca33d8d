package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/eaapl/eaapl/catalog"
)

// Cache keeps the plans a model made, one file per program, in a directory that workers can share (a
// volume mounted on every worker). The same normalised program, catalog version, prompt and model give the
// same plan without a model call. A cached plan is a template whose times are still phrases ("start of this
// week"), resolved at each use, and it is validated at each use like any other plan, so a stale or
// tampered file cannot run anything the catalog does not allow.
type Cache struct {
	Dir string
}

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

// Get returns the cached plan template of key.
func (c *Cache) Get(key string) ([]byte, bool) {
	b, err := os.ReadFile(c.path(key))
	return b, err == nil
}

// Put stores a plan template under key. The file appears whole or not at all (written aside, then
// renamed), so a worker reading at the same moment never sees half a plan.
func (c *Cache) Put(key string, tmpl []byte) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("plan cache: %w", err)
	}
	f, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("plan cache: %w", err)
	}
	_, err = f.Write(tmpl)
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
