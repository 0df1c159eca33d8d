package config_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/config"
)

func writeToken(tb testing.TB, path, text string, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
}

func TestTokenFileIsReadAgainWhenItChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	writeToken(t, path, "first.jwt.token\n", 0o600)
	f, err := config.NewTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.Token(context.Background()); err != nil || got != "first.jwt.token" {
		t.Fatalf("Token() = %q, %v", got, err)
	}
	writeToken(t, path, "second.jwt.token-longer\n", 0o600)
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Token(context.Background()); err != nil || got != "second.jwt.token-longer" {
		t.Fatalf("Token() after the file changed = %q, %v", got, err)
	}
}

func TestTokenFileRefusesWhatIsNotOnePrivateToken(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, text string
		mode       os.FileMode
		want       string
	}{
		{"ReadableByOthers", "a.b.c", 0o644, "has mode 0644"},
		{"Empty", "\n", 0o600, "is empty"},
		{"BearerPrefix", "Bearer a.b.c", 0o600, "without \"Bearer\""},
		{"Oversized", strings.Repeat("x", 65<<10), 0o600, "is over 64 KB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			writeToken(t, path, c.text, c.mode)
			_, err := config.NewTokenFile(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("NewTokenFile = %v, want an error naming %s and saying %q", err, path, c.want)
			}
		})
	}
	if _, err := config.NewTokenFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "EAAPL_TEMPORAL_TOKEN_FILE") {
		t.Fatalf("a missing file: %v", err)
	}
}
