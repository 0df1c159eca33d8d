package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/activities/files"
	"github.com/eaapl/eaapl/activities/files/local"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
	"github.com/eaapl/eaapl/internal/workspace"
)

// The files commands run as a worker runs them (activities.Commands), on a real workspace folder
// through the local adapter and a real content store.

type world struct {
	dir string
	cmd *activities.Commands
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "ws")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ws, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	store, err := content.OpenDir(filepath.Join(root, "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deps := files.Deps{Workspace: local.Workspace{WS: ws}, Store: contentstore.FromStore(store)}
	return &world{dir: dir, cmd: &activities.Commands{Deps: catalog.Deps{deps}, WorkerID: "w1"}}
}

func (w *world) put(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *world) run(command string, params map[string]any) (catalog.TaskResult, error) {
	return w.cmd.Run(context.Background(), catalog.Task{TaskID: "t1", Command: command, Parameters: params,
		Context: catalog.TaskContext{WorkflowID: "wf-1", Step: "s", IdempotencyKey: "wf-1/s/0"}})
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an application error", err)
	}
	return ae
}

func TestReadDocument(t *testing.T) {
	w := newWorld(t)
	w.put(t, "q3.md", "# Q3\n\nSales rose.\n")
	res, err := w.run("ReadDocument", map[string]any{"path": "q3.md"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output["title"] != "Q3" || res.Output["text"].(catalog.Content).Text != "# Q3\n\nSales rose.\n" {
		t.Errorf("output %v", res.Output)
	}

	t.Run("APathOutsideIsRefusedNamingIt", func(t *testing.T) {
		_, err := w.run("ReadDocument", map[string]any{"path": "../secrets.txt"})
		ae := appError(t, err)
		if ae.Type() != catalog.ErrInvalidArgument || !ae.NonRetryable() || !strings.Contains(ae.Error(), "../secrets.txt is outside the workspace") {
			t.Errorf("error %v (%s), want a non-retryable refusal naming ../secrets.txt", err, ae.Type())
		}
	})
	t.Run("AMissingFileIsNotFound", func(t *testing.T) {
		_, err := w.run("ReadDocument", map[string]any{"path": "nope.md"})
		if ae := appError(t, err); ae.Type() != catalog.ErrNotFound || !strings.Contains(ae.Error(), "nope.md") {
			t.Errorf("error %v, want NotFound naming nope.md", err)
		}
	})
	t.Run("LargeTextTravelsAsAReference", func(t *testing.T) {
		big := strings.Repeat("All work and no play. ", 10000) // 220 KB
		w.put(t, "big.txt", big)
		res, err := w.run("ReadDocument", map[string]any{"path": "big.txt"})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Output["text"].(catalog.Content)
		if c.Ref == nil || c.Ref.Size != int64(len(big)) || !strings.HasPrefix(c.Ref.Ref, "sha256:") || c.Text != "" {
			t.Fatalf("text %+v, want a sha256 reference of %d bytes and no text", c, len(big))
		}
		// WriteFile reads it back from the store.
		if _, err := w.run("WriteFile", map[string]any{"path": "copy.txt", "text": map[string]any{"ref": c.Ref.Ref, "size": c.Ref.Size}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(filepath.Join(w.dir, "copy.txt")); string(got) != big {
			t.Errorf("copy.txt has %d bytes, want the %d of big.txt", len(got), len(big))
		}
	})
}

func TestReadTable(t *testing.T) {
	w := newWorld(t)
	w.put(t, "orders.csv", "order,email\nA-1,ann@example.com\n\nA-2,bob@example.com\n")
	res, err := w.run("ReadTable", map[string]any{"path": "orders.csv"})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.Output["rows"].([]map[string]string)
	lines := res.Output["lines"].([]int)
	if len(rows) != 2 || rows[1]["order"] != "A-2" || rows[1]["email"] != "bob@example.com" || lines[1] != 4 || res.Output["count"] != 2 {
		t.Errorf("output %v, want two rows keyed by the header, the second on line 4", res.Output)
	}
	w.put(t, "bad.csv", "order,order\nA-1,A-2\n")
	if _, err := w.run("ReadTable", map[string]any{"path": "bad.csv"}); appError(t, err).Type() != catalog.ErrInvalidArgument {
		t.Errorf("a header naming a column twice: %v, want InvalidArgument", err)
	}
}

func TestWriteFile(t *testing.T) {
	w := newWorld(t)
	for i, want := range []string{"created", "already_written"} {
		res, err := w.run("WriteFile", map[string]any{"path": "out/report.txt", "text": "all good"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Output["outcome"] != want {
			t.Errorf("write %d: outcome %v, want %s", i+1, res.Output["outcome"], want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(w.dir, "out"))
	if len(entries) != 1 {
		t.Errorf("out/ holds %d entries, want report.txt alone", len(entries))
	}

	t.Run("SomeoneElsesFileIsAQuestion", func(t *testing.T) {
		w.put(t, "notes.txt", "mine")
		_, err := w.run("WriteFile", map[string]any{"path": "notes.txt", "text": "theirs"})
		ae := appError(t, err)
		var req catalog.InputRequest
		if ae.Type() != catalog.ErrNeedsInput || ae.Details(&req) != nil || req.Param != "overwrite" || !strings.Contains(req.Question, "notes.txt already exists") {
			t.Fatalf("error %v (%s, %+v), want a question whose answer sets overwrite", err, ae.Type(), req)
		}
		if got, _ := os.ReadFile(filepath.Join(w.dir, "notes.txt")); string(got) != "mine" {
			t.Fatalf("notes.txt = %q before the answer", got)
		}
		if _, err := w.run("WriteFile", map[string]any{"path": "notes.txt", "text": "theirs", "overwrite": req.Options[0].Arg}); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(filepath.Join(w.dir, "notes.txt")); string(got) != "theirs" {
			t.Errorf("notes.txt = %q after the answer replace", got)
		}
	})
}

func TestListFiles(t *testing.T) {
	w := newWorld(t)
	w.put(t, "a.md", "a")
	w.put(t, "b.txt", "b")
	res, err := w.run("ListFiles", map[string]any{"pattern": "*.md"})
	if err != nil {
		t.Fatal(err)
	}
	if paths := res.Output["paths"].([]string); len(paths) != 1 || paths[0] != "a.md" {
		t.Errorf("paths %v, want a.md", paths)
	}
	if _, err := w.run("ListFiles", map[string]any{"pattern": "[a-"}); appError(t, err).Type() != catalog.ErrInvalidArgument {
		t.Errorf("a bad pattern: %v, want InvalidArgument", err)
	}
}
