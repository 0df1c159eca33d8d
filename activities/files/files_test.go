package files_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/contentvalue"
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
	dir   string
	cmd   *activities.Commands
	store catalog.ContentStore
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
	return &world{dir: dir, cmd: &activities.Commands{Deps: catalog.Deps{deps}, WorkerID: "w1"}, store: deps.Store}
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

func TestReadTableRefusesAMissingColumn(t *testing.T) {
	w := newWorld(t)
	w.put(t, "orders.csv", "order,email,status\nA-1,ann@example.com,late\n")
	res, err := w.run("ReadTable", map[string]any{"path": "orders.csv", "columns": []any{"email", "order"}})
	if err != nil || res.Output["count"] != 1 {
		t.Fatalf("with the columns it has: %v, %v; want its one row", res.Output, err)
	}
	_, err = w.run("ReadTable", map[string]any{"path": "orders.csv", "columns": []any{"email", "ordr"}})
	ae := appError(t, err)
	want := `"ordr" is not a column of orders.csv (its columns: order, email, status); no row was used`
	if ae.Type() != catalog.ErrInvalidArgument || !ae.NonRetryable() || !strings.Contains(ae.Error(), want) {
		t.Errorf("error %v (%s), want a non-retryable %q", err, ae.Type(), want)
	}
}

// rowsOf reads every row of a ReadTable output, inline or stored.
func rowsOf(t *testing.T, w *world, v any) []map[string]string {
	t.Helper()
	if rows, ok := v.([]map[string]string); ok {
		return rows
	}
	list, ok := contentvalue.ListOf(v)
	if !ok {
		t.Fatalf("rows %T are neither inline nor a stored list", v)
	}
	raw, err := contentvalue.ReadRange(context.Background(), w.store, list, 0, list.Count)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]map[string]string, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

func TestReadTableStoresALongTable(t *testing.T) {
	w := newWorld(t)
	var csv strings.Builder
	csv.WriteString("order,email\n")
	for i := range 5000 {
		fmt.Fprintf(&csv, "A-%d,u%d@example.com\n", i, i)
	}
	w.put(t, "orders.csv", csv.String())
	res, err := w.run("ReadTable", map[string]any{"path": "orders.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := contentvalue.ListOf(res.Output["rows"]); !ok || res.Output["count"] != 5000 {
		t.Fatalf("rows %T, count %v: want a stored list of 5000 rows", res.Output["rows"], res.Output["count"])
	}
	rows := rowsOf(t, w, res.Output["rows"])
	if len(rows) != 5000 || rows[0]["order"] != "A-0" || rows[4999]["email"] != "u4999@example.com" {
		t.Errorf("stored rows: %d, first %v, last %v", len(rows), rows[0], rows[len(rows)-1])
	}
}

// A million rows (a 40 MB CSV) are read in pages into the content store: the output stays a few hundred
// bytes, and the worker's heap far from the file's size.
func TestReadTableOfAMillionRows(t *testing.T) {
	const n = 1_000_000
	w := newWorld(t)
	f, err := os.Create(filepath.Join(w.dir, "big.csv"))
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	bw.WriteString("order,email,status\n")
	for i := range n {
		fmt.Fprintf(bw, "A-%07d,u%d@example.com,shipped\n", i, i)
	}
	if err := errors.Join(bw.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(filepath.Join(w.dir, "big.csv"))

	var peak atomic.Uint64
	done := make(chan struct{})
	go func() { // sample the heap while the table is read
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	start := time.Now()
	res, err := w.run("ReadTable", map[string]any{"path": "big.csv", "columns": []any{"email"}})
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.Output)
	t.Logf("%d rows, %.1f MB file: read in %s, output %d bytes, heap peak %.1f MB",
		n, float64(info.Size())/(1<<20), time.Since(start).Round(time.Millisecond), len(out), float64(peak.Load())/(1<<20))
	list, ok := contentvalue.ListOf(res.Output["rows"])
	if !ok || list.Count != n || res.Output["count"] != n {
		t.Fatalf("rows %v, count %v: want a stored list of %d", res.Output["rows"], res.Output["count"], n)
	}
	if len(out) > 4<<10 {
		t.Errorf("the output is %d bytes, want a few hundred whatever the table's length", len(out))
	}
	if p := peak.Load(); p > uint64(info.Size()) {
		t.Errorf("heap peaked at %.1f MB, more than the %.1f MB file: the rows were held in memory", float64(p)/(1<<20), float64(info.Size())/(1<<20))
	}
	last, err := contentvalue.ReadRange(context.Background(), w.store, list, n-1, 1)
	if err != nil || len(last) != 1 || !strings.Contains(string(last[0]), `"order":"A-0999999"`) {
		t.Errorf("the last row: %s, %v", last, err)
	}
}

func TestReadLines(t *testing.T) {
	w := newWorld(t)
	w.put(t, "emails.txt", "ann@example.com\n\n  bob@example.com  \r\n\t\ncarol@example.com")
	res, err := w.run("ReadLines", map[string]any{"path": "emails.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Output["lines"].([]string); !slices.Equal(got, []string{"ann@example.com", "bob@example.com", "carol@example.com"}) || res.Output["count"] != 3 {
		t.Errorf("output %v, want the three lines that are not blank, trimmed", res.Output)
	}
	t.Run("ALargeDocumentsLinesAreAStoredList", func(t *testing.T) {
		var big strings.Builder
		for i := 0; big.Len() < 3<<20; i++ { // 3 MB: its text would travel as a content reference
			fmt.Fprintf(&big, "user%d@example.com %s\n", i, strings.Repeat("x", 60))
		}
		w.put(t, "big.txt", big.String())
		res, err := w.run("ReadLines", map[string]any{"path": "big.txt"})
		if err != nil {
			t.Fatal(err)
		}
		list, ok := contentvalue.ListOf(res.Output["lines"])
		if !ok || list.Count != res.Output["count"] || list.Count < 30000 {
			t.Fatalf("lines %v, count %v: want a stored list of every line", res.Output["lines"], res.Output["count"])
		}
		last, err := contentvalue.ReadRange(context.Background(), w.store, list, list.Count-1, 1)
		if err != nil || !strings.HasPrefix(string(last[0]), fmt.Sprintf(`"user%d@example.com x`, list.Count-1)) {
			t.Errorf("the last line: %s, %v", last, err)
		}
	})
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
