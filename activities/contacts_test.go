package activities

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

// A file that is not an address book at all fails the task as bad input, naming the file and line.
func TestFileContactsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		wantLine            int
		wantMsg             string
	}{
		{"NotAVCard", "c.vcf", "name,email\nA,a@example.com\n", 1, "BEGIN:VCARD"},
		{"CSVWithoutEmailColumn", "c.csv", "\nname,phone\nA,555\n", 2, "header has no email column"},
		{"CSVUnterminatedQuote", "c.csv", "name,email\n\"A,a@example.com\nB,b@example.com\n", 2, `"`},
		{"UnsupportedType", "c.txt", "a@example.com\n", 0, `unsupported contacts file type ".txt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			a := &testWorker{Contacts: FileContacts{Path: path}}
			_, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
			where := path
			if tc.wantLine > 0 {
				where = fmt.Sprintf("%s:%d", path, tc.wantLine)
			}
			assertAppError(t, err, catalog.ErrInvalidArgument, "RetrieveContacts task task_001", where, tc.wantMsg)
		})
	}
}

// Issue 17 item 8: a row that is not a contact (no email, an invalid email, a broken card) is skipped and
// reported with its file:line, and the rest are read; before, a row without an email failed the task.
func TestRetrieveContactsSkipsBadRows(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		wantEmails          string
		wantSkipped         []string
	}{
		{"CSVRowWithoutEmail", "broken.csv", "name,email\nA,a@example.com\nB,\nC,c@example.com\n", "a@example.com c@example.com",
			[]string{"broken.csv:3: row has no email"}},
		{"CSVShortRowAndInvalidEmail", "c.csv", "name,email\nA,a@example.com\nB\nJo,jo-at-example.com\nC,c@example.com\n", "a@example.com c@example.com",
			[]string{"c.csv:3: row has no email", `c.csv:4: "jo-at-example.com" is not a valid email address`}},
		{"VCardWithoutEmail", "c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\n\nBEGIN:VCARD\nFN:B\nTEL:555\nEND:VCARD\n", "a@example.com",
			[]string{"c.vcf:6: card has no EMAIL"}},
		{"VCardWithoutEnd", "c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nBEGIN:VCARD\nFN:B\nEMAIL:b@example.com\nEND:VCARD\n", "b@example.com",
			[]string{"c.vcf:1: card has no END:VCARD before the next BEGIN:VCARD on line 4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &testWorker{Contacts: FileContacts{Path: writeFile(t, tc.file, tc.content)}}
			res, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
			if err != nil {
				t.Fatal(err)
			}
			if got := contactEmails(res); got != tc.wantEmails {
				t.Errorf("emails = %q, want %q", got, tc.wantEmails)
			}
			skipped := res.Output["skipped"].([]string)
			if len(skipped) != len(tc.wantSkipped) || res.Output["skipped_count"] != len(tc.wantSkipped) {
				t.Fatalf("skipped = %q (count %v), want %q", skipped, res.Output["skipped_count"], tc.wantSkipped)
			}
			for i, want := range tc.wantSkipped {
				if !strings.HasPrefix(skipped[i], want) {
					t.Errorf("skipped[%d] = %q, want %q…", i, skipped[i], want)
				}
			}
			// The result table says so beside the step.
			_, detail := retrieveSpec(t).Outcome("done", res.Output)
			if !strings.Contains(detail, "skipped: "+tc.wantSkipped[0]) {
				t.Errorf("result detail = %q, want it to list %q", detail, tc.wantSkipped[0])
			}
		})
	}
}

// Issue 17 item 8: when many rows are bad (over 10% and over 5), the task asks before anyone is emailed;
// answered continue (skip_bad_rows), it goes on.
func TestRetrieveContactsAsksWhenManyRowsAreBad(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := range 20 {
		fmt.Fprintf(&b, "P%d,p%d@example.com\n", i, i)
	}
	for i := range 6 {
		fmt.Fprintf(&b, "Bad%d,\n", i)
	}
	a := &testWorker{Contacts: FileContacts{Path: writeFile(t, "c.csv", b.String())}}
	_, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
	req := inputRequest(t, err)
	if req.Param != "skip_bad_rows" || len(req.Options) != 1 || req.Options[0].Arg != true ||
		!strings.Contains(req.Question, "6 of the 26 rows") || !strings.Contains(req.Question, "c.csv:22: row has no email") ||
		!strings.Contains(req.Question, "other 20 contacts") {
		t.Fatalf("request = %+v, want a continue choice for skip_bad_rows naming 6 of 26 rows and c.csv:22", req)
	}
	res, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001", Parameters: map[string]any{"skip_bad_rows": true}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output["count"] != 20 || res.Output["skipped_count"] != 6 {
		t.Fatalf("count %v, skipped %v; want 20 and 6", res.Output["count"], res.Output["skipped_count"])
	}

	t.Run("FiveBadRowsDoNotAsk", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("name,email\nA,a@example.com\n")
		for i := range 5 {
			fmt.Fprintf(&b, "Bad%d,\n", i)
		}
		a := &testWorker{Contacts: FileContacts{Path: writeFile(t, "c.csv", b.String())}}
		if _, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"}); err != nil {
			t.Fatalf("5 bad rows of 6: %v, want no question (more than 5 are many)", err)
		}
	})
}

// Issue 14 item 6: one address listed several times (in other cases, with spaces) is one recipient,
// and the repeats are reported as duplicates of the first line.
func TestRetrieveContactsDeduplicates(t *testing.T) {
	path := writeFile(t, "dup.csv", "name,email\nAnn,ann@example.com\nDup,dup@example.com\nDup 2,DUP@EXAMPLE.COM\nDup 3,\" dup@example.com \"\nBob,bob@example.com\nDup 4,dup@example.com\n")
	a := &testWorker{Contacts: FileContacts{Path: path}}
	res, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := contactEmails(res), "ann@example.com dup@example.com bob@example.com"; got != want {
		t.Fatalf("emails = %q, want %q", got, want)
	}
	want := []string{
		"dup.csv:4: DUP@EXAMPLE.COM is a duplicate of line 3",
		"dup.csv:5: dup@example.com is a duplicate of line 3",
		"dup.csv:7: dup@example.com is a duplicate of line 3",
	}
	if got := res.Output["skipped"].([]string); !reflect.DeepEqual(got, want) || res.Output["count"] != 3 {
		t.Fatalf("skipped = %q, count %v; want %q and 3", got, res.Output["count"], want)
	}
}

func TestRetrieveContacts(t *testing.T) {
	t.Run("ReadsExamples", func(t *testing.T) {
		for _, file := range []string{"../examples/contacts.vcf", "../examples/contacts.csv"} {
			a := &testWorker{Contacts: FileContacts{Path: file}, WorkerID: "w"}
			res, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
			if err != nil {
				t.Fatal(err)
			}
			contacts := res.Output["contacts"].([]Contact)
			var emails []string
			for _, c := range contacts {
				emails = append(emails, c.Email)
			}
			if got, want := strings.Join(emails, " "), "alice@example.com bob@example.com carol@example.com"; got != want {
				t.Errorf("%s: emails = %q, want %q", file, got, want)
			}
			if got := res.Output["count"]; got != 3 {
				t.Errorf("%s: count = %v, want 3", file, got)
			}
		}
	})
	t.Run("MissingFileIsNotFound", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.vcf")
		a := &testWorker{Contacts: FileContacts{Path: path}}
		_, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
		assertAppError(t, err, catalog.ErrNotFound, "contacts file "+path+" does not exist")
	})
	t.Run("EmptyFileHasNoContacts", func(t *testing.T) {
		a := &testWorker{Contacts: FileContacts{Path: writeFile(t, "c.csv", "name,email\n")}}
		res, err := a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Output["contacts"].([]Contact); got == nil || len(got) != 0 || res.Output["count"] != 0 {
			t.Fatalf("output = %#v, want an empty list and 0", res.Output)
		}
	})
	t.Run("LargeFileAsActivityHeartbeats", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Name,Email\n")
		const n = 12500
		for i := range n {
			fmt.Fprintf(&b, "Person %d,p%d@example.com\n", i, i)
		}
		a := &testWorker{Contacts: FileContacts{Path: writeFile(t, "big.csv", b.String())}}
		res, err := runActivity(t, a, a.RetrieveContacts, catalog.Task{TaskID: "task_001"})
		if err != nil {
			t.Fatal(err)
		}
		contacts := res.Output["contacts"].([]any)
		if got := res.Output["count"]; got != float64(n) || len(contacts) != n {
			t.Fatalf("count = %v with %d contacts, want %d", got, len(contacts), n)
		}
		if got, want := contacts[n-1], map[string]any{"name": "Person 12499", "email": "p12499@example.com", "source": "big.csv:12501"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("last contact = %v, want %v", got, want)
		}
	})
}

func retrieveSpec(tb testing.TB) *catalog.Spec {
	tb.Helper()
	spec, ok := catalog.Get("RetrieveContacts")
	if !ok {
		tb.Fatal("RetrieveContacts is not registered")
	}
	return spec
}

// contactEmails are the addresses of RetrieveContacts' contacts, in order, space-separated.
func contactEmails(res catalog.TaskResult) string {
	var emails []string
	for _, c := range res.Output["contacts"].([]Contact) {
		emails = append(emails, c.Email)
	}
	return strings.Join(emails, " ")
}
