package e2e_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestEnglishOverFilesAndPages runs programs of the grammar's command statements, iterations and value
// conditions from their English (the rule-based planner in the worker), on the dev stack: real files, a
// real page on loopback, real email in Mailpit.
func TestEnglishOverFilesAndPages(t *testing.T) {
	d := newDocumentsStack(t)
	english := func(t *testing.T, id, program string) workflows.Result {
		t.Helper()
		res, err := d.run(t, d.st, id, workflows.Input{Program: program, UserID: "user_123"})
		if err != nil {
			t.Fatalf("program %q: %v (%s %s)", program, err, res.Summary, stepReasons(res))
		}
		return res
	}

	t.Run("ReadAFileEmailItThenSendAnother", func(t *testing.T) {
		d.put(t, "todo.txt", []byte(todo))
		english(t, "grammar-read-then", "Read todo.txt and email it to bob@example.com, then send 'Done' to alice@example.com")
		if msgs := mailTo(t, d, "bob@example.com"); len(msgs) != 1 || strings.TrimSpace(msgs[0].Text) != strings.TrimSpace(todo) || msgs[0].Subject != "todo.txt" {
			t.Fatalf("bob has %+v, want one message todo.txt with the file", msgs)
		}
		if msgs := testenv.Messages(t, d.mailpit, `to:alice@example.com subject:"Done"`); len(msgs) != 1 {
			t.Fatalf("alice has %d 'Done', want 1", len(msgs))
		}
	})

	t.Run("EachLineOfAFileIsEmailed", func(t *testing.T) {
		d.put(t, "emails.txt", []byte("line1@example.com\n\n  line2@example.com \n"))
		english(t, "grammar-lines", "For each line in emails.txt, send 'Hi from the list' to it")
		for _, a := range []string{"line1@example.com", "line2@example.com"} {
			if msgs := testenv.Messages(t, d.mailpit, `to:`+a+` subject:"Hi from the list"`); len(msgs) != 1 {
				t.Errorf("%s has %d messages, want 1", a, len(msgs))
			}
		}
	})

	t.Run("OnlyTheLateRowsAreEmailed", func(t *testing.T) {
		f := excelize.NewFile()
		for i, row := range [][]any{{"email", "order", "status"}, {"late1@example.com", "A-1", "Late"}, {"ontime@example.com", "A-2", "shipped"}} {
			if err := f.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &row); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.SaveAs(d.workspace + "/late.xlsx"); err != nil {
			t.Fatal(err)
		}
		english(t, "grammar-rows-where", "For each row in late.xlsx where status is late, email the address in the email column saying 'Order {order} is late'")
		if msgs := testenv.Messages(t, d.mailpit, `to:late1@example.com subject:"Order A-1 is late"`); len(msgs) != 1 {
			t.Errorf("late1 has %d messages, want 1 'Order A-1 is late'", len(msgs))
		}
		if msgs := testenv.Messages(t, d.mailpit, `to:ontime@example.com`); len(msgs) != 0 {
			t.Errorf("ontime has %d messages, want none: its order shipped", len(msgs))
		}
	})

	t.Run("APageIsEmailedOnlyWhenItSaysDown", func(t *testing.T) {
		status := "All systems up"
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(status))
		}))
		defer page.Close()
		program := "Fetch " + page.URL + "/ and if the page contains 'down', email it to ops-grammar@example.com"
		english(t, "grammar-page-up", program)
		if msgs := testenv.Messages(t, d.mailpit, `to:ops-grammar@example.com`); len(msgs) != 0 {
			t.Fatalf("ops has %d messages while the page is up, want none", len(msgs))
		}
		status = "API: DOWN since 9:00"
		english(t, "grammar-page-down", program)
		if msgs := testenv.Messages(t, d.mailpit, `to:ops-grammar@example.com`); len(msgs) != 1 {
			t.Fatalf("ops has %d messages while the page is down, want 1", len(msgs))
		}
	})
}
