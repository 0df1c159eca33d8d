// Package local is the files family's Workspace on the worker's filesystem: the folder EAAPL_WORKSPACE,
// through internal/workspace (os.Root: nothing outside is reached), internal/document (text of .txt, .md,
// .html, .json, .csv, .pdf, .docx) and internal/table (.csv and .xlsx rows, through excelize). It sorts
// their errors into the family's kinds.
package local

import (
	"context"
	"errors"
	"io/fs"

	"github.com/eaapl/eaapl/activities/files"
	"github.com/eaapl/eaapl/internal/document"
	"github.com/eaapl/eaapl/internal/table"
	"github.com/eaapl/eaapl/internal/workspace"
)

// Workspace is files.Workspace over an open workspace folder.
type Workspace struct {
	WS *workspace.Workspace
}

var _ files.Workspace = Workspace{}

// ReadDocument reads a file's text.
func (w Workspace) ReadDocument(ctx context.Context, path string) (files.Document, error) {
	doc, err := document.Read(ctx, w.WS, path, document.Limits{})
	if err != nil {
		return files.Document{}, classify(err)
	}
	return files.Document{Path: doc.Path, Format: doc.Format, Title: doc.Title, Text: doc.Text, Size: doc.Size}, nil
}

// ReadTable reads a page of a table's rows; the checkpoint is a *table.Checkpoint.
func (w Workspace) ReadTable(ctx context.Context, path, sheet string, from any) (files.TablePage, error) {
	cp, _ := from.(*table.Checkpoint)
	page, err := table.Read(ctx, w.WS, path, cp, table.Options{Sheet: sheet})
	if err != nil {
		return files.TablePage{}, classify(err)
	}
	out := files.TablePage{Path: page.Path, Sheet: page.Sheet, Header: page.Header, Rows: make([]files.Row, len(page.Rows))}
	for i, r := range page.Rows {
		out.Rows[i] = files.Row{Line: r.Line, Fields: r.Fields}
	}
	if page.Next != nil {
		out.Next = page.Next
	}
	return out, nil
}

// Write writes a file atomically, once per key.
func (w Workspace) Write(_ context.Context, req files.Write) (files.Written, error) {
	res, err := w.WS.WriteFile(workspace.Write{Path: req.Path, Data: req.Data, Key: req.Key, Owner: req.Owner, Overwrite: req.Overwrite})
	var exists *workspace.ExistsError
	if errors.As(err, &exists) {
		return files.Written{}, &files.ExistsError{Path: exists.Path, Msg: exists.Error()}
	}
	if err != nil {
		return files.Written{}, classify(err)
	}
	return files.Written{Path: res.Path, Size: res.Size, SHA256: res.SHA256, Outcome: string(res.Outcome)}, nil
}

// List finds the files a glob matches.
func (w Workspace) List(_ context.Context, pattern string, limit int) (files.Listing, error) {
	l, err := w.WS.List(pattern, limit)
	if err != nil {
		return files.Listing{}, classify(err)
	}
	out := files.Listing{Files: make([]files.FileEntry, len(l.Files)), Truncated: l.Truncated, SkippedLinks: l.SkippedLinks}
	for i, e := range l.Files {
		out.Files[i] = files.FileEntry{Path: e.Path, Size: e.Size, ModTime: e.ModTime}
	}
	return out, nil
}

// classify marks the errors no retry can fix with the family's kinds.
func classify(err error) error {
	var (
		tooLarge *workspace.TooLargeError
		docFmt   *document.FormatError
		tableFmt *table.FormatError
		changed  *table.ChangedError
		pattern  *workspace.PatternError
	)
	switch {
	case errors.Is(err, workspace.ErrOutside):
		return files.Kind(files.ErrOutside, err)
	case errors.Is(err, fs.ErrNotExist):
		return files.Kind(files.ErrNotFound, err)
	case errors.As(err, &tooLarge), errors.As(err, &docFmt), errors.As(err, &tableFmt), errors.As(err, &pattern):
		return files.Kind(files.ErrRefused, err)
	case errors.As(err, &changed):
		return err // read again from the start: a retry can fix it
	}
	return err
}
