package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/eaapl/eaapl/activities/files"
	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/activities/text/embedded"
	"github.com/eaapl/eaapl/activities/web"
)

// Fakes of the files and web families' interfaces, so every command runs in this package's tests; the
// adapters are tested on real files and a real HTTP server in their own packages and in e2e.

// memWorkspace is a workspace in memory.
type memWorkspace struct{ files map[string]string }

func (m *memWorkspace) ReadDocument(_ context.Context, path string) (files.Document, error) {
	t, ok := m.files[path]
	if !ok {
		return files.Document{}, files.Kind(files.ErrNotFound, fmt.Errorf("%s: no such file", path))
	}
	return files.Document{Path: path, Format: strings.TrimPrefix(path[strings.LastIndex(path, "."):], "."), Text: t, Size: int64(len(t))}, nil
}

func (m *memWorkspace) ReadTable(_ context.Context, path, _ string, _ any) (files.TablePage, error) {
	return files.TablePage{Path: path, Header: []string{"email", "order"}, Rows: []files.Row{{Line: 2, Fields: map[string]string{"email": "ann@example.com", "order": "A-1"}}}}, nil
}

func (m *memWorkspace) Write(_ context.Context, w files.Write) (files.Written, error) {
	m.files[w.Path] = string(w.Data)
	return files.Written{Path: w.Path, Size: int64(len(w.Data)), Outcome: "created"}, nil
}

func (m *memWorkspace) List(_ context.Context, _ string, _ int) (files.Listing, error) {
	var l files.Listing
	for p := range m.files {
		l.Files = append(l.Files, files.FileEntry{Path: p, Size: int64(len(m.files[p]))})
	}
	return l, nil
}

// pageFetcher serves one page.
type pageFetcher struct{}

func (pageFetcher) Get(_ context.Context, url string) (web.Page, error) {
	return web.Page{URL: url, Status: 200, ContentType: "text/plain", Text: "All systems operational.", Bytes: 24}, nil
}

func familyDeps() []any {
	ws := &memWorkspace{files: map[string]string{"notes.md": "# Notes\n\nSales rose. Costs fell. We hired two people.\n"}}
	return []any{
		files.Deps{Workspace: ws},
		web.Deps{Fetcher: pageFetcher{}},
		text.Deps{Analyzer: embedded.Analyzer{}},
	}
}
