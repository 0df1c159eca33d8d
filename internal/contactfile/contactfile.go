// Package contactfile reads an address book, a vCard (.vcf, .vcard) or CSV (.csv) file, a page at a
// time, from a checkpoint that stays a few dozen bytes whatever the file's size: a byte offset, a line
// number and the file's identity (size and modification time). So a file of a million contacts is read
// within Temporal's limits: an activity heartbeats the checkpoint, and the pages go on to be sent in
// shards, never all in one payload.
//
// A row that is not a contact (no email, an address that does not parse, a vCard card that is broken) is
// reported with its file:line in Page.Bad, and the read goes on; only a file that is not an address book
// at all (no email column, not a vCard) or cannot be read stops it, with a *FormatError. Dedup finds the
// rows that repeat an address, across pages.
//
// vCard properties are parsed by github.com/emersion/go-vcard. This package splits the file into cards
// itself, because it must know the line and byte offset each card ends at, and adds what go-vcard leaves
// out for the vCard 2.1 files address books still export: parameters without a name
// (EMAIL;INTERNET;PREF:), and QUOTED-PRINTABLE values with their CHARSET (go-vcard issue #32).
package contactfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Contact is one entry of the address book, as the catalog's contact type.
type Contact struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Source string `json:"source"` // file:line, e.g. "contacts.vcf:12": the line of the address
}

// RowError is a row (a CSV record, a vCard card) that is not a contact: it is skipped, and reported.
type RowError struct {
	Source string `json:"source"` // file:line, e.g. "contacts.csv:7"
	Reason string `json:"reason"` // e.g. "row has no email"
}

func (e RowError) Error() string { return e.Source + ": " + e.Reason }

// FormatError is a file that cannot be read as an address book: which file, which line (0 when the whole
// file is at fault), and what is wrong. Retrying cannot fix it.
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

// ChangedError is a checkpoint of the file as it was before it changed: resuming from it would skip or
// repeat contacts, so the read must start again from the beginning (if nothing was sent yet) or stop.
type ChangedError struct {
	Path string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("contacts file %s changed while it was being read (its size or modification time is not what it was)", e.Path)
}

// Checkpoint is where a read got to: resuming from it reads the rows after it. The zero Checkpoint is the
// start of the file. It is small JSON (about 80 bytes) whatever the file's size.
type Checkpoint struct {
	Offset  int64 `json:"offset"`             // bytes read, up to the end of the last whole row
	Line    int   `json:"line"`               // lines read
	Size    int64 `json:"size,omitempty"`     // the file's size and modification time (Unix ns) when read;
	ModTime int64 `json:"mod_time,omitempty"` // a checkpoint of another version of the file is refused
	Done    bool  `json:"done,omitempty"`     // the whole file has been read
}

// Page is what one ReadPage read: the contacts and the bad rows in file order, and the checkpoint after them.
type Page struct {
	Contacts []Contact
	Bad      []RowError
	Next     Checkpoint
}

// Done reports whether the page ends the file.
func (p Page) Done() bool { return p.Next.Done }

// Limits that keep a read's memory bounded, whatever the file holds.
const (
	// MaxPageBytes ends a page early when its contacts and bad rows reach it, so that a page always fits
	// in one Temporal payload (2 MB), whatever max the caller asked for.
	MaxPageBytes = 1 << 20
	// MaxRowBytes is the longest CSV row, and the most a vCard card's names and addresses may take.
	MaxRowBytes = 1 << 20
	// MaxLineBytes is the longest line of a vCard file: a card may carry an inline photo on one line.
	MaxLineBytes = 16 << 20
)

// Reader reads one contacts file. It is not safe for concurrent use.
type Reader struct {
	path, base string
	file       *os.File
	identity   Checkpoint // Size and ModTime
	format     format
}

// format is what the reader of one kind of file does.
type format interface {
	// readPage reads rows from the file, positioned at from, into p until add says the page is full.
	readPage(ctx context.Context, r *Reader, from Checkpoint, p *pageBuilder) error
}

// Open opens the contacts file at path; its extension says which kind it is. A missing file is an error
// satisfying errors.Is(err, fs.ErrNotExist); an extension other than .vcf, .vcard or .csv, and a CSV
// file whose header has no email column, are a *FormatError.
func Open(path string) (*Reader, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".vcf" && ext != ".vcard" && ext != ".csv" {
		return nil, &FormatError{Path: path, Msg: fmt.Sprintf("unsupported contacts file type %q; use .vcf or .csv", ext)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, &FormatError{Path: path, Msg: "is not a regular file"}
	}
	r := &Reader{
		path: path, base: filepath.Base(path), file: f,
		identity: Checkpoint{Size: info.Size(), ModTime: info.ModTime().UnixNano()},
	}
	if ext == ".csv" {
		cf, err := openCSV(r)
		if err != nil {
			f.Close()
			return nil, err
		}
		r.format = cf
	} else {
		r.format = vcardFormat{}
	}
	return r, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.file.Close() }

// Path is the file's path.
func (r *Reader) Path() string { return r.path }

// ReadPage reads up to max rows (contacts and bad rows together; fewer when the page reaches
// MaxPageBytes) from the checkpoint from, which is the zero Checkpoint or one a page of this file
// returned. A checkpoint of the file before it changed is a *ChangedError.
func (r *Reader) ReadPage(ctx context.Context, from Checkpoint, max int) (Page, error) {
	if max < 1 {
		return Page{}, fmt.Errorf("read contacts %s: a page of %d rows", r.path, max)
	}
	if from != (Checkpoint{}) {
		if from.Size != r.identity.Size || from.ModTime != r.identity.ModTime || from.Offset < 0 || from.Offset > r.identity.Size || from.Line < 0 {
			return Page{}, &ChangedError{Path: r.path}
		}
		if from.Done {
			return Page{Next: from}, nil
		}
	}
	if _, err := r.file.Seek(from.Offset, io.SeekStart); err != nil {
		return Page{}, fmt.Errorf("read contacts %s: %w", r.path, err)
	}
	p := &pageBuilder{max: max, next: from, start: from.Offset == 0}
	p.next.Size, p.next.ModTime = r.identity.Size, r.identity.ModTime
	err := r.format.readPage(ctx, r, from, p)
	if errors.Is(err, errPageFull) {
		err = nil
	} else if err == nil {
		p.next.Done = true
		p.next.Offset = r.identity.Size
	}
	if err != nil {
		return Page{}, err
	}
	return Page{Contacts: p.contacts, Bad: p.bad, Next: p.next}, nil
}

// errPageFull ends a format's readPage when the page has its rows.
var errPageFull = errors.New("page full")

// pageBuilder collects a page's rows.
type pageBuilder struct {
	max      int
	start    bool // the read began at the start of the file
	contacts []Contact
	bad      []RowError
	bytes    int
	next     Checkpoint
}

// full reports whether the page has its rows.
func (p *pageBuilder) full() bool {
	return len(p.contacts)+len(p.bad) >= p.max || p.bytes >= MaxPageBytes
}

// add records a row that ends at byte offset end, on line line: a contact, or a bad row when reason is
// not empty. It returns errPageFull when the page is full, and the context's error when it has ended.
func (p *pageBuilder) add(ctx context.Context, c Contact, reason string, end int64, line int) error {
	if reason != "" {
		p.bad = append(p.bad, RowError{Source: c.Source, Reason: reason})
		p.bytes += len(c.Source) + len(reason) + 32
	} else {
		p.contacts = append(p.contacts, c)
		p.bytes += len(c.Name) + len(c.Email) + len(c.Source) + 40 // and the JSON around them
	}
	p.next.Offset, p.next.Line = end, line
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.full() {
		return errPageFull
	}
	return nil
}

// source is "file:line".
func (r *Reader) source(line int) string { return r.base + ":" + strconv.Itoa(line) }

// checkAddress reports what is wrong with an email address, or "" when it is a valid one: it must
// parse (bare or with a display name) and have a domain, as SendEmail requires.
func checkAddress(s string) string {
	if s == "" {
		return "row has no email"
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Sprintf("%q is not a valid email address: %v", truncate(s, 80), strings.TrimPrefix(err.Error(), "mail: "))
	}
	if at := strings.LastIndexByte(addr.Address, '@'); at < 0 || at == len(addr.Address)-1 {
		return fmt.Sprintf("%q is not a valid email address: it has no domain", truncate(s, 80))
	}
	return ""
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ReadAll reads the whole file from the start, for callers (and tests) that want every row at once.
// It is bounded only by the file: a read of a large file should go page by page.
func ReadAll(ctx context.Context, path string) ([]Contact, []RowError, error) {
	r, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var (
		contacts []Contact
		bad      []RowError
		cp       Checkpoint
	)
	for !cp.Done {
		p, err := r.ReadPage(ctx, cp, 10_000)
		if err != nil {
			return nil, nil, err
		}
		contacts, bad, cp = append(contacts, p.Contacts...), append(bad, p.Bad...), p.Next
	}
	return contacts, bad, nil
}
