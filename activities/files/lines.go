package files

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

// inlineLineBytes is the most bytes of lines ReadLines' output carries itself; past it, or past
// inlineRows lines, the lines are a stored list, as a long table's rows are.
const inlineLineBytes = 256 << 10

type readLinesArgs struct {
	Path string `json:"path" eaapl:"path,required" desc:"the file whose lines to read, inside the workspace: .txt, .md, .html, .json, .csv, .pdf or .docx (its text)"`
}

type readLinesOutput struct {
	Path string `json:"path" eaapl:"required" desc:"the file's path inside the workspace"`
	// Lines is a []string, or past inlineRows lines (or inlineLineBytes) a stored list's value, which the
	// workflow reads in pages.
	Lines any `json:"lines" eaapl:"list<string>,required" desc:"the text's lines that are not blank, each trimmed, in order"`
	Count int `json:"count" eaapl:"required" desc:"how many lines there are"`
}

// ReadLines reads the lines of a document, for a for_each over them: the splitting happens on the worker,
// so a document too large for a step's output (a content reference) is split without entering the
// program's history.
var ReadLines = catalog.Define(catalog.Def[Deps, readLinesArgs, readLinesOutput]{
	Name:             "ReadLines",
	Description:      "Read the lines of a document in the workspace that are not blank, each trimmed: a for_each over them works like one over contacts.",
	SideEffect:       catalog.Reads,
	Timeout:          2 * time.Minute,
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "path", Verb: "Read", Items: "files"},
	Run:              readLines,
	Hint:             hint,
	ReadBack: func(r catalog.Reading) string {
		path, ok := r.Text(r.Step().Args["path"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("Read the lines of %s that are not blank.", path)
	},
	Forms: catalog.Forms{
		Phrases:    []string{"for each line in {path}", "for each line of {path}"},
		Statements: []string{"for each line in {path}", "for each line of {path}", "for each line in the file {path}", "for each line of the file {path}"},
		Args:       map[string][]string{"path": {"the document", "the file"}},
		Quiet:      true,
		Results: map[string]catalog.ResultWords{
			// Each: "for each line in emails.txt" goes over the lines.
			"lines": {Noun: "the document's lines", Each: "line", Words: []string{"the lines"}, Subject: "{path}"},
			"count": {Noun: "the number of lines in the document"},
			"path":  {Noun: "the document's path"},
		},
	},
})

func readLines(ctx context.Context, d Deps, args readLinesArgs) (readLinesOutput, error) {
	if strings.TrimSpace(args.Path) == "" {
		return readLinesOutput{}, catalog.Invalid("parameter %q must not be blank", "path")
	}
	if d.Workspace == nil {
		return readLinesOutput{}, fmt.Errorf("%w: Workspace", catalog.ErrMissingDependency)
	}
	catalog.Heartbeat(ctx, "reading "+args.Path)
	doc, err := d.Workspace.ReadDocument(ctx, args.Path)
	if err != nil {
		return readLinesOutput{}, failure("read", args.Path, err)
	}
	var (
		lines  = []string{}
		stored *contentvalue.ListWriter
		size   int
		count  int
	)
	keep := func(l string) error {
		if stored == nil {
			stored = contentvalue.NewListWriter(d.Store, 0)
			for _, kept := range lines {
				if err := stored.Add(ctx, kept); err != nil {
					return err
				}
			}
			lines = nil
		}
		return stored.Add(ctx, l)
	}
	for l := range strings.Lines(doc.Text) {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		count, size = count+1, size+len(l)
		if count > MaxStoredRows {
			return readLinesOutput{}, catalog.Invalid("%s has more than %d lines, more than a program reads; split it into smaller files", args.Path, MaxStoredRows)
		}
		if stored == nil && (count <= inlineRows && size <= inlineLineBytes || d.Store == nil) {
			if d.Store == nil && (count > MaxRows || size > MaxRowBytes) {
				return readLinesOutput{}, catalog.Invalid("%s has more lines than one step takes (%d lines, %d KB); split it into smaller files", args.Path, MaxRows, MaxRowBytes>>10)
			}
			lines = append(lines, l)
			continue
		}
		if err := keep(l); err != nil {
			return readLinesOutput{}, fmt.Errorf("read the lines of %s: keep them in the content store: %w", args.Path, err)
		}
		if count%10000 == 0 {
			catalog.Heartbeat(ctx, count)
		}
	}
	out := readLinesOutput{Path: doc.Path, Lines: lines, Count: count}
	if stored != nil {
		list, err := stored.Finish(ctx)
		if err != nil {
			return readLinesOutput{}, fmt.Errorf("read the lines of %s: keep its %d lines in the content store: %w", args.Path, count, err)
		}
		out.Lines = list.Value()
	}
	return out, nil
}
