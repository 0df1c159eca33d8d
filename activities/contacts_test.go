package activities

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

func TestFileContactsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		wantLine            int
		wantMsg             string
	}{
		{"VCardWithoutEnd", "c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\nBEGIN:VCARD\nFN:B\nEMAIL:b@example.com\n", 5, "no END:VCARD"},
		{"VCardWithoutEndBeforeNextCard", "c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nBEGIN:VCARD\nFN:B\nEMAIL:b@example.com\nEND:VCARD\n", 1, "no END:VCARD before the next BEGIN:VCARD on line 4"},
		{"VCardWithoutEmail", "c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\n\nBEGIN:VCARD\nFN:B\nTEL:555\nEND:VCARD\n", 6, "card has no EMAIL"},
		{"VCardWithBlankEmail", "c.vcf", "BEGIN:VCARD\nFN:B\nEMAIL: \nEND:VCARD\n", 1, "card has no EMAIL"},
		{"VCardTextOutsideCard", "c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\nhello\n", 5, `expected BEGIN:VCARD, found "hello"`},
		{"NotAVCard", "c.vcf", "name,email\nA,a@example.com\n", 1, "expected BEGIN:VCARD"},
		{"CSVWithoutEmailColumn", "c.csv", "\nname,phone\nA,555\n", 2, "header has no email column"},
		{"CSVRowWithoutEmail", "c.csv", "name,email\nA,a@example.com\nB,\nC,c@example.com\n", 3, "row has no email"},
		{"CSVShortRowWithoutEmail", "c.csv", "name,email\nA,a@example.com\nB\n", 3, "row has no email"},
		{"CSVBareQuote", "c.csv", "name,email\nA,a@example.com\nB \"the\" C,b@example.com\n", 3, `bare " in non-quoted-field`},
		{"CSVUnterminatedQuote", "c.csv", "name,email\n\"A,a@example.com\nB,b@example.com\n", 2, `extraneous or missing " in quoted-field`},
		{"UnsupportedType", "c.txt", "a@example.com\n", 0, `unsupported contacts file type ".txt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			_, err := FileContacts{Path: path}.Contacts(context.Background())
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got error %v, want a *FormatError", err)
			}
			if fe.Path != path || fe.Line != tc.wantLine || !strings.Contains(fe.Msg, tc.wantMsg) {
				t.Fatalf("got %q (line %d), want %s line %d: …%s…", err, fe.Line, path, tc.wantLine, tc.wantMsg)
			}

			// RetrieveContacts reports it as bad input, naming the file and line.
			a := &testWorker{Contacts: FileContacts{Path: path}}
			_, err = a.RetrieveContacts(context.Background(), catalog.Task{TaskID: "task_001"})
			where := path
			if tc.wantLine > 0 {
				where = fmt.Sprintf("%s:%d", path, tc.wantLine)
			}
			assertAppError(t, err, catalog.ErrInvalidArgument, "RetrieveContacts task task_001", where, tc.wantMsg)
		})
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
		const n = 2500
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
		if got, want := contacts[n-1], map[string]any{"name": "Person 2499", "email": "p2499@example.com", "source": "big.csv:2501"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("last contact = %v, want %v", got, want)
		}
	})
}
