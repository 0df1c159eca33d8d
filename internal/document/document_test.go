package document

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"github.com/eaapl/eaapl/internal/testenv"
)

// writePDF makes a two-page PDF with fpdf, a real PDF writer, with the Info title set.
func writePDF(tb testing.TB) []byte {
	tb.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetTitle("Quarterly Report", true)
	p.SetFont("Helvetica", "", 12)
	p.AddPage()
	p.Cell(0, 10, "Revenue grew in the third quarter.")
	p.Ln(12)
	p.Cell(0, 10, "July: 120 units")
	p.AddPage()
	p.Cell(0, 10, "Outlook is steady.")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// writeDOCX makes the smallest .docx Word opens: the content types, the package relationship, the body
// and the core properties with a title.
func writeDOCX(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Meeting </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>notes</w:t></w:r></w:p>
<w:p><w:r><w:t>Owner:</w:t><w:tab/><w:t>Alice &amp; Bob</w:t></w:r></w:p>
<w:p><w:r><w:t>line one</w:t><w:br/><w:t>line two</w:t></w:r></w:p>
</w:body></w:document>`,
		"docProps/core.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Team Meeting</dc:title></cp:coreProperties>`,
	}
	for name, text := range parts {
		f, err := z.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		f.Write([]byte(text))
	}
	if err := z.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestRead(t *testing.T) {
	w := testenv.Workspace(t)
	ctx := context.Background()
	html := `<!doctype html><html><head><title>Status  page</title><style>p{color:red}</style>
<script>alert("x")</script></head><body><h1>All systems</h1><p>API is   <b>up</b>.<br>Mail is up.</p>
<ul><li>one</li><li>two</li></ul><table><tr><th>Service</th><th>State</th></tr><tr><td>db</td><td>ok</td></tr></table>
<img src="x.png" alt="a chart"></body></html>`
	latin1 := []byte("<html><head><meta charset=\"iso-8859-1\"><title>Caf\xe9</title></head><body>na\xefve</body></html>")
	testenv.PutFile(t, w, "todo.txt", []byte("\xef\xbb\xbfbuy milk\ncall Bob"))
	testenv.PutFile(t, w, "q3-report.md", []byte("Intro text\n\n# Q3 Report #\n\nRevenue up."))
	testenv.PutFile(t, w, "setext.md", []byte("Weekly Notes\n===\n\nbody"))
	testenv.PutFile(t, w, "page.html", []byte(html))
	testenv.PutFile(t, w, "latin.htm", latin1)
	testenv.PutFile(t, w, "data.json", []byte(`{"a": [1, 2]}`))
	testenv.PutFile(t, w, "orders.csv", []byte("order,email\n1,a@example.com\n"))
	testenv.PutFile(t, w, "report.pdf", writePDF(t))
	testenv.PutFile(t, w, "notes.docx", writeDOCX(t))
	// Written by a real word processor's format writer: pandoc 2.17 from testdata/meeting-notes.md
	// (pandoc testdata/meeting-notes.md -o testdata/meeting-notes.docx).
	fixture, err := os.ReadFile("testdata/meeting-notes.docx")
	if err != nil {
		t.Fatal(err)
	}
	testenv.PutFile(t, w, "meeting-notes.docx", fixture)

	for _, c := range []struct {
		name, format, title, text string
	}{
		{"todo.txt", "text", "", "buy milk\ncall Bob"},
		{"q3-report.md", "markdown", "Q3 Report", "Intro text\n\n# Q3 Report #\n\nRevenue up."},
		{"setext.md", "markdown", "Weekly Notes", "Weekly Notes\n===\n\nbody"},
		{"page.html", "html", "Status page", "All systems\nAPI is up.\nMail is up.\n- one\n- two\nService\tState\ndb\tok\na chart"},
		{"latin.htm", "html", "Café", "naïve"},
		{"data.json", "json", "", `{"a": [1, 2]}`},
		{"orders.csv", "csv", "", "order,email\n1,a@example.com\n"},
		{"report.pdf", "pdf", "Quarterly Report", "Revenue grew in the third quarter.\nJuly: 120 units\n\f\nOutlook is steady."},
		{"notes.docx", "docx", "Team Meeting", "Meeting notes\nOwner:\tAlice & Bob\nline one\nline two"},
		{"meeting-notes.docx", "docx", "Meeting Notes", "Meeting Notes\nDecisions\nThe team agreed to ship version 2 on Friday.\nOwner\tTask\nAlice\tRelease notes\nBob\tDeploy\nFollow up with Carol\nBook the room"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Read(ctx, w, c.name, Limits{})
			if err != nil {
				t.Fatalf("Read(%s): %v", c.name, err)
			}
			info, _ := os.Stat(filepath.Join(w.Dir(), c.name))
			if doc.Format != c.format || doc.Title != c.title || doc.Text != c.text || doc.Size != info.Size() || doc.Path != c.name {
				t.Fatalf("Read(%s) = %+v\nwant format %q title %q size %d text %q", c.name, doc, c.format, c.title, info.Size(), c.text)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	w := testenv.Workspace(t)
	ctx := context.Background()
	testenv.PutFile(t, w, "big.txt", bytes.Repeat([]byte("x"), 2000))
	testenv.PutFile(t, w, "bad.json", []byte(`{"a": `))
	testenv.PutFile(t, w, "fake.pdf", []byte("%PDF-1.4 this is not really a pdf"))
	testenv.PutFile(t, w, "fake.docx", []byte("not a zip"))
	testenv.PutFile(t, w, "image.png", []byte("\x89PNG"))
	bomb := func() []byte { // a .docx whose body unpacks to far more than its size
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		f, _ := z.Create("word/document.xml")
		f.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`))
		f.Write(bytes.Repeat([]byte("a"), 1<<20))
		f.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
		z.Close()
		return buf.Bytes()
	}()
	testenv.PutFile(t, w, "bomb.docx", bomb)
	real := writePDF(t)
	testenv.PutFile(t, w, "cut.pdf", real[:len(real)/2]) // a real PDF cut in half, as a failed download leaves it
	testenv.PutFile(t, w, "empty.pdf", "")

	for _, c := range []struct {
		name string
		lim  Limits
		want string
	}{
		{"big.txt", Limits{MaxFileBytes: 1000}, "big.txt is 2.0 KB, more than the limit of 1000 B"},
		{"bad.json", Limits{}, "bad.json: not valid JSON"},
		{"fake.pdf", Limits{}, "fake.pdf: not a PDF"},
		{"fake.docx", Limits{}, "fake.docx: not a .docx"},
		{"image.png", Limits{}, `image.png: cannot read ".png" files as documents`},
		{"bomb.docx", Limits{MaxTextBytes: 64 << 10}, "bomb.docx: its text is more than the limit of 64.0 KB"},
		{"../etc/passwd.txt", Limits{}, "../etc/passwd.txt is outside the workspace"},
		{"cut.pdf", Limits{}, "cut.pdf: not a PDF"},
		{"empty.pdf", Limits{}, "empty.pdf: not a PDF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Read(ctx, w, c.name, c.lim)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read(%s) = %+v, %v; want an error containing %q", c.name, doc, err, c.want)
			}
		})
	}
	t.Run("Missing", func(t *testing.T) {
		if _, err := Read(ctx, w, "nope.md", Limits{}); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Read(nope.md) = %v, want not exist", err)
		}
	})
}

// A 50 MB document reads under the default limits, and its text is all there.
func TestReadLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50 MB")
	}
	w := testenv.Workspace(t)
	line := []byte("The quick brown fox jumps over the lazy dog.\n")
	big := bytes.Repeat(line, 50<<20/len(line))
	testenv.PutFile(t, w, "big.md", big)
	doc, err := Read(context.Background(), w, "big.md", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Text) != len(big) {
		t.Fatalf("read %d bytes of text, want %d", len(doc.Text), len(big))
	}
}
