package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Entry is one file a List found.
type Entry struct {
	Path    string    `json:"path"` // inside the workspace, slash-separated
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// Listing is what List found: the files sorted by path, at most the limit asked for (the first found,
// folder by folder, when more match).
type Listing struct {
	Files []Entry `json:"files"`
	// Truncated is true when more files matched than the limit.
	Truncated bool `json:"truncated,omitempty"`
	// SkippedLinks counts matches that are symbolic links pointing out of the workspace, left out.
	SkippedLinks int `json:"skipped_links,omitempty"`
}

// DefaultListLimit is how many files List returns when the caller sets no limit.
const DefaultListLimit = 1000

// Pattern turns a program's glob into the one inside the workspace that List walks, refusing one that
// leaves the workspace (as Rel does) or is not a valid glob. A program's plan is checked with it too
// (worker.PlaceCheck), so the refusal is the same before it starts as when it runs.
func (w *Workspace) Pattern(pattern string) (string, error) {
	rel, err := w.Rel(pattern)
	if err != nil {
		return "", err
	}
	if !doublestar.ValidatePattern(rel) {
		return "", &PatternError{Pattern: pattern}
	}
	return rel, nil
}

// PatternError is a glob that is not valid: a bracket or brace not closed. Retrying cannot fix it.
type PatternError struct{ Pattern string }

func (e *PatternError) Error() string {
	return fmt.Sprintf("%q is not a valid pattern (check the brackets and braces)", e.Pattern)
}

// List finds the regular files whose workspace paths match pattern: a glob with *, ?, [a-z], {a,b} and
// ** for any number of folders (github.com/bmatcuk/doublestar). Files and folders whose names begin with a
// dot are left out unless the pattern's own part for them begins with a dot, so EaaPL's records and a
// data folder such as .eaapl do not show up in "**". At most limit files are returned (DefaultListLimit
// when limit <= 0).
func (w *Workspace) List(pattern string, limit int) (Listing, error) {
	if limit <= 0 {
		limit = DefaultListLimit
	}
	rel, err := w.Pattern(pattern)
	if err != nil {
		return Listing{}, err
	}
	parts := strings.Split(rel, "/")
	var out Listing
	errStop := errors.New("stop")
	err = doublestar.GlobWalk(w.root.FS(), rel, func(p string, d fs.DirEntry) error {
		if hiddenUnasked(p, parts) {
			return nil
		}
		// Stat through the root: it follows links that stay inside and refuses those that point out.
		info, err := w.root.Stat(p)
		if err != nil {
			if _, outside := rootErr(p, err).(*OutsideError); outside {
				out.SkippedLinks++
			}
			return nil
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		if len(out.Files) == limit {
			out.Truncated = true
			return errStop
		}
		out.Files = append(out.Files, Entry{Path: p, Size: info.Size(), ModTime: info.ModTime().UTC()})
		return nil
	}, doublestar.WithNoFollow())
	if err != nil && !errors.Is(err, errStop) {
		return Listing{}, fmt.Errorf("list %q: %w", pattern, rootErr(pattern, err))
	}
	slices.SortFunc(out.Files, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// hiddenUnasked is true when a part of p begins with a dot and the pattern's part at the same place does
// not. After a ** the places no longer line up, and any hidden part is left out.
func hiddenUnasked(p string, pattern []string) bool {
	for i, part := range strings.Split(p, "/") {
		if !strings.HasPrefix(part, ".") {
			continue
		}
		if i >= len(pattern) || !strings.HasPrefix(pattern[i], ".") || slices.Contains(pattern[:i], "**") {
			return true
		}
	}
	return false
}
