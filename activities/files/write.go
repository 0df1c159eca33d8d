package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

// MaxWriteBytes is the largest file WriteFile writes.
const MaxWriteBytes = 64 << 20

type writeArgs struct {
	Path      string          `json:"path" eaapl:"path,required" desc:"the file to write, inside the workspace"`
	Text      catalog.Content `json:"text" eaapl:"required" desc:"what the file should contain"`
	Overwrite bool            `json:"overwrite" desc:"replace a file this program did not write; only when the user said so (WriteFile asks otherwise)"`
}

type writeOutput struct {
	Path    string `json:"path" eaapl:"required" desc:"the file's path inside the workspace"`
	Size    int64  `json:"size" eaapl:"required" desc:"its size in bytes"`
	SHA256  string `json:"sha256" eaapl:"required" desc:"the SHA-256 of its contents, in hex"`
	Outcome string `json:"outcome" eaapl:"required" desc:"created, replaced, already_written (an earlier attempt wrote it) or unchanged"`
}

// WriteFile writes a file of the workspace.
var WriteFile = catalog.Define(catalog.Def[Deps, writeArgs, writeOutput]{
	Name:             "WriteFile",
	Description:      "Write a text file in the workspace, atomically and at most once per task; a file the program did not write is replaced only if the user says so.",
	SideEffect:       catalog.Writes,
	Timeout:          time.Minute,
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "path", Word: "to", Verb: "Write", Items: "files"},
	Run:              write,
	Hint:             hint,
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		path, ok := r.Text(s.Args["path"])
		if !ok || s.ForEach != nil {
			return ""
		}
		if src, words, ok := r.Result(s.Args["text"]); ok && words.Noun != "" {
			return fmt.Sprintf("Write %s (step %d) to the file %s.", words.Noun, src.Number, path)
		}
		text, ok := r.Words(s.Args["text"]) // a literal, quoted, or a text with expressions said in words
		if !ok {
			return ""
		}
		return fmt.Sprintf("Write %s to the file %s.", text, path)
	},
	Outcome: func(state string, output map[string]any) (string, string) {
		path, _ := output["path"].(string)
		if state != "done" {
			return state, path
		}
		switch output["outcome"] {
		case "already_written", "unchanged":
			return "already written", path
		case "replaced":
			return "replaced", path
		}
		return "written", path
	},
	Forms: catalog.Forms{
		Phrases:    []string{"write {text} to {path}", "save {text} to {path}", "save {text} as {path}"},
		Statements: []string{"write {text} to {path}", "save {text} to {path}", "save {text} as {path}", "write {text} to the file {path}", "save {text} in {path}"},
		Args:       map[string][]string{"path": {"to", "to the file", "as"}, "text": {"write", "save"}},
		Results: map[string]catalog.ResultWords{
			"path":    {Noun: "the file written"},
			"size":    {Noun: "its size"},
			"sha256":  {Noun: "its SHA-256"},
			"outcome": {Noun: "what the write did"},
		},
	},
})

// write writes the file once per task: the workspace records the task's key with the file, so a retry
// finds its own file and writes nothing, and a file someone else made is a question, not an overwrite.
func write(ctx context.Context, d Deps, args writeArgs) (writeOutput, error) {
	if strings.TrimSpace(args.Path) == "" {
		return writeOutput{}, catalog.Invalid("parameter %q must not be blank", "path")
	}
	call := catalog.CallOf(ctx)
	key := call.Task.Context.IdempotencyKey
	if strings.TrimSpace(key) == "" {
		return writeOutput{}, catalog.Invalid("the task has no idempotency key, so the file could be written twice")
	}
	if d.Workspace == nil {
		return writeOutput{}, fmt.Errorf("%w: Workspace", catalog.ErrMissingDependency)
	}
	text, err := contentvalue.Read(ctx, d.Store, args.Text, MaxWriteBytes)
	var tl *contentvalue.TooLargeError
	if errors.As(err, &tl) {
		return writeOutput{}, catalog.Invalid("write %s: %v", args.Path, err)
	}
	if err != nil {
		return writeOutput{}, err
	}
	res, err := d.Workspace.Write(ctx, Write{
		Path:      args.Path,
		Data:      []byte(text),
		Key:       key,
		Owner:     call.Task.Context.WorkflowID,
		Overwrite: args.Overwrite,
	})
	var exists *ExistsError
	if errors.As(err, &exists) {
		return writeOutput{}, catalog.Ask(catalog.InputRequest{
			Question: exists.Msg,
			Kind:     catalog.InputChoice,
			Options:  []catalog.Option{{Value: "replace", Label: "replace " + exists.Path, Arg: true}},
			Param:    "overwrite",
		})
	}
	if err != nil {
		return writeOutput{}, failure("write", args.Path, err)
	}
	return writeOutput{Path: res.Path, Size: res.Size, SHA256: res.SHA256, Outcome: res.Outcome}, nil
}

type listArgs struct {
	Pattern string `json:"pattern" eaapl:"glob,required" desc:"a glob inside the workspace: *, ?, [a-z], {md,txt}, ** for any depth (reports/*.pdf, **/*.md)"`
	Limit   int    `json:"limit" desc:"the most files to list; 1000 when 0"`
}

type listOutput struct {
	Files     []FileEntry `json:"files" eaapl:"list<any>,required" desc:"the files found, each with path, size and mod_time, sorted by path"`
	Paths     []string    `json:"paths" eaapl:"required" desc:"their paths, in the same order"`
	Count     int         `json:"count" eaapl:"required" desc:"how many were found"`
	Truncated bool        `json:"truncated" desc:"true when more files matched than the limit"`
}

// MaxListLimit bounds ListFiles' limit: the listing is a step's output, in one payload.
const MaxListLimit = 10000

// ListFiles lists the files a glob finds.
var ListFiles = catalog.Define(catalog.Def[Deps, listArgs, listOutput]{
	Name:             "ListFiles",
	Description:      "List the files of the workspace that a glob pattern matches.",
	SideEffect:       catalog.Reads,
	Timeout:          time.Minute,
	HeartbeatTimeout: catalog.HeartbeatTimeout,
	Retry:            catalog.DefaultRetry,
	Label:            catalog.Label{Arg: "pattern", Verb: "List the files matching", Items: "patterns"},
	Run:              list,
	Hint:             hint,
	ReadBack: func(r catalog.Reading) string {
		pattern, ok := r.Text(r.Step().Args["pattern"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("List the files that match %s.", pattern)
	},
	Forms: catalog.Forms{
		Phrases:    []string{"list the files matching {pattern}", "list the files in {pattern}", "find the files matching {pattern}"},
		Statements: []string{"list the files matching {pattern}", "list the files that match {pattern}", "list the files in {pattern}", "find the files matching {pattern}", "list {pattern}"},
		Args:       map[string][]string{"pattern": {"matching", "that match", "in"}},
		Results: map[string]catalog.ResultWords{
			"files":     {Noun: "the files found", Each: "file"},
			"paths":     {Noun: "the files' paths", Words: []string{"the files", "the list"}, Subject: "The files matching {pattern}"},
			"count":     {Noun: "the number of files"},
			"truncated": {Noun: "whether there were more"},
		},
	},
})

func list(ctx context.Context, d Deps, args listArgs) (listOutput, error) {
	if strings.TrimSpace(args.Pattern) == "" {
		return listOutput{}, catalog.Invalid("parameter %q must not be blank", "pattern")
	}
	if args.Limit < 0 || args.Limit > MaxListLimit {
		return listOutput{}, catalog.Invalid("parameter %q is %d; it must be between 1 and %d (0 for 1000)", "limit", args.Limit, MaxListLimit)
	}
	if d.Workspace == nil {
		return listOutput{}, fmt.Errorf("%w: Workspace", catalog.ErrMissingDependency)
	}
	l, err := d.Workspace.List(ctx, args.Pattern, args.Limit)
	if err != nil {
		return listOutput{}, failure("list", args.Pattern, err)
	}
	out := listOutput{Files: l.Files, Paths: make([]string, len(l.Files)), Count: len(l.Files), Truncated: l.Truncated}
	for i, f := range l.Files {
		out.Paths[i] = f.Path
	}
	return out, nil
}
