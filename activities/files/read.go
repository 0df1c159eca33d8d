package files

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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
		Phrases:    []string{"open the document {path}", "open {path}", "read the document {path}", "read the file {path}", "read {path}"},
		Statements: []string{"open the document {path}", "open the file {path}", "open {path}", "read the document {path}", "read the file {path}", "read {path}"},
		Args:       map[string][]string{"path": {"the document", "the file"}},
		Quiet:      true,
		Results: map[string]catalog.ResultWords{
			"text":   {Noun: "the document's text", Words: []string{"it", "the document", "the text", "the file"}, Subject: "{path}"},
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

// The most rows ReadTable's output carries itself, and the most bytes of their fields: its output travels
// in one Temporal payload (2 MB at most). With a content store (a worker always has one), a longer table
// is kept there as a stored list (contentvalue.List) as it is read, and its rows reach the steps that use
// them a page at a time, so that neither the output nor the program's history grows with the table;
// MaxStoredRows bounds that list. Without a store, MaxRows is the most a table may have.
const (
	inlineRows    = 1000
	MaxRows       = 10000
	MaxRowBytes   = 1 << 20
	MaxStoredRows = 2_000_000
)

type readTableArgs struct {
	Path  string `json:"path" eaapl:"path,required" desc:"the .csv or .xlsx file, inside the workspace"`
	Sheet string `json:"sheet" desc:"the .xlsx sheet; the first when empty"`
	// Columns lets a wrong placeholder ({ordr}) stop the program once, when the header is read, instead
	// of failing each row after the rows before it were emailed.
	Columns []string `json:"columns" desc:"the columns the program uses (its {placeholders}, where filters and address column); a table without one of them is refused when its header is read, before any row is used"`
}

type readTableOutput struct {
	Path   string   `json:"path" eaapl:"required" desc:"the file's path inside the workspace"`
	Sheet  string   `json:"sheet" desc:"the sheet read (.xlsx)"`
	Header []string `json:"header" eaapl:"required" desc:"the column names, in order"`
	// Rows is a []map[string]string, or past inlineRows a stored list's value (contentvalue.List.Value),
	// which the workflow reads in pages.
	Rows  any   `json:"rows" eaapl:"list<any>,required" desc:"the rows, each an object of its fields by column name (row.email, row.order), in order"`
	Lines []int `json:"lines" eaapl:"required" desc:"the line (or sheet row) of each row, in the same order; empty when the table has more than 1,000 rows"`
	Count int   `json:"count" eaapl:"required" desc:"how many rows there are"`
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
		what := path
		if v, has := s.Args["sheet"]; has {
			sheet, ok := r.Text(v)
			if !ok {
				return ""
			}
			what = fmt.Sprintf("the sheet %q of %s", sheet, path)
		}
		cols, ok := columnsOf(r, s.Args["columns"])
		if !ok {
			return ""
		}
		if len(cols) == 0 {
			return fmt.Sprintf("Read the rows of %s.", what)
		}
		if len(cols) == 1 {
			return fmt.Sprintf("Read the rows of %s; stop before any row is used unless it has the column %s.", what, cols[0])
		}
		return fmt.Sprintf("Read the rows of %s; stop before any row is used unless it has the columns %s.", what, andList(cols))
	},
	Forms: catalog.Forms{
		Phrases:    []string{"for each row in {path}", "for each row of {path}", "read the table {path}", "the rows of {path}"},
		Statements: []string{"for each row in {path}", "for each row of {path}", "for each row in the table {path}", "for each row of the table {path}", "read the table {path}", "read the rows of {path}", "read the spreadsheet {path}"},
		Args:       map[string][]string{"path": {"the table", "the spreadsheet", "the file"}, "sheet": {"the sheet"}},
		Quiet:      true,
		Results: map[string]catalog.ResultWords{
			"rows":   {Noun: "the table's rows", Each: "row", Words: []string{"the rows", "the table"}, Subject: "{path}"},
			"header": {Noun: "the table's columns"},
			"lines":  {Noun: "the rows' lines"},
			"count":  {Noun: "the number of rows in the table"},
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
	var (
		out    = readTableOutput{Lines: []int{}}
		rows   = []map[string]string{}
		stored *contentvalue.ListWriter // the rows, once there are more than inlineRows
		from   any
		size   int
	)
	for {
		page, err := d.Workspace.ReadTable(ctx, args.Path, args.Sheet, from)
		if err != nil {
			return readTableOutput{}, failure("read", args.Path, err)
		}
		if from == nil {
			if err := hasColumns(args.Path, page.Header, args.Columns); err != nil {
				return readTableOutput{}, err
			}
		}
		out.Path, out.Sheet, out.Header = page.Path, page.Sheet, page.Header
		for _, row := range page.Rows {
			out.Count++
			if stored == nil {
				for k, v := range row.Fields {
					size += len(k) + len(v)
				}
			}
			switch {
			case out.Count > MaxStoredRows:
				return readTableOutput{}, catalog.Invalid("%s has more than %d rows, more than a program reads; split it into smaller files", args.Path, MaxStoredRows)
			case stored == nil && d.Store == nil && (out.Count > MaxRows || size > MaxRowBytes):
				return readTableOutput{}, catalog.Invalid("%s has more rows than one step takes (%d rows, %d KB of fields); split it into smaller files", args.Path, MaxRows, MaxRowBytes>>10)
			case stored == nil && d.Store != nil && (out.Count > inlineRows || size > MaxRowBytes):
				stored = contentvalue.NewListWriter(d.Store, 0)
				for _, kept := range rows {
					if err := stored.Add(ctx, kept); err != nil {
						return readTableOutput{}, fmt.Errorf("read %s: keep its rows in the content store: %w", args.Path, err)
					}
				}
				rows, out.Lines = nil, []int{}
			}
			if stored != nil {
				if err := stored.Add(ctx, row.Fields); err != nil {
					return readTableOutput{}, fmt.Errorf("read %s: keep its rows in the content store: %w", args.Path, err)
				}
				continue
			}
			rows = append(rows, row.Fields)
			out.Lines = append(out.Lines, row.Line)
		}
		catalog.Heartbeat(ctx, out.Count) // progress: rows read so far (a retry reads from the start)
		if page.Next == nil {
			break
		}
		from = page.Next
	}
	out.Rows = rows
	if stored != nil {
		list, err := stored.Finish(ctx)
		if err != nil {
			return readTableOutput{}, fmt.Errorf("read %s: keep its %d rows in the content store: %w", args.Path, out.Count, err)
		}
		out.Rows = list.Value()
	}
	return out, nil
}

// hasColumns refuses a table whose header lacks a column the program uses, naming the columns it has.
func hasColumns(path string, header, want []string) error {
	for _, c := range want {
		if !slices.Contains(header, c) {
			return catalog.Invalid("%q is not a column of %s (its columns: %s); no row was used", c, path, strings.Join(header, ", "))
		}
	}
	return nil
}

// columnsOf reads back the columns argument: literal names, or none. An expression is not read back.
func columnsOf(r catalog.Reading, v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	var out []string
	for _, c := range list {
		t, ok := r.Text(c)
		if !ok {
			return nil, false
		}
		out = append(out, strconv.Quote(t))
	}
	return out, true
}

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
