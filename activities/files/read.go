package files

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

type readDocumentArgs struct {
	Path string `json:"path" eaapl:"path,required" desc:"the file to read, inside the workspace, as the user wrote it: .txt, .md, .html, .json, .csv, .pdf or .docx"`
}

type readDocumentOutput struct {
	Path   string          `json:"path" eaapl:"required" desc:"the file's path inside the workspace"`
	Format string          `json:"format" eaapl:"required" desc:"the format read: txt, md, html, json, csv, pdf or docx"`
	Title  string          `json:"title" desc:"the document's title, when its format has one"`
	Text   catalog.Content `json:"text" eaapl:"required" desc:"the document's text (stored content when it is large)"`
	Size   int64           `json:"size" eaapl:"required" desc:"the file's size in bytes"`
}

// ReadDocument reads a document's text.
var ReadDocument = catalog.Define(catalog.Def[Deps, readDocumentArgs, readDocumentOutput]{
	Name:             "ReadDocument",
	Description:      "Read the text of a document in the workspace: .txt, .md, .html, .json, .csv, .pdf or .docx.",
	SideEffect:       catalog.Reads,
	Timeout:          2 * time.Minute, // a 64 MB PDF is read page by page
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "path", Verb: "Read", Items: "files"},
	Run:              readDocument,
	Hint:             hint,
	ReadBack: func(r catalog.Reading) string {
		path, ok := r.Text(r.Step().Args["path"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("Read the document %s.", path)
	},
	Forms: catalog.Forms{
		Phrases: []string{"open the document {path}", "open {path}", "read the document {path}", "read the file {path}", "read {path}", "for each line in {path}"},
		Statements: []string{"open the document {path}", "open the file {path}", "open {path}", "read the document {path}", "read the file {path}", "read {path}",
			"for each line in {path}", "for each line of {path}"},
		Args:  map[string][]string{"path": {"the document", "the file"}},
		Quiet: true,
		Results: map[string]catalog.ResultWords{
			// Each: "for each line in emails.txt" goes over the text's lines that are not blank.
			"text":   {Noun: "the document's text", Each: "line", Words: []string{"it", "the document", "the text", "the file"}, Subject: "{path}"},
			"title":  {Noun: "the document's title"},
			"path":   {Noun: "the document's path"},
			"format": {Noun: "the document's format"},
			"size":   {Noun: "the document's size"},
		},
	},
})

func readDocument(ctx context.Context, d Deps, args readDocumentArgs) (readDocumentOutput, error) {
	if strings.TrimSpace(args.Path) == "" {
		return readDocumentOutput{}, catalog.Invalid("parameter %q must not be blank", "path")
	}
	if d.Workspace == nil {
		return readDocumentOutput{}, fmt.Errorf("%w: Workspace", catalog.ErrMissingDependency)
	}
	catalog.Heartbeat(ctx, "reading "+args.Path)
	doc, err := d.Workspace.ReadDocument(ctx, args.Path)
	if err != nil {
		return readDocumentOutput{}, failure("read", args.Path, err)
	}
	text, err := contentvalue.Text(ctx, d.Store, doc.Text, "text/plain; charset=utf-8")
	if err != nil {
		return readDocumentOutput{}, err
	}
	return readDocumentOutput{Path: doc.Path, Format: doc.Format, Title: doc.Title, Text: text, Size: doc.Size}, nil
}

// The most rows ReadTable returns, and the most bytes of fields: its rows are a step's output, which
// travels in one Temporal payload (2 MB at most).
const (
	MaxRows     = 10000
	MaxRowBytes = 1 << 20
)

type readTableArgs struct {
	Path  string `json:"path" eaapl:"path,required" desc:"the .csv or .xlsx file, inside the workspace"`
	Sheet string `json:"sheet" desc:"the .xlsx sheet; the first when empty"`
}

type readTableOutput struct {
	Path   string              `json:"path" eaapl:"required" desc:"the file's path inside the workspace"`
	Sheet  string              `json:"sheet" desc:"the sheet read (.xlsx)"`
	Header []string            `json:"header" eaapl:"required" desc:"the column names, in order"`
	Rows   []map[string]string `json:"rows" eaapl:"list<any>,required" desc:"the rows, each an object of its fields by column name (row.email, row.order), in order"`
	Lines  []int               `json:"lines" eaapl:"required" desc:"the line (or sheet row) of each row, in the same order"`
	Count  int                 `json:"count" eaapl:"required" desc:"how many rows there are"`
}

// ReadTable reads the rows of a table.
var ReadTable = catalog.Define(catalog.Def[Deps, readTableArgs, readTableOutput]{
	Name:             "ReadTable",
	Description:      "Read the rows of a .csv or .xlsx file in the workspace as records keyed by the header row; a for_each over rows works like one over contacts, and a row's fields fill message text (\"Your order ${row.order} has shipped\").",
	SideEffect:       catalog.Reads,
	Timeout:          2 * time.Minute,
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "path", Verb: "Read", Items: "files"},
	Run:              readTable,
	Hint:             hint,
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		path, ok := r.Text(s.Args["path"])
		if !ok {
			return ""
		}
		if v, has := s.Args["sheet"]; has {
			sheet, ok := r.Text(v)
			if !ok {
				return ""
			}
			return fmt.Sprintf("Read the rows of the sheet %q of %s.", sheet, path)
		}
		return fmt.Sprintf("Read the rows of %s.", path)
	},
	Forms: catalog.Forms{
		Phrases:    []string{"for each row in {path}", "for each row of {path}", "read the table {path}", "the rows of {path}"},
		Statements: []string{"for each row in {path}", "for each row of {path}", "read the table {path}", "read the rows of {path}", "read the spreadsheet {path}"},
		Args:       map[string][]string{"path": {"the table", "the spreadsheet", "the file"}, "sheet": {"the sheet"}},
		Quiet:      true,
		Results: map[string]catalog.ResultWords{
			"rows":   {Noun: "the table's rows", Each: "row", Words: []string{"the rows", "the table"}, Subject: "{path}"},
			"header": {Noun: "the table's columns"},
			"lines":  {Noun: "the rows' lines"},
			"count":  {Noun: "how many rows the table has"},
			"path":   {Noun: "the table's path"},
			"sheet":  {Noun: "the sheet"},
		},
	},
})

func readTable(ctx context.Context, d Deps, args readTableArgs) (readTableOutput, error) {
	if strings.TrimSpace(args.Path) == "" {
		return readTableOutput{}, catalog.Invalid("parameter %q must not be blank", "path")
	}
	if d.Workspace == nil {
		return readTableOutput{}, fmt.Errorf("%w: Workspace", catalog.ErrMissingDependency)
	}
	out := readTableOutput{Rows: []map[string]string{}, Lines: []int{}}
	var from any
	size := 0
	for {
		page, err := d.Workspace.ReadTable(ctx, args.Path, args.Sheet, from)
		if err != nil {
			return readTableOutput{}, failure("read", args.Path, err)
		}
		out.Path, out.Sheet, out.Header = page.Path, page.Sheet, page.Header
		for _, row := range page.Rows {
			for k, v := range row.Fields {
				size += len(k) + len(v)
			}
			if len(out.Rows) == MaxRows || size > MaxRowBytes {
				return readTableOutput{}, catalog.Invalid("%s has more rows than one step takes (%d rows, %d KB of fields); split it into smaller files", args.Path, MaxRows, MaxRowBytes>>10)
			}
			out.Rows = append(out.Rows, row.Fields)
			out.Lines = append(out.Lines, row.Line)
		}
		catalog.Heartbeat(ctx, len(out.Rows)) // progress: rows read so far
		if page.Next == nil {
			break
		}
		from = page.Next
	}
	out.Count = len(out.Rows)
	return out, nil
}
