package contactfile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSV: the first non-blank row is a header naming the columns, case-insensitively; an email column is
// required, and the name comes from a name column or from first and last name columns.
var (
	csvEmailColumns = []string{"email", "e-mail", "email address", "e-mail address", "mail"}
	csvNameColumns  = []string{"name", "full name", "display name"}
	csvFirstColumns = []string{"first name", "given name"}
	csvLastColumns  = []string{"last name", "family name", "surname"}
)

// csvFormat is a CSV file's header: its columns (-1 for one it lacks) and where the rows after it begin.
type csvFormat struct {
	email, name, first, last int
	rows                     Checkpoint // Offset and Line just after the header
	empty                    bool       // the file has no rows at all
}

// openCSV reads the header.
func openCSV(r *Reader) (*csvFormat, error) {
	lim := &rowLimit{r: r.file}
	cr := newCSVReader(lim)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			// An empty file has no contacts rather than a missing column: nothing in it is wrong.
			return &csvFormat{empty: true}, nil
		}
		if err != nil {
			return nil, csvFatal(r, err, 0, 0)
		}
		if blankRecord(rec) {
			lim.mark(cr.InputOffset())
			continue
		}
		line, _ := cr.FieldPos(0)
		rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
		f := &csvFormat{email: csvColumn(rec, csvEmailColumns), name: csvColumn(rec, csvNameColumns), first: csvColumn(rec, csvFirstColumns), last: csvColumn(rec, csvLastColumns)}
		if f.email < 0 {
			return nil, &FormatError{Path: r.path, Line: line, Msg: fmt.Sprintf("header has no email column (one of %s)", strings.Join(csvEmailColumns, ", "))}
		}
		f.rows = Checkpoint{Offset: cr.InputOffset(), Line: lastLine(cr, rec, 0)}
		return f, nil
	}
}

func (f *csvFormat) readPage(ctx context.Context, r *Reader, from Checkpoint, p *pageBuilder) error {
	if f.empty {
		return nil
	}
	if from.Offset < f.rows.Offset {
		from.Offset, from.Line = f.rows.Offset, f.rows.Line
		if _, err := r.file.Seek(from.Offset, io.SeekStart); err != nil {
			return fmt.Errorf("read contacts %s: %w", r.path, err)
		}
	}
	// The csv.Reader's offsets and line numbers count from where it began reading.
	base, baseLine := from.Offset, from.Line
	lim := &rowLimit{r: r.file}
	cr := newCSVReader(lim)
	prevLine := baseLine // where the last whole row ended
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote) {
			// A stray quote spoils one line only: report the row and read on. (A missing closing quote
			// may swallow the lines after it, so that one stops the read below.)
			lim.mark(cr.InputOffset())
			line := baseLine + pe.StartLine
			prevLine = baseLine + pe.Line
			if err := p.add(ctx, Contact{Source: r.source(line)}, pe.Err.Error(), base+cr.InputOffset(), prevLine); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return csvFatal(r, err, baseLine, prevLine)
		}
		lim.mark(cr.InputOffset())
		prevLine = lastLine(cr, rec, baseLine)
		if blankRecord(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		line += baseLine
		c := Contact{Email: strings.TrimSpace(field(rec, f.email)), Source: r.source(line)}
		c.Name = strings.TrimSpace(field(rec, f.name))
		if c.Name == "" {
			c.Name = strings.TrimSpace(strings.TrimSpace(field(rec, f.first)) + " " + strings.TrimSpace(field(rec, f.last)))
		}
		reason := checkAddress(c.Email)
		if err := p.add(ctx, c, reason, base+cr.InputOffset(), prevLine); err != nil {
			return err
		}
	}
}

// lastLine is the line a record ends on: the line its last field starts on, plus the line breaks quoted
// inside that field.
func lastLine(cr *csv.Reader, rec []string, baseLine int) int {
	l, _ := cr.FieldPos(len(rec) - 1)
	return baseLine + l + strings.Count(rec[len(rec)-1], "\n")
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows may be shorter or longer than the header
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	return cr
}

// csvFatal is the error for a CSV error that stops the read: a *FormatError naming the line for a
// malformed file or an overlong row; baseLine is the number of lines before where the reader began, and
// after the line the last whole row ended on.
func csvFatal(r *Reader, err error, baseLine, after int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FormatError{Path: r.path, Line: baseLine + pe.StartLine, Msg: pe.Err.Error()}
	}
	if errors.Is(err, errRowTooLong) {
		return &FormatError{Path: r.path, Line: after + 1, Msg: fmt.Sprintf("the row from this line on is longer than %d bytes; is this a contacts file?", MaxRowBytes)}
	}
	return fmt.Errorf("read contacts %s: %w", r.path, err)
}

// errRowTooLong is a CSV row over MaxRowBytes.
var errRowTooLong = errors.New("row too long")

// rowLimit fails a read that goes more than MaxRowBytes past the end of the last row (mark), so that a
// quoted field that never ends cannot fill the memory. The csv.Reader reads ahead by its buffer (4 kB),
// which the limit allows for.
type rowLimit struct {
	r          io.Reader
	read, last int64
}

func (l *rowLimit) mark(offset int64) { l.last = offset }

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.read-l.last > MaxRowBytes+64<<10 {
		return 0, errRowTooLong
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// csvColumn returns the index of the first header cell equal to one of names, ignoring case and spaces.
func csvColumn(header []string, names []string) int {
	for _, want := range names {
		for i, h := range header {
			if strings.EqualFold(strings.Join(strings.Fields(h), " "), want) {
				return i
			}
		}
	}
	return -1
}

// field returns rec[i], or "" when the row is too short or there is no such column.
func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
