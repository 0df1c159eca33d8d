package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDevLogsArePrivate: the issue found dev.log world-readable (-rw-r--r--); a log made before is made
// 0600 too, and a new one is created so.
func TestDevLogsArePrivate(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, devLogFile)
	if err := os.WriteFile(old, []byte("from before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{old, filepath.Join(dir, stackLogFile)} {
		f, err := openPrivate(path, os.O_APPEND)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(path), got)
		}
	}
}
