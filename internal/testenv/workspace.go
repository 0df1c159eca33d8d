package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eaapl/eaapl/internal/workspace"
)

// Workspace opens a workspace in a temporary folder for the test; it is closed when the test ends.
func Workspace(tb testing.TB) *workspace.Workspace {
	tb.Helper()
	w, err := workspace.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w
}

// PutFile writes content to the file name in the workspace, making the folders it is in.
func PutFile[T ~string | ~[]byte](tb testing.TB, w *workspace.Workspace, name string, content T) {
	tb.Helper()
	p := filepath.Join(w.Dir(), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}
