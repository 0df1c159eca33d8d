// Package table reads the rows of a .csv or .xlsx file of the workspace as records keyed by the header row,
// a page at a time, so that a for_each over a long sheet can go on from where it got to. It is what
// ReadTable runs; a row's fields fill message placeholders as text, never code.
//
// CSV is read with encoding/csv (the delimiter , ; or tab is taken from the header line); .xlsx with
// github.com/xuri/excelize/v2, whose cell values come formatted as the sheet shows them (dates, percent).
package table

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/eaapl/eaapl/internal/workspace"
)

// Row is one record: its line (CSV) or row number (sheet) in the file, and its fields by header name.
type Row struct {
	Line   int               `json:"line"`
	Fields map[string]string `json:"fields"`
}

// Checkpoint is where the next page begins: the file as it was when the page was read, and how many rows
// after the header were consumed (blank rows count). A CSV also keeps the byte offset, so the next page
// seeks instead of reading again.
type Checkpoint struct {
	Path    string    `json:"path"`
	Sheet   string    `json:"sheet,omitempty"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Rows    int       `json:"rows"`
	Offset  int64     `json:"offset,omitempty"` // CSV: the byte after the last row read
	Line    int       `json:"line,omitempty"`   // CSV: the line that row ended on
}

// Page is a run of rows of one table.
type Page struct {
	Path   string   `json:"path"`
	Sheet  string   `json:"sheet,omitempty"` // .xlsx only
	Header []string `json:"header"`
	Rows   []Row    `json:"rows"`
	// Next is where the following page begins; nil when this page reached the end.
	Next *Checkpoint `json:"next,omitempty"`
}

// Options shape a read. Zero fields take the defaults.
type Options struct {
	Sheet        string // the .xlsx sheet; the first when empty
	PageSize     int    // rows per page; DefaultPageSize
	MaxFileBytes int64  // DefaultMaxFileBytes
}

// Defaults for Options.
const (
	DefaultPageSize     = 1000
	DefaultMaxFileBytes = 64 << 20
)

// MaxPageBytes ends a page early when its fields reach it, so that a page always fits in one Temporal
// payload (2 MB), whatever page size the caller asked for.
const MaxPageBytes = 1 << 20

// FormatError is a table that cannot be read as records: which file, which line or row (0 for the whole
// file), and what is wrong. Retrying cannot fix it.
type FormatError struct {
	Path string
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
}

// ChangedError is a page asked for from a checkpoint of a file that has changed since: going on would skip
// or repeat rows, so the program must decide (read it again from the start, or stop).
type ChangedError struct {
	Path string
	Rows int // rows read before the change
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s changed after its first %d rows were read; read it again from the start", e.Path, e.Rows)
}

// Read reads a page of the table name: from the first row after the header when from is nil, else from the
// checkpoint a page before returned. Paths outside the workspace and files over the limit are refused
// before anything is read (workspace errors); a malformed table is a *FormatError; a checkpoint of a file
// that changed is a *ChangedError.
func Read(ctx context.Context, ws *workspace.Workspace, name string, from *Checkpoint, opt Options) (Page, error) {
	if opt.PageSize <= 0 {
		opt.PageSize = DefaultPageSize
	}
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = DefaultMaxFileBytes
	}
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".csv" && ext != ".xlsx" {
		return Page{}, &FormatError{Path: name, Msg: fmt.Sprintf("cannot read %q files as tables; use .csv or .xlsx", ext)}
	}
	f, err := ws.Open(name, opt.MaxFileBytes)
	if err != nil {
		return Page{}, err
	}
	defer f.Close()
	at := Checkpoint{Path: f.Path, Size: f.Info.Size(), ModTime: f.Info.ModTime().UTC()}
	if from != nil {
		if from.Path != at.Path || from.Size != at.Size || !from.ModTime.Equal(at.ModTime) || from.Rows < 0 ||
			(ext == ".xlsx" && opt.Sheet != "" && from.Sheet != opt.Sheet) {
			return Page{}, &ChangedError{Path: name, Rows: from.Rows}
		}
		at.Rows, at.Offset, at.Line, at.Sheet = from.Rows, from.Offset, from.Line, from.Sheet
		if opt.Sheet == "" {
			opt.Sheet = from.Sheet
		}
	}
	r := &reader{ctx: ctx, name: name, page: Page{Path: f.Path}, at: at, size: opt.PageSize}
	if ext == ".csv" {
		err = r.csv(f.File, from != nil)
	} else {
		err = r.xlsx(f.File, opt)
	}
	if err != nil {
		return Page{}, err
	}
	return r.page, nil
}

// reader is one page being read.
type reader struct {
	ctx    context.Context
	name   string
	page   Page
	at     Checkpoint
	size   int
	bytes  int // of the page's fields so far
	header []string
}

// setHeader checks the header row: every column named, no name twice.
func (r *reader) setHeader(cells []string, line int, column func(int) string) error {
	seen := map[string]int{}
	last := len(cells)
	for last > 0 && strings.TrimSpace(cells[last-1]) == "" {
		last-- // trailing empty header cells name no column
	}
	if last == 0 {
		return &FormatError{Path: r.name, Line: line, Msg: "the header row is empty; the first row must name the columns"}
	}
	header := make([]string, last)
	for i, c := range cells[:last] {
		c = strings.TrimSpace(c)
		if c == "" {
			return &FormatError{Path: r.name, Line: line, Msg: fmt.Sprintf("column %s has no name in the header row", column(i))}
		}
		if j, dup := seen[c]; dup {
			return &FormatError{Path: r.name, Line: line, Msg: fmt.Sprintf("columns %s and %s are both named %q", column(j), column(i), c)}
		}
		seen[c] = i
		header[i] = c
	}
	r.header = header
	r.page.Header = header
	return nil
}

// add records a row; blank rows are skipped. It reports whether the page is full.
func (r *reader) add(cells []string, line int, column func(int) string) (full bool, err error) {
	r.at.Rows++
	blank := true
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			blank = false
			break
		}
	}
	if blank {
		return false, nil
	}
	for i := len(r.header); i < len(cells); i++ {
		if strings.TrimSpace(cells[i]) != "" {
			return false, &FormatError{Path: r.name, Line: line, Msg: fmt.Sprintf("column %s holds %q but the header names only %d columns", column(i), cells[i], len(r.header))}
		}
	}
	fields := make(map[string]string, len(r.header))
	for i, h := range r.header {
		if i < len(cells) {
			fields[h] = strings.TrimSpace(cells[i])
		} else {
			fields[h] = ""
		}
		r.bytes += len(h) + len(fields[h]) + 6 // the JSON's quotes, colon and comma
	}
	r.page.Rows = append(r.page.Rows, Row{Line: line, Fields: fields})
	return len(r.page.Rows) == r.size || r.bytes >= MaxPageBytes, r.ctx.Err()
}

func csvColumn(i int) string { return fmt.Sprint(i + 1) }

// csv reads the header, then the page from the checkpoint's byte offset.
func (r *reader) csv(f io.ReadSeeker, resume bool) error {
	comma, err := sniffComma(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", r.name, err)
	}
	cr := newCSV(f, comma)
	head, err := cr.Read()
	if err == io.EOF {
		return &FormatError{Path: r.name, Msg: "the file is empty; the first row must name the columns"}
	}
	if err != nil {
		return csvErr(r.name, err, 0)
	}
	if err := r.setHeader(head, 1, csvColumn); err != nil {
		return err
	}
	base, lineBase := int64(0), 0 // where cr began: its byte offset, and the lines before it
	if resume {
		if r.at.Offset <= 0 || r.at.Offset > r.at.Size {
			return &ChangedError{Path: r.name, Rows: r.at.Rows}
		}
		if _, err := f.Seek(r.at.Offset, io.SeekStart); err != nil {
			return fmt.Errorf("read %s: %w", r.name, err)
		}
		base, lineBase = r.at.Offset, r.at.Line
		cr = newCSV(f, comma)
	}
	for {
		cells, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(r.name, err, lineBase)
		}
		line, _ := cr.FieldPos(0)
		full, err := r.add(cells, lineBase+line, csvColumn)
		if err != nil {
			return err
		}
		if full {
			// The page ends here; whether rows follow is known only by looking, so a last page may be empty.
			next := r.at
			next.Offset = base + cr.InputOffset()
			lastLine, _ := cr.FieldPos(len(cells) - 1)
			next.Line = lineBase + lastLine + strings.Count(cells[len(cells)-1], "\n") // a quoted field may span lines
			r.page.Next = &next
			return nil
		}
	}
}

func newCSV(f io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(f)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // rows shorter than the header are padded, longer ones checked by add
	cr.ReuseRecord = false
	return cr
}

// csvErr names the line of a parse error in the whole file, for a reader that began lineBase lines in.
func csvErr(name string, err error, lineBase int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FormatError{Path: name, Line: lineBase + pe.Line, Msg: fmt.Sprintf("not valid CSV: %v", pe.Err)}
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// sniffComma takes the delimiter from the header line: the most frequent of , ; and tab (a comma when none
// is there, as with a one-column table). It leaves f at its start.
func sniffComma(f io.ReadSeeker) (rune, error) {
	buf := make([]byte, 8192)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, err
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	best, count := ',', strings.Count(line, ",")
	for _, c := range []rune{';', '\t'} {
		if k := strings.Count(line, string(c)); k > count {
			best, count = c, k
		}
	}
	_, err = f.Seek(0, io.SeekStart)
	return best, err
}

// xlsx reads the page from the sheet by skipping the rows the checkpoint consumed: excelize streams a
// sheet's XML but cannot seek into it.
func (r *reader) xlsx(f io.Reader, opt Options) error {
	x, err := excelize.OpenReader(f, excelize.Options{UnzipSizeLimit: 16 * opt.MaxFileBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return &FormatError{Path: r.name, Msg: fmt.Sprintf("not an .xlsx workbook: %v", err)}
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return &FormatError{Path: r.name, Msg: "the workbook has no sheets"}
	}
	sheet := opt.Sheet
	if sheet == "" {
		sheet = sheets[0]
	} else if idx, _ := x.GetSheetIndex(sheet); idx < 0 {
		return &FormatError{Path: r.name, Msg: fmt.Sprintf("no sheet named %q; the sheets are %s", sheet, strings.Join(sheets, ", "))}
	}
	r.page.Sheet, r.at.Sheet = sheet, sheet
	rows, err := x.Rows(sheet)
	if err != nil {
		return &FormatError{Path: r.name, Msg: fmt.Sprintf("sheet %q: %v", sheet, err)}
	}
	defer rows.Close()
	skip := r.at.Rows
	r.at.Rows = 0
	line := 0
	for rows.Next() {
		line++
		cells, err := rows.Columns()
		if err != nil {
			return &FormatError{Path: r.name, Line: line, Msg: fmt.Sprintf("sheet %q row %d: %v", sheet, line, err)}
		}
		if r.header == nil {
			if err := r.setHeader(cells, line, xlsxColumn); err != nil {
				return err
			}
			continue
		}
		if r.at.Rows < skip {
			r.at.Rows++
			continue
		}
		full, err := r.add(cells, line, xlsxColumn)
		if err != nil {
			return err
		}
		if full {
			next := r.at
			r.page.Next = &next
			return nil
		}
	}
	if err := rows.Error(); err != nil {
		return &FormatError{Path: r.name, Msg: fmt.Sprintf("sheet %q: %v", sheet, err)}
	}
	if r.header == nil {
		return &FormatError{Path: r.name, Msg: fmt.Sprintf("sheet %q is empty; its first row must name the columns", sheet)}
	}
	return nil
}

func xlsxColumn(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return name
}
