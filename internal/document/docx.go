package document

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/eaapl/eaapl/internal/workspace"
)

// docxText reads the text of a Word document's body (word/document.xml) and its title (docProps/core.xml):
// a line per paragraph, tabs and breaks kept, a line per table row with its cells tab-separated. The parts are read through a limit on their uncompressed size,
// so a zip bomb stops at maxText.
func docxText(r io.ReaderAt, size, maxText int64) (title, text string, err error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return "", "", fmt.Errorf("not a .docx (a .docx is a zip file): %v", err)
	}
	var body, core *zip.File
	for _, f := range z.File {
		switch f.Name {
		case "word/document.xml":
			body = f
		case "docProps/core.xml":
			core = f
		}
	}
	if body == nil {
		return "", "", errors.New("not a .docx: it has no word/document.xml")
	}
	text, err = docxBody(body, maxText)
	if err != nil {
		return "", "", err
	}
	if core != nil {
		title = docxTitle(core)
	}
	return title, text, nil
}

const wordML = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

func docxBody(f *zip.File, maxText int64) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", fmt.Errorf("word/document.xml: %v", err)
	}
	defer rc.Close()
	// The XML is a few times larger than its text; the bound is on the XML as it is unpacked.
	lr := &io.LimitedReader{R: rc, N: 8*maxText + 1}
	dec := xml.NewDecoder(lr)
	var b, para strings.Builder
	inText := false
	var row []string  // the cells of the table row being read
	var cell []string // the paragraphs of the cell being read
	cellDepth := 0    // nested tables count
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if lr.N <= 0 {
				return "", fmt.Errorf("word/document.xml unpacks to more than %s", workspace.HumanSize(8*maxText))
			}
			return "", fmt.Errorf("word/document.xml: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != wordML {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				para.WriteByte('\t')
			case "br", "cr":
				para.WriteByte('\n')
			case "tc":
				cellDepth++
			}
		case xml.EndElement:
			if t.Name.Space != wordML {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				p := strings.TrimRight(para.String(), " \t")
				para.Reset()
				if cellDepth > 0 {
					cell = append(cell, p)
					continue
				}
				b.WriteString(p)
				b.WriteByte('\n')
			case "tc":
				cellDepth--
				row = append(row, strings.Join(cell, " "))
				cell = nil
			case "tr":
				if cellDepth == 0 { // a row of a table at the top level: one line, cells tab-separated
					b.WriteString(strings.Join(row, "\t"))
					b.WriteByte('\n')
					row = nil
				}
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		}
		if int64(b.Len()+para.Len()) > maxText {
			return "", fmt.Errorf("its text is more than the limit of %s", workspace.HumanSize(maxText))
		}
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

func docxTitle(f *zip.File) string {
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	var core struct {
		Title string `xml:"http://purl.org/dc/elements/1.1/ title"`
	}
	if xml.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&core) != nil {
		return ""
	}
	return strings.TrimSpace(core.Title)
}
