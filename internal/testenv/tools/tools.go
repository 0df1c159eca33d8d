// Package tools finds the programs that integration tests run, which the Makefile builds into bin/ or
// installs from Debian, and fails a test at once, naming the make target that provides a missing one:
//
//	bin/mailpit is missing (/src/eaapl/bin/mailpit): run `make tools` (make test does it)
//
// It imports nothing of EaaPL, so that every package's tests can use it, devstack's own among them
// (testenv imports devstack, so devstack's tests cannot import testenv).
package tools

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// tool is a program the tests need and where it comes from.
type tool struct {
	inBin  bool   // built into the module's bin/; otherwise found on PATH
	target string // the make target that builds or installs it
}

// known are the tools the Makefile provides; `make test` runs every one of these targets first.
var known = map[string]tool{
	"temporal":          {inBin: true, target: "make tools"},
	"mailpit":           {inBin: true, target: "make tools"},
	"temporal-server":   {inBin: true, target: "make cluster-tools"}, // the first build takes several minutes
	"temporal-sql-tool": {inBin: true, target: "make cluster-tools"},
	"kcat":              {target: "make kcat"},          // from Debian
	"docker-compose":    {target: "make cluster-tools"}, // from Debian
}

// Path returns the path of a tool the tests run (temporal, mailpit, temporal-server, temporal-sql-tool,
// kcat or docker-compose), failing the test at once with the make target that provides it when it is
// missing.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	root, err := Root()
	if err != nil {
		tb.Fatal(err)
	}
	path, err := find(root, name)
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// find returns the path of a tool, for the module whose root folder is root.
func find(root, name string) (string, error) {
	t, ok := known[name]
	if !ok {
		return "", fmt.Errorf("%q is not a tool the Makefile provides", name)
	}
	if !t.inBin {
		path, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s is missing (not on PATH): run `%s` (make test does it)", name, t.target)
		}
		return path, nil
	}
	path := filepath.Join(root, "bin", name)
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return "", fmt.Errorf("bin/%s is missing (%s): run `%s` (make test does it)", name, path, t.target)
	case info.IsDir() || info.Mode()&0o111 == 0:
		return "", fmt.Errorf("bin/%s is not a program (%s): run `%s` again", name, path, t.target)
	}
	return path, nil
}

// Root returns the module's root folder, where go.mod is, from the test's folder up.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's folder")
		}
		dir = parent
	}
}
