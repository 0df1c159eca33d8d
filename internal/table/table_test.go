package table

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/internal/workspace"
)

// readAll reads every page of a table, pageSize rows at a time, as a for_each over it would.
func readAll(tb testing.TB, w *workspace.Workspace, name string, opt Options) (rows []Row, pages int) {
	tb.Helper()
	var from *Checkpoint
	for {
		p, err := Read(context.Background(), w, name, from, opt)
		if err != nil {
			tb.Fatalf("Read(%s) page %d: %v", name, pages+1, err)
		}
		pages++
		rows = append(rows, p.Rows...)
		if p.Next == nil {
			return rows, pages
		}
		if pages > 100 {
			tb.Fatal("more than 100 pages")
		}
		from = p.Next
	}
}

func describe(rows []Row, cols ...string) string {
	var out []string
	for _, r := range rows {
		var vals []string
		for _, c := range cols {
			vals = append(vals, r.Fields[c])
		}
		out = append(out, fmt.Sprintf("%d:%s", r.Line, strings.Join(vals, "|")))
	}
	return strings.Join(out, " ")
}

func TestCSV(t *testing.T) {
	w := testenv.Workspace(t)
	testenv.PutFile(t, w, "orders.csv", "order, email ,note\n"+
		"A1,a@example.com,first\n"+
		"A2,b@example.com,\"two\nlines\"\n"+
		"\n"+
		"A3,c@example.com\n"+
		"A4,d@example.com,last\n")
	t.Run("ReadsRecordsKeyedByTheHeaderInPages", func(t *testing.T) {
		for _, size := range []int{1, 2, 3, 100} {
			rows, pages := readAll(t, w, "orders.csv", Options{PageSize: size})
			got := describe(rows, "order", "email", "note")
			want := "2:A1|a@example.com|first 3:A2|b@example.com|two\nlines 6:A3|c@example.com| 7:A4|d@example.com|last"
			if got != want {
				t.Fatalf("page size %d: rows\n%s\nwant\n%s", size, got, want)
			}
			if size == 1 && pages < 4 {
				t.Fatalf("page size 1 read in %d pages", pages)
			}
		}
	})
	t.Run("HeaderOrderIsKept", func(t *testing.T) {
		p, err := Read(context.Background(), w, "orders.csv", nil, Options{})
		if err != nil || strings.Join(p.Header, ",") != "order,email,note" || p.Next != nil {
			t.Fatalf("Read = %+v, %v", p, err)
		}
	})
	t.Run("APageEndsAtMaxPageBytes", func(t *testing.T) {
		long := strings.Repeat("x", 100<<10)
		var b strings.Builder
		b.WriteString("id,text\n")
		for i := range 25 {
			fmt.Fprintf(&b, "%d,%s\n", i, long)
		}
		testenv.PutFile(t, w, "long.csv", b.String())
		p, err := Read(context.Background(), w, "long.csv", nil, Options{})
		if err != nil || len(p.Rows) != 11 || p.Next == nil {
			t.Fatalf("first page has %d rows (next %v), %v; want 11, cut at about 1 MB", len(p.Rows), p.Next, err)
		}
		rows, _ := readAll(t, w, "long.csv", Options{})
		if len(rows) != 25 || rows[24].Fields["id"] != "24" {
			t.Fatalf("read %d rows in all, want 25", len(rows))
		}
	})
	t.Run("SemicolonsAndTabs", func(t *testing.T) {
		testenv.PutFile(t, w, "eu.csv", "name;amount\nBob;1,5\n")
		testenv.PutFile(t, w, "tabs.csv", "name\tamount\nAnn\t2\n")
		for name, want := range map[string]string{"eu.csv": "2:Bob|1,5", "tabs.csv": "2:Ann|2"} {
			p, err := Read(context.Background(), w, name, nil, Options{})
			if err != nil || describe(p.Rows, "name", "amount") != want {
				t.Fatalf("Read(%s) = %+v, %v; want %s", name, p, err, want)
			}
		}
	})
	t.Run("AChangedFileIsNotResumed", func(t *testing.T) {
		testenv.PutFile(t, w, "c.csv", "a\n1\n2\n3\n")
		p, err := Read(context.Background(), w, "c.csv", nil, Options{PageSize: 1})
		if err != nil || p.Next == nil {
			t.Fatalf("first page = %+v, %v", p, err)
		}
		testenv.PutFile(t, w, "c.csv", "a\n0\n1\n2\n3\n")
		var ce *ChangedError
		if _, err := Read(context.Background(), w, "c.csv", p.Next, Options{PageSize: 1}); !errors.As(err, &ce) || ce.Rows != 1 {
			t.Fatalf("read from a checkpoint of a changed file = %v, want a *ChangedError", err)
		}
	})
	for _, c := range []struct{ name, text, want string }{
		{"dup.csv", "email,email\n1,2\n", `dup.csv:1: columns 1 and 2 are both named "email"`},
		{"noname.csv", "a,,c\n1,2,3\n", "noname.csv:1: column 2 has no name in the header row"},
		{"wide.csv", "a,b\n1,2\n1,2,3\n", `wide.csv:3: column 3 holds "3" but the header names only 2 columns`},
		{"quote.csv", "a,b\n1,2\n\"open,2\n", "quote.csv:3: not valid CSV"},
		{"empty.csv", "", "empty.csv: the file is empty"},
		{"notes.txt", "a\n", `cannot read ".txt" files as tables`},
		{"../x.csv", "", "../x.csv is outside the workspace"},
	} {
		t.Run("Refuses_"+c.name, func(t *testing.T) {
			if !strings.HasPrefix(c.name, "..") {
				testenv.PutFile(t, w, c.name, c.text)
			}
			_, err := Read(context.Background(), w, c.name, nil, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read(%s) = %v, want %q", c.name, err, c.want)
			}
		})
	}
}

// writeXLSX writes a workbook with excelize: a "Notes" sheet first, then "Orders" with a gap row.
func writeXLSX(tb testing.TB, w *workspace.Workspace, name string) {
	tb.Helper()
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", "Orders"); err != nil {
		tb.Fatal(err)
	}
	rows := [][]any{
		{"order", "email", "amount"},
		{"A1", "a@example.com", 10},
		{"A2", "b@example.com", 12.5},
		nil, // row 4 left empty
		{"A3", "c@example.com", 9},
		{"A4", "d@example.com"},
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Orders", cell, &r); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := x.NewSheet("Notes"); err != nil {
		tb.Fatal(err)
	}
	x.SetSheetRow("Notes", "A1", &[]any{"note"})
	x.SetSheetRow("Notes", "A2", &[]any{"hello"})
	if err := x.SaveAs(filepath.Join(w.Dir(), name)); err != nil {
		tb.Fatal(err)
	}
}

func TestXLSX(t *testing.T) {
	w := testenv.Workspace(t)
	writeXLSX(t, w, "orders.xlsx")
	want := "2:A1|a@example.com|10 3:A2|b@example.com|12.5 5:A3|c@example.com|9 6:A4|d@example.com|"
	for _, size := range []int{1, 2, 100} {
		rows, _ := readAll(t, w, "orders.xlsx", Options{PageSize: size})
		if got := describe(rows, "order", "email", "amount"); got != want {
			t.Fatalf("page size %d: rows\n%s\nwant\n%s", size, got, want)
		}
	}
	t.Run("ANamedSheet", func(t *testing.T) {
		p, err := Read(context.Background(), w, "orders.xlsx", nil, Options{Sheet: "Notes"})
		if err != nil || p.Sheet != "Notes" || describe(p.Rows, "note") != "2:hello" {
			t.Fatalf("Read(Notes) = %+v, %v", p, err)
		}
		_, err = Read(context.Background(), w, "orders.xlsx", nil, Options{Sheet: "Nope"})
		if err == nil || !strings.Contains(err.Error(), `no sheet named "Nope"; the sheets are Orders, Notes`) {
			t.Fatalf("Read(Nope) = %v", err)
		}
	})
	t.Run("NotAWorkbook", func(t *testing.T) {
		testenv.PutFile(t, w, "fake.xlsx", "not a zip")
		if _, err := Read(context.Background(), w, "fake.xlsx", nil, Options{}); err == nil || !strings.Contains(err.Error(), "fake.xlsx: not an .xlsx workbook") {
			t.Fatalf("Read(fake.xlsx) = %v", err)
		}
	})
}
