package builtin_test

import (
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

// TestCommandNamesStayInTheirFamilies checks that outside its family's folder no Go source (tests and
// testdata aside) writes a registered command's name as a string: everything else looks commands up in
// the registry, so a new command is never forgotten in a switch.
func TestCommandNamesStayInTheirFamilies(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	home := map[string]string{} // command -> its family's folder, from the repository root
	for _, s := range catalog.Specs() {
		dir, err := filepath.Rel(root, s.Dir())
		if err != nil || strings.HasPrefix(dir, "..") {
			t.Fatalf("%s is defined in %s, outside the repository", s.Name, s.Dir())
		}
		home[s.Name] = filepath.ToSlash(dir)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var s scanner.Scanner
		fset := token.NewFileSet()
		s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING {
				continue
			}
			v, err := strconv.Unquote(lit)
			if err != nil {
				continue
			}
			if dir, ok := home[v]; ok && !strings.HasPrefix(filepath.ToSlash(rel), dir+"/") {
				t.Errorf("%s: names the command %s, which only %s may name; look it up in the registry", fset.Position(pos), v, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
