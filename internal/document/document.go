// Package document turns a file of the workspace into plain text: .txt, .md, .html, .json, .csv, .pdf and
// .docx, chosen by the file's extension. It is what ReadDocument runs; the text fills messages and the
// analysis steps, never code.
//
// Libraries: HTML is parsed by golang.org/x/net/html (with its charset detection); PDF text comes from
// github.com/ledongthuc/pdf (the maintained fork of rsc.io/pdf), read row by row; .docx has no
// well-kept Go reader that is worth a dependency for text alone, so its word/document.xml is read from the
// zip with encoding/xml (paragraphs, tabs and breaks, table rows with tab-separated cells; no headers,
// footers or footnotes).
package document

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/eaapl/eaapl/internal/workspace"
)

// Document is the text of one file.
type Document struct {
	Path   string `json:"path"`   // inside the workspace
	Format string `json:"format"` // one of Formats
	Title  string `json:"title,omitempty"`
	Text   string `json:"text"`
	Size   int64  `json:"size"` // of the file, in bytes
}

// Formats are the formats Read understands, by the extensions that name them.
var Formats = map[string]string{
	".txt": "text", ".text": "text", ".log": "text",
	".md": "markdown", ".markdown": "markdown",
	".html": "html", ".htm": "html",
	".json": "json",
	".csv":  "csv",
	".pdf":  "pdf",
	".docx": "docx",
}

// Limits bound a read. Zero fields take the defaults.
type Limits struct {
	MaxFileBytes int64 // the file; DefaultMaxFileBytes
	MaxTextBytes int64 // the text taken out of it (a compressed .docx or .pdf can hold far more); DefaultMaxTextBytes
}

// The default limits: a 50 MB report reads; a larger one is refused before it is read.
const (
	DefaultMaxFileBytes = 64 << 20
	DefaultMaxTextBytes = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultMaxTextBytes
	}
	return l
}

// FormatError is a file that is not what its extension says, or of a format Read does not know. Retrying
// cannot fix it.
type FormatError struct {
	Path string
	Msg  string
}

func (e *FormatError) Error() string { return e.Path + ": " + e.Msg }

// Read reads the workspace file name as text. A path outside the workspace is a *workspace.OutsideError, a
// file over the limit a *workspace.TooLargeError (both before anything is read), a file that does not parse
// a *FormatError; a missing file satisfies errors.Is(err, fs.ErrNotExist). ctx stops a long PDF between pages.
func Read(ctx context.Context, ws *workspace.Workspace, name string, lim Limits) (Document, error) {
	lim = lim.withDefaults()
	ext := strings.ToLower(filepath.Ext(name))
	format, ok := Formats[ext]
	if !ok {
		return Document{}, &FormatError{Path: name, Msg: fmt.Sprintf("cannot read %q files as documents; use .txt, .md, .html, .json, .csv, .pdf or .docx", ext)}
	}
	f, err := ws.Open(name, lim.MaxFileBytes)
	if err != nil {
		return Document{}, err
	}
	defer f.Close()
	doc := Document{Path: f.Path, Format: format, Size: f.Info.Size()}
	switch format {
	case "pdf":
		doc.Title, doc.Text, err = pdfText(ctx, f, f.Info.Size(), lim.MaxTextBytes)
	case "docx":
		doc.Title, doc.Text, err = docxText(f, f.Info.Size(), lim.MaxTextBytes)
	default:
		var data []byte
		if data, err = io.ReadAll(io.LimitReader(f, lim.MaxFileBytes+1)); err != nil {
			return Document{}, fmt.Errorf("read %s: %w", name, err)
		}
		if int64(len(data)) > lim.MaxFileBytes { // it grew since it was opened
			return Document{}, &workspace.TooLargeError{Path: name, Size: int64(len(data)), Limit: lim.MaxFileBytes}
		}
		doc.Title, doc.Text, err = Parse(format, data)
	}
	if err != nil {
		return Document{}, &FormatError{Path: name, Msg: err.Error()}
	}
	if int64(len(doc.Text)) > lim.MaxTextBytes {
		return Document{}, &FormatError{Path: name, Msg: fmt.Sprintf("its text is %s, more than the limit of %s",
			workspace.HumanSize(int64(len(doc.Text))), workspace.HumanSize(lim.MaxTextBytes))}
	}
	return doc, nil
}

// Parse turns the bytes of a text-like format ("text", "markdown", "html", "json", "csv") into a title, when
// the format has one, and text. FetchURL uses it for pages.
func Parse(format string, data []byte) (title, text string, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	switch format {
	case "text", "csv":
		return "", validUTF8(data), nil
	case "markdown":
		text = validUTF8(data)
		return markdownTitle(text), text, nil
	case "json":
		if !json.Valid(data) {
			var v any
			err := json.Unmarshal(data, &v)
			return "", "", fmt.Errorf("not valid JSON: %v", err)
		}
		return "", validUTF8(data), nil
	case "html":
		return HTMLText(bytes.NewReader(data), "")
	}
	return "", "", fmt.Errorf("unknown format %q", format)
}

// validUTF8 keeps text printable: bytes that are not UTF-8 (a Latin-1 file) become U+FFFD.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// markdownTitle is the first heading: "# Title", or a line underlined with === .
func markdownTitle(text string) string {
	lines := strings.SplitN(text, "\n", 200)
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "# ") {
			return strings.TrimSpace(strings.TrimRight(l[2:], "# "))
		}
		if i+1 < len(lines) && l != "" {
			next := strings.TrimSpace(lines[i+1])
			if len(next) >= 3 && strings.Trim(next, "=") == "" {
				return l
			}
		}
	}
	return ""
}
