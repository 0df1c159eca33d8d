package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A task killed after its file was linked into place, before it removed the temporary name, leaves that
// name behind; the task's retry finds the file written and also removes the leftover, so the user's
// folder holds the file alone.
func TestARetryRemovesTheTempFileOfAKilledWrite(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := Write{Path: "notes/report.txt", Data: []byte("all good"), Key: "wf/write/0"}
	if res, err := w.WriteFile(req); err != nil || res.Outcome != Created {
		t.Fatalf("first write: %+v, %v", res, err)
	}
	// What the killed attempt left: its temporary file, with the content, beside the file.
	leftover := filepath.Join(dir, filepath.FromSlash(tempName("notes", req.Key, "file:notes/report.txt")))
	if err := os.WriteFile(leftover, req.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err := w.WriteFile(req); err != nil || res.Outcome != AlreadyWritten {
		t.Fatalf("retry: %+v, %v", res, err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "notes"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "report.txt" {
		t.Errorf("notes/ holds %v, want report.txt alone", names)
	}
}
