// Package files is the files command family: ReadDocument (a file's text), ReadLines (its lines, items
// of a for_each), ReadTable (a .csv or .xlsx as
// records, items of a for_each like contacts), WriteFile (atomic, idempotent per task, never replacing a
// file the program did not write without asking) and ListFiles (a glob). Every path resolves inside the
// workspace (EAAPL_WORKSPACE); one that leaves it is refused before anything is read. The family reaches
// files only through Workspace, which the worker wires to the adapter in files/local, and keeps large
// text in the content store (catalog.ContentStore), so a 50 MB document never enters a history.
package files

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec {
	return []*catalog.Spec{ReadDocument, ReadLines, ReadTable, WriteFile, ListFiles}
}

// Deps are what the family's commands use.
type Deps struct {
	Workspace Workspace
	Store     catalog.ContentStore // where text over contentvalue.Threshold is kept
}

// Workspace is the folder programs read and write. Its errors are marked with a kind (errors.Is with
// ErrOutside, ErrNotFound, ErrRefused) or are an *ExistsError; any other error is temporary.
type Workspace interface {
	ReadDocument(ctx context.Context, path string) (Document, error)
	// ReadTable reads a page of rows of a table: from the first row when from is nil, else from the
	// checkpoint the page before returned.
	ReadTable(ctx context.Context, path, sheet string, from any) (TablePage, error)
	// Write writes a file atomically; a retry with the same Key leaves one file with the data.
	Write(ctx context.Context, w Write) (Written, error)
	List(ctx context.Context, pattern string, limit int) (Listing, error)
}

// Document is a file's text.
type Document struct {
	Path, Format, Title, Text string
	Size                      int64
}

// TablePage is a run of rows of a table; Next is where the following page begins, nil at the end.
type TablePage struct {
	Path, Sheet string
	Header      []string
	Rows        []Row
	Next        any
}

// Row is one row: its line (or sheet row) and its fields by header.
type Row struct {
	Line   int
	Fields map[string]string
}

// Write is one file a task writes: Key is the task's idempotency key, Owner the program, and Overwrite
// the user's yes to replacing a file the program did not write.
type Write struct {
	Path      string
	Data      []byte
	Key       string
	Owner     string
	Overwrite bool
}

// Written is what a write did: "created", "replaced", "already_written" (a retry found its own file) or
// "unchanged" (the file already had exactly this content).
type Written struct {
	Path    string
	Size    int64
	SHA256  string
	Outcome string
}

// Listing is what a glob found.
type Listing struct {
	Files        []FileEntry
	Truncated    bool
	SkippedLinks int
}

// FileEntry is one file a glob found.
type FileEntry struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// The kinds of error a Workspace reports that no retry can fix.
var (
	ErrOutside  = errors.New("outside the workspace")
	ErrNotFound = errors.New("no such file")
	ErrRefused  = errors.New("refused") // too large, not in the format its name says, a bad pattern
)

// Kind marks err as one of the kinds above; its message stays err's.
func Kind(kind, err error) error { return &kindError{kind: kind, err: err} }

type kindError struct{ kind, err error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// ExistsError is a write refused because the file is there and this program did not write it (or it
// was changed since): the command asks the user instead.
type ExistsError struct {
	Path string
	Msg  string // the adapter's sentence: size, when it changed, whether EaaPL wrote it
}

func (e *ExistsError) Error() string { return e.Msg }

// failure turns a Workspace error into the task's: a kind no retry can fix is Invalid or NotFound, named
// with the path the program gave; anything else stays retryable.
func failure(op, path string, err error) error {
	switch {
	case errors.Is(err, ErrOutside), errors.Is(err, ErrRefused):
		return catalog.Invalid("%s", err.Error())
	case errors.Is(err, ErrNotFound):
		return catalog.Fail(catalog.ErrNotFound, "%s: there is no such file in the workspace", path)
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// hint is what fixes a failing files command.
func hint(errType string) string {
	if errType == catalog.ErrNotFound || errType == catalog.ErrInvalidArgument {
		return "name a file inside the workspace folder (EAAPL_WORKSPACE); ListFiles shows what is there"
	}
	return "check that the workspace folder (EAAPL_WORKSPACE) is readable by the worker, then answer retry"
}
