package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newWorkspace makes a workspace folder inside a parent that also holds a secret beside it.
func newWorkspace(tb testing.TB) (*Workspace, string) {
	tb.Helper()
	parent := tb.TempDir()
	dir := filepath.Join(parent, "ws")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(parent, "secrets.txt"), "the secret")
	w, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w, parent
}

func writeFile(tb testing.TB, path, text string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	w, parent := newWorkspace(t)
	writeFile(t, filepath.Join(w.Dir(), "todo.txt"), "buy milk")
	writeFile(t, filepath.Join(w.Dir(), "notes", "inner.txt"), "inner")
	if err := os.Symlink("../secrets.txt", filepath.Join(w.Dir(), "link-out.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(parent, filepath.Join(w.Dir(), "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("notes", filepath.Join(w.Dir(), "dir-in")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(w.Dir(), "todo.txt"), filepath.Join(w.Dir(), "abs-link.txt")); err != nil {
		t.Fatal(err)
	}

	t.Run("ReadsAFileInside", func(t *testing.T) {
		for _, name := range []string{"todo.txt", "./todo.txt", filepath.Join(w.Dir(), "todo.txt")} {
			got, err := w.ReadFile(name, 0)
			if err != nil {
				t.Fatalf("ReadFile(%q): %v", name, err)
			}
			if string(got) != "buy milk" {
				t.Fatalf("ReadFile(%q) = %q, want %q", name, got, "buy milk")
			}
		}
	})
	t.Run("FollowsALinkThatStaysInside", func(t *testing.T) {
		got, err := w.ReadFile("dir-in/inner.txt", 0)
		if err != nil || string(got) != "inner" {
			t.Fatalf("ReadFile(dir-in/inner.txt) = %q, %v; want inner", got, err)
		}
	})
	t.Run("RefusesPathsThatLeave", func(t *testing.T) {
		for _, name := range []string{
			"../secrets.txt",
			"notes/../../secrets.txt",
			filepath.Join(parent, "secrets.txt"),
			"/etc/passwd",
			"link-out.txt",        // a link to a file outside
			"dir-out/secrets.txt", // a parent folder that is a link outside
			"abs-link.txt",        // an absolute link, even to a file inside: os.Root follows relative links only
			".eaapl-workspace/x",  // EaaPL's records
		} {
			got, err := w.ReadFile(name, 0)
			var oe *OutsideError
			if !errors.As(err, &oe) || !errors.Is(err, ErrOutside) {
				t.Fatalf("ReadFile(%q) = %q, %v; want an *OutsideError", name, got, err)
			}
			if oe.Path != name || !strings.Contains(err.Error(), name) {
				t.Fatalf("ReadFile(%q): the error %q does not name the path", name, err)
			}
			if got != nil {
				t.Fatalf("ReadFile(%q) returned %q with the error", name, got)
			}
		}
	})
	t.Run("RefusesNoPath", func(t *testing.T) {
		for _, name := range []string{"", "  ", "a\x00b"} {
			if _, err := w.ReadFile(name, 0); err == nil {
				t.Fatalf("ReadFile(%q) read something", name)
			}
		}
	})
	t.Run("MissingFileIsNotExist", func(t *testing.T) {
		_, err := w.ReadFile("nope.txt", 0)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("ReadFile(nope.txt) = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("RefusesAFileOverTheLimitBeforeReading", func(t *testing.T) {
		_, err := w.ReadFile("todo.txt", 4)
		var tl *TooLargeError
		if !errors.As(err, &tl) || tl.Size != 8 || tl.Limit != 4 {
			t.Fatalf("ReadFile(todo.txt, 4) = %v, want a *TooLargeError of 8 > 4 bytes", err)
		}
		if !strings.Contains(err.Error(), "todo.txt is 8 B, more than the limit of 4 B") {
			t.Fatalf("error %q", err)
		}
	})
	t.Run("RefusesAFolder", func(t *testing.T) {
		if _, err := w.ReadFile("notes", 0); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("ReadFile(notes) = %v, want not a regular file", err)
		}
	})
}

func TestWriteFile(t *testing.T) {
	t.Run("CreatesAtomicallyAndARetryWritesNothing", func(t *testing.T) {
		w, _ := newWorkspace(t)
		req := Write{Path: "out/summary.md", Data: []byte("v1"), Key: "wf-1/write/0", Owner: "wf-1"}
		res, err := w.WriteFile(req)
		if err != nil || res.Outcome != Created || res.Path != "out/summary.md" || res.Size != 2 {
			t.Fatalf("first write = %+v, %v; want created", res, err)
		}
		before, _ := os.Stat(filepath.Join(w.Dir(), "out/summary.md"))
		res, err = w.WriteFile(req)
		if err != nil || res.Outcome != AlreadyWritten {
			t.Fatalf("retried write = %+v, %v; want already_written", res, err)
		}
		after, _ := os.Stat(filepath.Join(w.Dir(), "out/summary.md"))
		if !before.ModTime().Equal(after.ModTime()) {
			t.Fatalf("the retry rewrote the file")
		}
		entries, _ := os.ReadDir(filepath.Join(w.Dir(), "out"))
		if len(entries) != 1 {
			t.Fatalf("out/ holds %d entries, want just summary.md (no temporary files left)", len(entries))
		}
		assertContent(t, w, "out/summary.md", "v1")
	})
	t.Run("RetryAfterAKillBetweenRecordAndRename", func(t *testing.T) {
		w, _ := newWorkspace(t)
		if _, err := w.WriteFile(Write{Path: "r.txt", Data: []byte("old"), Key: "k0"}); err != nil {
			t.Fatal(err)
		}
		// Task k1 began to replace the file: it saved its record, then was killed before the rename.
		rec, _ := w.readRecord("r.txt")
		newSum := sha256.Sum256([]byte("new"))
		if err := w.saveRecord(writeRecord{Path: "r.txt", Key: "k1", Written: append(rec.Written, hex.EncodeToString(newSum[:]))}); err != nil {
			t.Fatal(err)
		}
		assertContent(t, w, "r.txt", "old")
		res, err := w.WriteFile(Write{Path: "r.txt", Data: []byte("new"), Key: "k1"})
		if err != nil || res.Outcome != Replaced {
			t.Fatalf("retry of the killed task = %+v, %v; want replaced", res, err)
		}
		assertContent(t, w, "r.txt", "new")
		if res, err := w.WriteFile(Write{Path: "r.txt", Data: []byte("new"), Key: "k1"}); err != nil || res.Outcome != AlreadyWritten {
			t.Fatalf("another retry = %+v, %v; want already_written", res, err)
		}
	})
	t.Run("TheSameProgramReplacesItsOwnFile", func(t *testing.T) {
		w, _ := newWorkspace(t)
		if _, err := w.WriteFile(Write{Path: "weekly.md", Data: []byte("week 1"), Key: "run1/w", Owner: "schedule-7"}); err != nil {
			t.Fatal(err)
		}
		res, err := w.WriteFile(Write{Path: "weekly.md", Data: []byte("week 2"), Key: "run2/w", Owner: "schedule-7"})
		if err != nil || res.Outcome != Replaced {
			t.Fatalf("second run = %+v, %v; want replaced", res, err)
		}
		assertContent(t, w, "weekly.md", "week 2")
	})
	t.Run("NeverOverwritesAFileItDidNotWrite", func(t *testing.T) {
		w, _ := newWorkspace(t)
		writeFile(t, filepath.Join(w.Dir(), "mine.txt"), "the user's own")
		_, err := w.WriteFile(Write{Path: "mine.txt", Data: []byte("program output"), Key: "k", Owner: "p"})
		var ee *ExistsError
		if !errors.As(err, &ee) || ee.Path != "mine.txt" || ee.ByEaaPL || ee.Size != 14 {
			t.Fatalf("write over the user's file = %v, want an *ExistsError", err)
		}
		if !strings.Contains(err.Error(), "mine.txt already exists") {
			t.Fatalf("error %q does not name the file", err)
		}
		assertContent(t, w, "mine.txt", "the user's own")

		res, err := w.WriteFile(Write{Path: "mine.txt", Data: []byte("program output"), Key: "k", Owner: "p", Overwrite: true})
		if err != nil || res.Outcome != Replaced {
			t.Fatalf("write with Overwrite = %+v, %v; want replaced", res, err)
		}
		assertContent(t, w, "mine.txt", "program output")
	})
	t.Run("AFileChangedSinceItWasWrittenIsNotOurs", func(t *testing.T) {
		w, _ := newWorkspace(t)
		if _, err := w.WriteFile(Write{Path: "a.txt", Data: []byte("ours"), Key: "k1", Owner: "p"}); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(w.Dir(), "a.txt"), "edited by the user")
		_, err := w.WriteFile(Write{Path: "a.txt", Data: []byte("ours again"), Key: "k2", Owner: "p"})
		var ee *ExistsError
		if !errors.As(err, &ee) || !ee.ByEaaPL {
			t.Fatalf("write over an edited file = %v, want an *ExistsError saying EaaPL wrote an earlier version", err)
		}
		assertContent(t, w, "a.txt", "edited by the user")
	})
	t.Run("AnotherProgramsFileIsNotOurs", func(t *testing.T) {
		w, _ := newWorkspace(t)
		if _, err := w.WriteFile(Write{Path: "a.txt", Data: []byte("p1"), Key: "p1/s", Owner: "p1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteFile(Write{Path: "a.txt", Data: []byte("p2"), Key: "p2/s", Owner: "p2"}); err == nil {
			t.Fatal("program p2 replaced program p1's file without asking")
		}
	})
	t.Run("RefusesWritesOutside", func(t *testing.T) {
		w, parent := newWorkspace(t)
		if err := os.Symlink(parent, filepath.Join(w.Dir(), "up")); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"../x.txt", filepath.Join(parent, "x.txt"), "up/x.txt", ".eaapl-workspace/writes/x"} {
			_, err := w.WriteFile(Write{Path: name, Data: []byte("x"), Key: "k", Overwrite: true})
			if !errors.Is(err, ErrOutside) {
				t.Fatalf("WriteFile(%q) = %v, want outside the workspace", name, err)
			}
		}
		if _, err := os.Stat(filepath.Join(parent, "x.txt")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a file was written outside the workspace")
		}
	})
	t.Run("DoesNotReplaceALinkWithoutAsking", func(t *testing.T) {
		w, _ := newWorkspace(t)
		writeFile(t, filepath.Join(w.Dir(), "target.txt"), "t")
		if err := os.Symlink("target.txt", filepath.Join(w.Dir(), "l.txt")); err != nil {
			t.Fatal(err)
		}
		var ee *ExistsError
		if _, err := w.WriteFile(Write{Path: "l.txt", Data: []byte("x"), Key: "k"}); !errors.As(err, &ee) {
			t.Fatalf("write over a link = %v, want an *ExistsError", err)
		}
	})
}

func assertContent(tb testing.TB, w *Workspace, name, want string) {
	tb.Helper()
	got, err := os.ReadFile(filepath.Join(w.Dir(), name))
	if err != nil {
		tb.Fatal(err)
	}
	if string(got) != want {
		tb.Fatalf("%s = %q, want %q", name, got, want)
	}
}

func TestList(t *testing.T) {
	w, _ := newWorkspace(t)
	for _, name := range []string{"a.md", "b.txt", "reports/q3.md", "reports/2026/q4.md", ".hidden.md", ".eaapl/db.md"} {
		writeFile(t, filepath.Join(w.Dir(), name), name)
	}
	if err := os.Symlink("../secrets.txt", filepath.Join(w.Dir(), "out.md")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteFile(Write{Path: "made.md", Data: []byte("m"), Key: "k"}); err != nil {
		t.Fatal(err)
	}
	paths := func(l Listing) string {
		var ps []string
		for _, f := range l.Files {
			ps = append(ps, f.Path)
		}
		return strings.Join(ps, " ")
	}
	for _, c := range []struct {
		pattern string
		want    string
		skipped int
	}{
		{"*.md", "a.md made.md", 1},
		{"**/*.md", "a.md made.md reports/2026/q4.md reports/q3.md", 1},
		{"reports/*.md", "reports/q3.md", 0},
		{".*.md", ".hidden.md", 0},
		{"*.{md,txt}", "a.md b.txt made.md", 1},
	} {
		l, err := w.List(c.pattern, 0)
		if err != nil {
			t.Fatalf("List(%q): %v", c.pattern, err)
		}
		if got := paths(l); got != c.want || l.SkippedLinks != c.skipped {
			t.Fatalf("List(%q) = %q (skipped %d), want %q (skipped %d)", c.pattern, got, l.SkippedLinks, c.want, c.skipped)
		}
	}
	t.Run("StopsAtTheLimit", func(t *testing.T) {
		l, err := w.List("**/*.md", 2)
		if err != nil || len(l.Files) != 2 || !l.Truncated {
			t.Fatalf("List with limit 2 = %+v, %v; want 2 files and truncated", l, err)
		}
	})
	t.Run("RefusesPatternsOutside", func(t *testing.T) {
		for _, p := range []string{"../*", "/etc/*"} {
			if _, err := w.List(p, 0); !errors.Is(err, ErrOutside) {
				t.Fatalf("List(%q) = %v, want outside the workspace", p, err)
			}
		}
	})
	t.Run("RefusesABadPattern", func(t *testing.T) {
		if _, err := w.List("[a-", 0); err == nil || !strings.Contains(err.Error(), "not a valid pattern") {
			t.Fatalf("List([a-) = %v, want not a valid pattern", err)
		}
	})
}
