package contactsfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/catalog"
)

// writeFile writes content to a file called name in a fresh temporary folder and returns its path.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestFileContacts(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		want                []catalog.ContactValue
	}{
		{
			name: "VCardSimple", file: "c.vcf",
			content: "BEGIN:VCARD\nVERSION:3.0\nFN:Alice Example\nEMAIL;TYPE=INTERNET:alice@example.com\nEND:VCARD\n",
			want:    []catalog.ContactValue{{Name: "Alice Example", Email: "alice@example.com", Source: "c.vcf:4"}},
		},
		{
			name: "VCardCRLFFoldedAndBlankLines", file: "c.vcf",
			content: "\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bartholomew\r\n  Example\r\nEMAIL;TYPE=INTERNET:bob@exa\r\n\tmple.com\r\nEND:VCARD\r\n\r\n\r\nBEGIN:VCARD\r\nFN:Carol\r\nEMAIL:carol@example.com\r\nEND:VCARD\r\n",
			want: []catalog.ContactValue{
				{Name: "Bartholomew Example", Email: "bob@example.com", Source: "c.vcf:6"},
				{Name: "Carol", Email: "carol@example.com", Source: "c.vcf:13"},
			},
		},
		{
			name: "VCardMultipleEmailsTakesPreferred", file: "c.vcf",
			content: "BEGIN:VCARD\nFN:Dan\nEMAIL;TYPE=work:dan@work.example\nEMAIL;TYPE=home,pref:dan@home.example\nEND:VCARD\n" +
				"BEGIN:VCARD\nVERSION:4.0\nFN:Erin\nEMAIL;PREF=2:erin@two.example\nEMAIL;PREF=1:erin@one.example\nEND:VCARD\n" +
				"BEGIN:VCARD\nFN:Fay\nEMAIL:fay@first.example\nEMAIL:fay@second.example\nEND:VCARD\n" +
				"BEGIN:VCARD\nVERSION:2.1\nFN:Gus\nEMAIL;INTERNET:gus@a.example\nEMAIL;INTERNET;PREF:gus@b.example\nEND:VCARD\n",
			want: []catalog.ContactValue{
				{Name: "Dan", Email: "dan@home.example", Source: "c.vcf:4"},
				{Name: "Erin", Email: "erin@one.example", Source: "c.vcf:10"},
				{Name: "Fay", Email: "fay@first.example", Source: "c.vcf:14"},
				{Name: "Gus", Email: "gus@b.example", Source: "c.vcf:21"},
			},
		},
		{
			name: "VCardNameFromNGroupsEscapesAndCase", file: "Book.VCF",
			content: "begin:vcard\nN:Example;Hal;Q.;Dr.;\nitem1.EMAIL;TYPE=\"a:b\":HAL@Example.com\nitem1.X-ABLabel:work\nend:vcard\n" +
				"BEGIN:VCARD\nFN:Smith\\, Ida\nEMAIL:mailto:ida@example.com\nEND:VCARD\n",
			want: []catalog.ContactValue{
				{Name: "Dr. Hal Q. Example", Email: "HAL@Example.com", Source: "Book.VCF:3"},
				{Name: "Smith, Ida", Email: "ida@example.com", Source: "Book.VCF:8"},
			},
		},
		{
			name: "VCardInvalidAddressIsKept", file: "c.vcf",
			content: "BEGIN:VCARD\nFN:Jo\nEMAIL:jo-at-example.com\nEND:VCARD\n",
			want:    []catalog.ContactValue{{Name: "Jo", Email: "jo-at-example.com", Source: "c.vcf:3"}},
		},
		{
			name: "VCardEmpty", file: "c.vcf", content: "\n\n",
			want: nil,
		},
		{
			name: "CSVSimple", file: "c.csv",
			content: "name,email\nAlice Example,alice@example.com\nBob Example,bob@example.com\n",
			want:    []catalog.ContactValue{{Name: "Alice Example", Email: "alice@example.com", Source: "c.csv:2"}, {Name: "Bob Example", Email: "bob@example.com", Source: "c.csv:3"}},
		},
		{
			name: "CSVHeadersAnyCaseAndOrderWithBOMQuotesAndBlankLines", file: "c.csv",
			content: "\uFEFFE-Mail , Phone,Full Name\r\n\r\n\"ann@example.com\",555,\"Doe, Ann\"\r\n  ,  \r\nkim@example.com , 556 , Kim \r\n",
			want:    []catalog.ContactValue{{Name: "Doe, Ann", Email: "ann@example.com", Source: "c.csv:3"}, {Name: "Kim", Email: "kim@example.com", Source: "c.csv:5"}},
		},
		{
			name: "CSVFirstAndLastNameAndShortRows", file: "c.csv",
			content: "First Name,Last Name,Email Address,Notes\nLee,Park,lee@example.com,friend\nMo,,mo@example.com\n,,nameless@example.com,\n",
			want: []catalog.ContactValue{
				{Name: "Lee Park", Email: "lee@example.com", Source: "c.csv:2"},
				{Name: "Mo", Email: "mo@example.com", Source: "c.csv:3"},
				{Name: "", Email: "nameless@example.com", Source: "c.csv:4"},
			},
		},
		{
			name: "CSVQuotedFieldOverTwoLines", file: "c.csv",
			content: "email,name\nned@example.com,\"Ned\nStark\"\nol@example.com,Ol\n",
			want:    []catalog.ContactValue{{Name: "Ned\nStark", Email: "ned@example.com", Source: "c.csv:2"}, {Name: "Ol", Email: "ol@example.com", Source: "c.csv:4"}},
		},
		{
			name: "CSVInvalidAddressIsKept", file: "c.csv",
			content: "name,email\nPat,pat@\n",
			want:    []catalog.ContactValue{{Name: "Pat", Email: "pat@", Source: "c.csv:2"}},
		},
		{
			name: "CSVEmpty", file: "c.csv", content: "",
			want: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FileContacts{Path: writeFile(t, tc.file, tc.content)}.Contacts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("contacts =\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

// checkpointFiles are address books with the awkward parts a resumed read must get right: folded lines,
// CRLF, blank lines, a byte-order mark, quoted line breaks.
var checkpointFiles = []struct{ name, content string }{
	{"book.vcf", "\uFEFFBEGIN:VCARD\r\nFN:Ann\r\n  Example\r\nEMAIL:ann@exa\r\n\tmple.com\r\nEND:VCARD\r\n\r\n" +
		"BEGIN:VCARD\nFN:Ben\nEMAIL:ben@example.com\nEND:VCARD\n" +
		"BEGIN:VCARD\nFN:Cat\nEMAIL;PREF=1:cat@example.com\nEND:VCARD\n" +
		"BEGIN:VCARD\nFN:Dov\nEMAIL:dov@example.com\nEND:VCARD"},
	{"book.csv", "\uFEFFName,Email\r\nAnn,ann@example.com\r\n\"Ben\nBenson\",ben@example.com\n\n" +
		"Cat,\"cat@example.com\"\nDov,dov@example.com"},
}

// readWithCheckpoints reads the file, collecting a checkpoint after every contact.
func readWithCheckpoints(tb testing.TB, f FileContacts) ([]catalog.ContactValue, []contacts.Checkpoint) {
	tb.Helper()
	f.CheckpointEvery = -1
	var cps []contacts.Checkpoint
	contacts, err := f.ContactsFrom(context.Background(), nil, func(cp contacts.Checkpoint) { cps = append(cps, cp) })
	if err != nil {
		tb.Fatal(err)
	}
	return contacts, cps
}

func TestContactsResumeFromCheckpoint(t *testing.T) {
	for _, file := range checkpointFiles {
		t.Run(file.name, func(t *testing.T) {
			f := FileContacts{Path: writeFile(t, file.name, file.content)}
			want, err := f.Contacts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 4 {
				t.Fatalf("read %d contacts, want 4: %+v", len(want), want)
			}
			got, cps := readWithCheckpoints(t, f)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("with checkpoints the read gives %+v, want %+v", got, want)
			}
			if len(cps) != len(want) {
				t.Fatalf("%d checkpoints, want one per contact: %d", len(cps), len(want))
			}
			if last := cps[len(cps)-1]; last.Offset != int64(len(file.content)) || !reflect.DeepEqual(last.Contacts, want) {
				t.Errorf("last checkpoint is at %d of %d bytes with %d contacts", last.Offset, len(file.content), len(last.Contacts))
			}

			t.Run("FromEveryCheckpointTheResultIsTheSame", func(t *testing.T) {
				for i, cp := range cps {
					got, err := f.ContactsFrom(context.Background(), &cp, nil)
					if err != nil {
						t.Fatalf("from checkpoint %d: %v", i, err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("from checkpoint %d (offset %d, line %d): %+v, want %+v", i, cp.Offset, cp.Line, got, want)
					}
				}
			})

			t.Run("TheContactsBeforeTheCheckpointAreNotReadAgain", func(t *testing.T) {
				cp := cps[1] // after two contacts
				cp.Contacts = []catalog.ContactValue{{Name: "From the checkpoint", Email: "checkpoint@example.com"}}
				got, err := f.ContactsFrom(context.Background(), &cp, nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := append(cp.Contacts, want[2:]...); !reflect.DeepEqual(got, want) {
					t.Fatalf("resumed read = %+v, want %+v", got, want)
				}
			})

			t.Run("AChangedFileIsReadFromTheStart", func(t *testing.T) {
				stale := cps[1]
				stale.Contacts = []catalog.ContactValue{{Name: "Stale", Email: "stale@example.com"}}
				for name, change := range map[string]func(*contacts.Checkpoint){
					"Size":    func(cp *contacts.Checkpoint) { cp.Size++ },
					"ModTime": func(cp *contacts.Checkpoint) { cp.ModTime = cp.ModTime.Add(-time.Second) },
					"Path":    func(cp *contacts.Checkpoint) { cp.Path += ".old" },
				} {
					cp := stale
					change(&cp)
					got, err := f.ContactsFrom(context.Background(), &cp, nil)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("checkpoint with another %s: %+v, want a fresh read %+v", name, got, want)
					}
				}
			})
		})
	}
}

func TestContactsCheckpointsAreTimed(t *testing.T) {
	var b strings.Builder
	b.WriteString("Name,Email\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "Person %d,p%d@example.com\n", i, i)
	}
	path := writeFile(t, "big.csv", b.String())
	var cps []contacts.Checkpoint
	contacts, err := FileContacts{Path: path, CheckpointEvery: time.Hour}.ContactsFrom(context.Background(), nil, func(cp contacts.Checkpoint) { cps = append(cps, cp) })
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints encode every contact so far: one per contact would take quadratic time.
	if len(contacts) != 20_000 || len(cps) != 0 {
		t.Fatalf("%d contacts and %d checkpoints, want 20000 and none within the hour", len(contacts), len(cps))
	}
}
