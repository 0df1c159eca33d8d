package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin", "temporal"), 0o755); err != nil { // a folder, not a program
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "mailpit"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir()) // nothing on it

	t.Run("FindsABuiltTool", func(t *testing.T) {
		got, err := find(root, "mailpit")
		if want := filepath.Join(root, "bin", "mailpit"); err != nil || got != want {
			t.Fatalf("find(mailpit) = %q, %v; want %q", got, err, want)
		}
	})
	for _, tc := range []struct{ name, want string }{
		{"temporal-server", "bin/temporal-server is missing (" + filepath.Join(root, "bin", "temporal-server") + "): run `make cluster-tools` (make test does it)"},
		{"temporal", "bin/temporal is not a program (" + filepath.Join(root, "bin", "temporal") + "): run `make tools` again"},
		{"kcat", "kcat is missing (not on PATH): run `make kcat` (make test does it)"},
		{"docker-compose", "docker-compose is missing (not on PATH): run `make cluster-tools` (make test does it)"},
		{"temporal-ui", `"temporal-ui" is not a tool the Makefile provides`},
	} {
		t.Run("Missing/"+tc.name, func(t *testing.T) {
			_, err := find(root, tc.name)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("find(%s) = %v, want %q", tc.name, err, tc.want)
			}
		})
	}
}

func TestEveryToolHasAMakeTarget(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tl := range known {
		target := strings.TrimPrefix(tl.target, "make ")
		if !strings.Contains(string(makefile), "\n"+target+":") {
			t.Errorf("%s: the Makefile has no target %q", name, target)
		}
	}
}
