package contactfile

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

func TestDedupAcrossPages(t *testing.T) {
	// Issue 14's file: one address written three ways, and a second file that repeats one of them.
	path := writeFile(t, "dup.csv", "name,email\nA,dup@example.com\nB,other@example.com\nC,DUP@EXAMPLE.COM\nD, dup@example.com \nE,Dup <Dup@Example.com>\nF,other+tag@example.com\n")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := NewDedup()
	var kept []Contact
	var dups []RowError
	for cp := (Checkpoint{}); !cp.Done; {
		p, err := r.ReadPage(context.Background(), cp, 2) // pages of two rows: duplicates span pages
		if err != nil {
			t.Fatal(err)
		}
		k, dd := d.Filter(p.Contacts)
		kept, dups, cp = append(kept, k...), append(dups, dd...), p.Next
	}
	if got, want := kept, []Contact{{"A", "dup@example.com", "dup.csv:2"}, {"B", "other@example.com", "dup.csv:3"}, {"F", "other+tag@example.com", "dup.csv:7"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("kept %+v, want %+v", got, want)
	}
	want := []RowError{
		{"dup.csv:4", "DUP@EXAMPLE.COM is a duplicate of line 2"},
		{"dup.csv:5", "dup@example.com is a duplicate of line 2"},
		{"dup.csv:6", "Dup <Dup@Example.com> is a duplicate of line 2"},
	}
	if !reflect.DeepEqual(dups, want) {
		t.Fatalf("duplicates %q, want %q", dups, want)
	}
	if got, want := fmt.Sprint(dups[0]), "dup.csv:4: DUP@EXAMPLE.COM is a duplicate of line 2"; got != want {
		t.Errorf("a duplicate reads %q, want %q", got, want)
	}

	t.Run("AcrossFilesTheFirstIsNamedInFull", func(t *testing.T) {
		k, dd := d.Filter([]Contact{{"G", "Other@example.com", "more.vcf:12"}})
		if len(k) != 0 || len(dd) != 1 || dd[0].Reason != "Other@example.com is a duplicate of dup.csv:3" {
			t.Fatalf("kept %+v, duplicates %+v", k, dd)
		}
	})
	if d.Len() != 3 {
		t.Errorf("Len = %d, want 3 addresses", d.Len())
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" Ann@Example.COM ":         "ann@example.com",
		"Ann Lee <ANN@example.com>": "ann@example.com",
		"a.b+c@example.com":         "a.b+c@example.com", // servers disagree on dots and tags: kept
		"not an address":            "not an address",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// A million-row file read page by page (issue 16: "a 1,000,000-row file is read within the limits"):
// every row comes back once, in order; each checkpoint is under 200 bytes of JSON; the heap does not grow
// with the file.
func TestAMillionRowsPageByPage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 34 MB file")
	}
	const rows = 1_000_000
	path := filepath.Join(t.TempDir(), "million.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Name,Email")
	for i := range rows {
		fmt.Fprintf(w, "Person %d,p%d@example.com\n", i, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64

	var (
		cp        Checkpoint
		n, pages  int
		maxCPSize int
	)
	for !cp.Done {
		// Each page from a fresh Reader, as each page would be read by an activity attempt of its own.
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.ReadPage(context.Background(), cp, 5_000)
		r.Close()
		if err != nil {
			t.Fatalf("page %d from %+v: %v", pages, cp, err)
		}
		if len(p.Bad) != 0 {
			t.Fatalf("page %d has bad rows: %v", pages, p.Bad[:1])
		}
		for _, c := range p.Contacts {
			if want := fmt.Sprintf("p%d@example.com", n); c.Email != want || c.Source != fmt.Sprintf("million.csv:%d", n+2) {
				t.Fatalf("row %d is %+v, want %s from line %d", n, c, want, n+2)
			}
			n++
		}
		js, err := json.Marshal(p.Next)
		if err != nil {
			t.Fatal(err)
		}
		maxCPSize = max(maxCPSize, len(js))
		cp = p.Next
		pages++
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if n != rows {
		t.Fatalf("read %d rows, want %d", n, rows)
	}
	if maxCPSize >= 200 {
		t.Errorf("the largest checkpoint is %d bytes of JSON, want under 200", maxCPSize)
	}
	// A page of 5,000 contacts is about 400 kB; the rows all at once would be over 100 MB.
	grown := int64(peak) - int64(base)
	t.Logf("%d rows in %d pages from a %d-byte file; checkpoints up to %d bytes; heap grew by at most %d kB", n, pages, info.Size(), maxCPSize, grown>>10)
	if grown > 16<<20 {
		t.Errorf("the heap grew by %d MB while reading, want it bounded by the page, not the file", grown>>20)
	}
}
