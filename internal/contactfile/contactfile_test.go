package contactfile

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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

func readAll(tb testing.TB, path string) ([]Contact, []RowError) {
	tb.Helper()
	contacts, bad, err := ReadAll(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	return contacts, bad
}

// The cases of activities' TestFileContacts, which the hand-written reader passed: the same contacts.
func TestReadsWhatTheOldReaderRead(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		want                []Contact
	}{
		{
			name: "VCardSimple", file: "c.vcf",
			content: "BEGIN:VCARD\nVERSION:3.0\nFN:Alice Example\nEMAIL;TYPE=INTERNET:alice@example.com\nEND:VCARD\n",
			want:    []Contact{{"Alice Example", "alice@example.com", "c.vcf:4"}},
		},
		{
			name: "VCardCRLFFoldedAndBlankLines", file: "c.vcf",
			content: "\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bartholomew\r\n  Example\r\nEMAIL;TYPE=INTERNET:bob@exa\r\n\tmple.com\r\nEND:VCARD\r\n\r\n\r\nBEGIN:VCARD\r\nFN:Carol\r\nEMAIL:carol@example.com\r\nEND:VCARD\r\n",
			want: []Contact{
				{"Bartholomew Example", "bob@example.com", "c.vcf:6"},
				{"Carol", "carol@example.com", "c.vcf:13"},
			},
		},
		{
			name: "VCardMultipleEmailsTakesPreferred", file: "c.vcf",
			content: "BEGIN:VCARD\nFN:Dan\nEMAIL;TYPE=work:dan@work.example\nEMAIL;TYPE=home,pref:dan@home.example\nEND:VCARD\n" +
				"BEGIN:VCARD\nVERSION:4.0\nFN:Erin\nEMAIL;PREF=2:erin@two.example\nEMAIL;PREF=1:erin@one.example\nEND:VCARD\n" +
				"BEGIN:VCARD\nFN:Fay\nEMAIL:fay@first.example\nEMAIL:fay@second.example\nEND:VCARD\n" +
				"BEGIN:VCARD\nVERSION:2.1\nFN:Gus\nEMAIL;INTERNET:gus@a.example\nEMAIL;INTERNET;PREF:gus@b.example\nEND:VCARD\n",
			want: []Contact{
				{"Dan", "dan@home.example", "c.vcf:4"},
				{"Erin", "erin@one.example", "c.vcf:10"},
				{"Fay", "fay@first.example", "c.vcf:14"},
				{"Gus", "gus@b.example", "c.vcf:21"},
			},
		},
		{
			name: "VCardNameFromNGroupsEscapesAndCase", file: "Book.VCF",
			content: "begin:vcard\nN:Example;Hal;Q.;Dr.;\nitem1.EMAIL;TYPE=\"a:b\":HAL@Example.com\nitem1.X-ABLabel:work\nend:vcard\n" +
				"BEGIN:VCARD\nFN:Smith\\, Ida\nEMAIL:mailto:ida@example.com\nEND:VCARD\n",
			want: []Contact{
				{"Dr. Hal Q. Example", "HAL@Example.com", "Book.VCF:3"},
				{"Smith, Ida", "ida@example.com", "Book.VCF:8"},
			},
		},
		{
			name: "VCardEmpty", file: "c.vcf", content: "\n\n",
			want: nil,
		},
		{
			name: "CSVSimple", file: "c.csv",
			content: "name,email\nAlice Example,alice@example.com\nBob Example,bob@example.com\n",
			want:    []Contact{{"Alice Example", "alice@example.com", "c.csv:2"}, {"Bob Example", "bob@example.com", "c.csv:3"}},
		},
		{
			name: "CSVHeadersAnyCaseAndOrderWithBOMQuotesAndBlankLines", file: "c.csv",
			content: "\uFEFFE-Mail , Phone,Full Name\r\n\r\n\"ann@example.com\",555,\"Doe, Ann\"\r\n  ,  \r\nkim@example.com , 556 , Kim \r\n",
			want:    []Contact{{"Doe, Ann", "ann@example.com", "c.csv:3"}, {"Kim", "kim@example.com", "c.csv:5"}},
		},
		{
			name: "CSVFirstAndLastNameAndShortRows", file: "c.csv",
			content: "First Name,Last Name,Email Address,Notes\nLee,Park,lee@example.com,friend\nMo,,mo@example.com\n,,nameless@example.com,\n",
			want: []Contact{
				{"Lee Park", "lee@example.com", "c.csv:2"},
				{"Mo", "mo@example.com", "c.csv:3"},
				{"", "nameless@example.com", "c.csv:4"},
			},
		},
		{
			name: "CSVOtherHeaderNames", file: "c.csv",
			content: "Given Name,Surname,Mail\nAnn,Lee,ann@example.com\n",
			want:    []Contact{{"Ann Lee", "ann@example.com", "c.csv:2"}},
		},
		{
			name: "CSVQuotedFieldOverTwoLines", file: "c.csv",
			content: "email,name\nned@example.com,\"Ned\nStark\"\nol@example.com,Ol\n",
			want:    []Contact{{"Ned\nStark", "ned@example.com", "c.csv:2"}, {"Ol", "ol@example.com", "c.csv:4"}},
		},
		{
			name: "CSVEmpty", file: "c.csv", content: "",
			want: nil,
		},
		{
			name: "CSVHeaderOnly", file: "c.csv", content: "name,email\n",
			want: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := readAll(t, writeFile(t, tc.file, tc.content))
			if !reflect.DeepEqual(got, tc.want) || len(bad) != 0 {
				t.Fatalf("contacts =\n%#v\nbad rows %v\nwant\n%#v", got, bad, tc.want)
			}
		})
	}
}

func TestVCardThroughGoVCard(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          []Contact
	}{
		{
			name: "QuotedPrintableUTF8", // as Android's contacts app exports
			content: "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4D=C3=BC=6C=6C=65=72;=C3=89lise;;;\r\n" +
				"EMAIL;HOME:elise@example.com\r\nEND:VCARD\r\n",
			want: []Contact{{"Élise Müller", "elise@example.com", "c.vcf:4"}},
		},
		{
			name: "QuotedPrintableSoftLineBreakAndLatin1",
			content: "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:Fran=E7ois =\nDupr=E9\n" +
				"EMAIL;INTERNET:francois@example.com\nEND:VCARD\n",
			want: []Contact{{"François Dupré", "francois@example.com", "c.vcf:5"}},
		},
		{
			name: "FoldedEmailPreferredAmongMany",
			content: "BEGIN:VCARD\nVERSION:3.0\nFN:Kay\nEMAIL;TYPE=work:kay@work.example\nEMAIL;TYPE=home;TYPE=pref:kay@ho\n me.example\nEMAIL:\nPHOTO;ENCODING=b;TYPE=JPEG:" +
				strings.Repeat("QUFB", 1000) + "\nEND:VCARD\n",
			want: []Contact{{"Kay", "kay@home.example", "c.vcf:5"}},
		},
		{
			name:    "EscapedSemicolonInName",
			content: "BEGIN:VCARD\nFN:Lee\\; Park\nEMAIL:lee@example.com\nEND:VCARD\n",
			want:    []Contact{{"Lee; Park", "lee@example.com", "c.vcf:3"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := readAll(t, writeFile(t, "c.vcf", tc.content))
			if !reflect.DeepEqual(got, tc.want) || len(bad) != 0 {
				t.Fatalf("contacts =\n%#v\nbad rows %v\nwant\n%#v", got, bad, tc.want)
			}
		})
	}
}

// Bad rows are reported with file:line and the rows around them are read (issue 17: "skip and report
// them with file:line, and send to the rest").
func TestBadRowsAreReportedAndTheRestRead(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		wantEmails          string
		wantBad             []RowError
	}{
		{
			name: "CSVRowWithoutEmail", file: "broken.csv",
			content:    "name,email\nA,a@example.com\nB,\nC,c@example.com\nD\n",
			wantEmails: "a@example.com c@example.com",
			wantBad:    []RowError{{"broken.csv:3", "row has no email"}, {"broken.csv:5", "row has no email"}},
		},
		{
			name: "CSVInvalidAddresses", file: "c.csv",
			content:    "name,email\nPat,pat@\nJo,jo-at-example.com\nOk,ok@example.com\n",
			wantEmails: "ok@example.com",
			wantBad: []RowError{
				{"c.csv:2", `"pat@" is not a valid email address: missing '@' or angle-addr`},
				{"c.csv:3", `"jo-at-example.com" is not a valid email address: missing '@' or angle-addr`},
			},
		},
		{
			name: "CSVBareQuote", file: "c.csv",
			content:    "name,email\nA,a@example.com\nB \"the\" C,b@example.com\nD,d@example.com\n",
			wantEmails: "a@example.com d@example.com",
			wantBad:    []RowError{{"c.csv:3", `bare " in non-quoted-field`}},
		},
		{
			name: "VCardWithoutEmail", file: "c.vcf",
			content:    "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\n\nBEGIN:VCARD\nFN:B\nTEL:555\nEND:VCARD\nBEGIN:VCARD\nFN:C\nEMAIL: \nEND:VCARD\nBEGIN:VCARD\nFN:D\nEMAIL:d@example.com\nEND:VCARD\n",
			wantEmails: "a@example.com d@example.com",
			wantBad:    []RowError{{"c.vcf:6", "card has no EMAIL"}, {"c.vcf:10", "card has no EMAIL"}},
		},
		{
			name: "VCardInvalidAddress", file: "c.vcf",
			content:    "BEGIN:VCARD\nFN:Jo\nEMAIL:jo-at-example.com\nEND:VCARD\n",
			wantEmails: "",
			wantBad:    []RowError{{"c.vcf:3", `"jo-at-example.com" is not a valid email address: missing '@' or angle-addr`}},
		},
		{
			name: "VCardWithoutEndBeforeNextCard", file: "c.vcf",
			content:    "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nBEGIN:VCARD\nFN:B\nEMAIL:b@example.com\nEND:VCARD\n",
			wantEmails: "b@example.com",
			wantBad:    []RowError{{"c.vcf:1", "card has no END:VCARD before the next BEGIN:VCARD on line 4"}},
		},
		{
			name: "VCardWithoutEndAtTheEnd", file: "c.vcf",
			content:    "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\nBEGIN:VCARD\nFN:B\nEMAIL:b@example.com\n",
			wantEmails: "a@example.com",
			wantBad:    []RowError{{"c.vcf:5", "card has no END:VCARD"}},
		},
		{
			name: "VCardTextBetweenCards", file: "c.vcf",
			content:    "BEGIN:VCARD\nFN:A\nEMAIL:a@example.com\nEND:VCARD\nhello\nBEGIN:VCARD\nFN:B\nEMAIL:b@example.com\nEND:VCARD\n",
			wantEmails: "a@example.com b@example.com",
			wantBad:    []RowError{{"c.vcf:5", `expected BEGIN:VCARD, found "hello"`}},
		},
		{
			name: "VCardUnknownCharset", file: "c.vcf",
			content:    "BEGIN:VCARD\nFN;CHARSET=X-MADE-UP:A\nEMAIL:a@example.com\nEND:VCARD\n",
			wantEmails: "",
			wantBad:    []RowError{{"c.vcf:1", `card has a value in an unknown CHARSET "X-MADE-UP"`}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, bad := readAll(t, writeFile(t, tc.file, tc.content))
			var emails []string
			for _, c := range got {
				emails = append(emails, c.Email)
			}
			if strings.Join(emails, " ") != tc.wantEmails || !reflect.DeepEqual(bad, tc.wantBad) {
				t.Fatalf("read %q with bad rows\n%q\nwant %q with\n%q", emails, bad, tc.wantEmails, tc.wantBad)
			}
		})
	}
}

func TestAFileThatIsNotAnAddressBookStops(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		wantLine            int
		wantMsg             string
	}{
		{"NotAVCard", "c.vcf", "name,email\nA,a@example.com\n", 1, `expected BEGIN:VCARD, found "name,email"; is this a vCard file?`},
		{"CSVWithoutEmailColumn", "c.csv", "\nname,phone\nA,555\n", 2, "header has no email column (one of email, e-mail, email address, e-mail address, mail)"},
		{"CSVUnterminatedQuote", "c.csv", "name,email\n\"A,a@example.com\nB,b@example.com\n", 2, `extraneous or missing " in quoted-field`},
		{"CSVEndlessRow", "c.csv", "name,email\nA,a@example.com\n\"" + strings.Repeat("x", MaxRowBytes+100<<10), 3, "longer than 1048576 bytes"},
		{"UnsupportedType", "c.txt", "a@example.com\n", 0, `unsupported contacts file type ".txt"; use .vcf or .csv`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			_, _, err := ReadAll(context.Background(), path)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got error %v, want a *FormatError", err)
			}
			if fe.Path != path || fe.Line != tc.wantLine || !strings.Contains(fe.Msg, tc.wantMsg) {
				t.Fatalf("got %q (line %d), want %s line %d: …%s…", err, fe.Line, path, tc.wantLine, tc.wantMsg)
			}
		})
	}
	t.Run("MissingFile", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "none.csv"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want fs.ErrNotExist", err)
		}
	})
}

// checkpointFiles are address books with the awkward parts a resumed read must get right: folded lines,
// CRLF, blank lines, a byte-order mark, quoted line breaks, bad rows.
var checkpointFiles = []struct{ name, content string }{
	{"book.vcf", "\uFEFFBEGIN:VCARD\r\nFN:Ann\r\n  Example\r\nEMAIL:ann@exa\r\n\tmple.com\r\nEND:VCARD\r\n\r\n" +
		"BEGIN:VCARD\nFN:Ben\nEMAIL:ben@example.com\nBEGIN:VCARD\nFN:Bad\nEND:VCARD\n" +
		"BEGIN:VCARD\nFN:Cat\nEMAIL;PREF=1:cat@example.com\nEND:VCARD\nstray\n" +
		"BEGIN:VCARD\nFN:Dov\nEMAIL:dov@example.com\nEND:VCARD"},
	{"book.csv", "\uFEFFName,Email\r\nAnn,ann@example.com\r\n\"Ben\nBenson\",ben@example.com\n\n" +
		"Bad,\nCat,\"cat@example.com\"\nOdd \"one\",x@example.com\nDov,dov@example.com"},
}

func TestPagesFromEveryCheckpointGiveTheSameRead(t *testing.T) {
	ctx := context.Background()
	for _, file := range checkpointFiles {
		t.Run(file.name, func(t *testing.T) {
			path := writeFile(t, file.name, file.content)
			wantContacts, wantBad := readAll(t, path)
			if len(wantContacts) < 3 || len(wantBad) < 2 || len(wantContacts)+len(wantBad) != 6 {
				t.Fatalf("read %d contacts and %d bad rows, want 6 rows: %+v %+v", len(wantContacts), len(wantBad), wantContacts, wantBad)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()

			// One row a page: a checkpoint after every row.
			var cps []Checkpoint
			var contacts []Contact
			var bad []RowError
			for cp := (Checkpoint{}); !cp.Done; {
				p, err := r.ReadPage(ctx, cp, 1)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(p.Contacts) + len(p.Bad); n > 1 {
					t.Fatalf("a page of at most 1 row has %d", n)
				}
				contacts, bad, cp = append(contacts, p.Contacts...), append(bad, p.Bad...), p.Next
				cps = append(cps, cp)
				if len(cps) > 20 {
					t.Fatal("the read does not end")
				}
			}
			if !reflect.DeepEqual(contacts, wantContacts) || !reflect.DeepEqual(bad, wantBad) {
				t.Fatalf("page by page: %+v %+v\nwant %+v %+v", contacts, bad, wantContacts, wantBad)
			}
			if last := cps[len(cps)-1]; last.Offset != int64(len(file.content)) {
				t.Errorf("the last checkpoint is at %d of %d bytes", last.Offset, len(file.content))
			}

			t.Run("FromEachCheckpointTheRestIsTheSame", func(t *testing.T) {
				for i, cp := range cps {
					fresh, err := Open(path) // as a later attempt in another process would
					if err != nil {
						t.Fatal(err)
					}
					var rest []Contact
					var restBad []RowError
					for !cp.Done {
						p, err := fresh.ReadPage(ctx, cp, 100)
						if err != nil {
							t.Fatalf("from checkpoint %d %+v: %v", i, cp, err)
						}
						rest, restBad, cp = append(rest, p.Contacts...), append(restBad, p.Bad...), p.Next
					}
					fresh.Close()
					want := max(0, len(wantContacts)+len(wantBad)-(i+1)) // the last checkpoint is the end's
					if n := len(rest) + len(restBad); n != want {
						t.Errorf("from checkpoint %d: %d rows, want %d", i, n, want)
					}
					if !sameRows(rest, wantContacts[len(wantContacts)-len(rest):]) || !sameRows(restBad, wantBad[len(wantBad)-len(restBad):]) {
						t.Errorf("from checkpoint %d: %+v %+v, want the file's last rows", i, rest, restBad)
					}
				}
			})

			t.Run("ACheckpointOfAnotherVersionOfTheFileIsRefused", func(t *testing.T) {
				stale := cps[1]
				for name, change := range map[string]func(*Checkpoint){
					"Size":    func(cp *Checkpoint) { cp.Size++ },
					"ModTime": func(cp *Checkpoint) { cp.ModTime -= int64(time.Second) },
					"Offset":  func(cp *Checkpoint) { cp.Offset = cp.Size + 1 },
				} {
					cp := stale
					change(&cp)
					_, err := r.ReadPage(ctx, cp, 10)
					var ce *ChangedError
					if !errors.As(err, &ce) || !strings.Contains(err.Error(), path+" changed while it was being read") {
						t.Errorf("checkpoint with another %s: err = %v, want a *ChangedError naming the file", name, err)
					}
				}
			})
		})
	}
}

func TestCheckpointJSONIsSmall(t *testing.T) {
	cp := Checkpoint{Offset: 1 << 40, Line: 1 << 30, Size: 1 << 40, ModTime: time.Now().UnixNano()}
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) >= 200 {
		t.Fatalf("checkpoint is %d bytes: %s", len(b), b)
	}
	var back Checkpoint
	if err := json.Unmarshal(b, &back); err != nil || back != cp {
		t.Fatalf("round trip = %+v, %v; want %+v", back, err, cp)
	}
}

func TestPageIsBoundedInBytes(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,email\n")
	long := strings.Repeat("n", 10_000)
	for i := range 300 {
		b.WriteString(long + ",p" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + "@example.com\n")
	}
	r, err := Open(writeFile(t, "wide.csv", b.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.ReadPage(context.Background(), Checkpoint{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(p.Contacts)
	if p.Done() || len(js) > MaxPageBytes+20_000 || len(p.Contacts) < 50 {
		t.Fatalf("a page of %d wide rows (%d bytes of JSON, done %v), want it cut near %d bytes", len(p.Contacts), len(js), p.Done(), MaxPageBytes)
	}
}

func TestReadPageRefusesAnEmptyPage(t *testing.T) {
	r, err := Open(writeFile(t, "c.csv", "email\na@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ReadPage(context.Background(), Checkpoint{}, 0); err == nil {
		t.Fatal("a page of 0 rows was read")
	}
}

func TestACancelledReadStops(t *testing.T) {
	r, err := Open(writeFile(t, "c.csv", "email\na@example.com\nb@example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.ReadPage(ctx, Checkpoint{}, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// sameRows compares two lists, nil and empty alike.
func sameRows[T any](a, b []T) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

func TestReadsTheExamples(t *testing.T) {
	for _, file := range []string{"contacts.vcf", "contacts.csv"} {
		got, bad := readAll(t, filepath.Join("..", "..", "examples", file))
		var emails []string
		for _, c := range got {
			emails = append(emails, c.Email)
		}
		if got, want := strings.Join(emails, " "), "alice@example.com bob@example.com carol@example.com"; got != want || len(bad) != 0 {
			t.Errorf("%s: emails = %q with bad rows %v, want %q", file, got, bad, want)
		}
	}
}
