package e2e_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// Tables, lines and pages past what one step's output carries, and a table a program names wrongly, as
// English programs on the dev stack; Mailpit is what they sent.

// TestAMissingColumnStopsTheProgramBeforeAnyEmail: a placeholder no row can fill ({ordr}) is refused
// when the table's header is read, naming the columns it has, and nobody is emailed.
func TestAMissingColumnStopsTheProgramBeforeAnyEmail(t *testing.T) {
	d := newDocumentsStack(t)
	f := excelize.NewFile()
	for i, row := range [][]any{{"order", "email", "status"}, {"A-1", "col1@example.com", "late"}, {"A-2", "col2@example.com", "late"}} {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join(d.workspace, "orders.xlsx")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ id, program, want string }{
		{"column-placeholder", "For each row in orders.xlsx, email the address in the email column saying 'Your order {ordr} has shipped'",
			`"ordr" is not a column of orders.xlsx (its columns: order, email, status); no row was used`},
		{"column-where", "For each row in orders.xlsx where state is late, email the address in the email column saying 'Your order {order} has shipped'",
			`"state" is not a column of orders.xlsx (its columns: order, email, status)`},
		{"column-address", "For each row in orders.xlsx, email the address in the mail column saying 'Your order {order} has shipped'",
			`"mail" is not a column of orders.xlsx (its columns: order, email, status)`},
	} {
		t.Run(tc.id, func(t *testing.T) {
			res, err := d.run(t, d.st, tc.id, workflows.Input{Program: tc.program, UserID: "user_123"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("program: %v (%s), want it to fail with %q", err, res.Summary, tc.want)
			}
			if msgs := testenv.Messages(t, d.mailpit, ""); len(msgs) != 0 {
				t.Errorf("Mailpit holds %d emails, want none: the program must stop before the first", len(msgs))
			}
		})
	}
}

// TestLongTablesAreEmailedFromAStoredList: 5,000 rows of a .csv and of an .xlsx are read into the content
// store (past 1,000 rows ReadTable returns a stored list), the send runs in shards over it, each row gets
// exactly one email, and the program's history holds no row.
func TestLongTablesAreEmailedFromAStoredList(t *testing.T) {
	const n = 5000
	d := newDocumentsStack(t)
	var csv strings.Builder
	csv.WriteString("order,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&csv, "C-%05d,csvrow%d@example.com\n", i, i)
	}
	d.put(t, "orders.csv", []byte(csv.String()))
	writeRowsXLSX(t, filepath.Join(d.workspace, "orders.xlsx"), n) // person<i>@example.com, order A-<i>

	for _, tc := range []struct{ file, address, order string }{
		{"orders.csv", "csvrow%d@example.com", "C-%05d"},
		{"orders.xlsx", "person%d@example.com", "A-%05d"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			id := "long-" + strings.ReplaceAll(tc.file, ".", "-")
			program := "For each row in " + tc.file + ", email the address in the email column saying 'Your order {order} has shipped'"
			res, err := d.run(t, d.st, id, workflows.Input{Program: program, UserID: "user_123"})
			if err != nil {
				t.Fatalf("program: %v (%s %s)", err, res.Summary, stepReasons(res))
			}
			if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
				t.Errorf("summary %q, want %q", got, want)
			}
			got := map[string]string{}
			dup := 0
			for _, m := range testenv.Messages(t, d.mailpit, "") {
				for _, to := range m.To {
					if _, seen := got[to]; seen {
						dup++
					}
					got[to] = m.Subject
				}
			}
			for i := 1; i <= n; i++ {
				addr, want := fmt.Sprintf(tc.address, i), "Your order "+fmt.Sprintf(tc.order, i)+" has shipped"
				if got[addr] != want {
					t.Fatalf("%s got %q, want one email %q", addr, got[addr], want)
				}
			}
			if dup > 0 {
				t.Errorf("%d addresses got more than one email", dup)
			}
			if rows, _ := output(t, res, "rows")["rows"].(map[string]any); rows["stored_list"] == nil {
				t.Errorf("ReadTable's rows are not a stored list: the test did not test a long table")
			}
			size, events := historySize(t, d, id)
			t.Logf("%s: %d rows emailed; the program's history is %d events, %.1f KB", tc.file, n, events, float64(size)/1024)
			if size > 256<<10 {
				t.Errorf("the program's history is %d bytes, want under 256 KB: the rows entered it", size)
			}
		})
	}
}

// TestLinesAndContainsOverLargeTexts: a file of addresses larger than a step's inline text, emailed line
// by line, and a page larger than that tested for "down" on the worker.
func TestLinesAndContainsOverLargeTexts(t *testing.T) {
	d := newDocumentsStack(t)
	t.Run("EachLineOfALargeFile", func(t *testing.T) {
		const n = 2500 // 2,500 lines of 29 bytes: 72 KB, more than the 64 KB a text carries inline
		var b strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "line-%05d@lines.example.com\n", i)
			if i%100 == 0 {
				b.WriteString("\n   \n") // blank lines are skipped
			}
		}
		d.put(t, "big.txt", []byte(b.String()))
		res, err := d.run(t, d.st, "large-lines", workflows.Input{Program: "For each line in big.txt, send 'Hi from the big list' to it", UserID: "user_123"})
		if err != nil {
			t.Fatalf("program: %v (%s %s)", err, res.Summary, stepReasons(res))
		}
		got := map[string]int{}
		for _, m := range testenv.Messages(t, d.mailpit, `subject:"Hi from the big list"`) {
			for _, to := range m.To {
				got[to]++
			}
		}
		for i := 1; i <= n; i++ {
			if a := fmt.Sprintf("line-%05d@lines.example.com", i); got[a] != 1 {
				t.Fatalf("%s got %d emails, want 1", a, got[a])
			}
		}
		if len(got) != n {
			t.Errorf("%d addresses were emailed, want %d", len(got), n)
		}
	})
	t.Run("ALargePageContainsDown", func(t *testing.T) {
		status := ""
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(strings.Repeat("All systems operational today.\n", 10000) + status)) // 300 KB
		}))
		defer page.Close()
		program := "Fetch " + page.URL + "/ and if the page contains 'down', email it to ops-large@example.com"
		res, err := d.run(t, d.st, "large-page-up", workflows.Input{Program: program, UserID: "user_123"})
		if err != nil {
			t.Fatalf("program: %v (%s %s)", err, res.Summary, stepReasons(res))
		}
		if msgs := testenv.Messages(t, d.mailpit, "to:ops-large@example.com"); len(msgs) != 0 {
			t.Fatalf("ops-large has %d emails while the page is up, want none", len(msgs))
		}
		status = "The API is DOWN since 9:00.\n"
		if res, err = d.run(t, d.st, "large-page-down", workflows.Input{Program: program, UserID: "user_123"}); err != nil {
			t.Fatalf("program: %v (%s %s)", err, res.Summary, stepReasons(res))
		}
		msgs := mailTo(t, d, "ops-large@example.com")
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "The API is DOWN since 9:00.") || len(msgs[0].Text) < 300000 {
			t.Fatalf("ops-large has %d emails, want one with the whole page", len(msgs))
		}
		if text, _ := output(t, res, "fetch")["text"].(map[string]any); text["ref"] == nil {
			t.Errorf("the page's text %v, want a content reference: the test did not test a large page", text)
		}
	})
}
