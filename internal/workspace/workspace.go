// Package workspace is the one folder whose files EaaPL programs read and write (EAAPL_WORKSPACE).
//
// Every name is resolved through an os.Root (Go 1.24+), which the kernel-level openat walk of the standard
// library keeps beneath the folder: a name with "..", an absolute path elsewhere, or a symbolic link (of
// the file itself or of any parent folder) that points out is refused before anything is opened, with an
// *OutsideError naming the path. Writes go to a temporary file in the target's folder and are renamed (or
// hard-linked, for a new file) into place, so a reader never sees half a file; a write carries its task's
// key, so a retried write leaves one file with the right content, and a file the program did not write is
// never replaced without being asked (*ExistsError).
package workspace

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Workspace is an open workspace folder. It is safe for concurrent use.
type Workspace struct {
	dir  string // absolute, cleaned
	root *os.Root
	// writing serialises WriteFile within the process, so two tasks of one worker writing the same path
	// do not interleave their check and rename; across workers the hard link still refuses a second
	// creator.
	writing sync.Mutex
}

// Open opens the workspace folder dir (made absolute against the working directory). The folder must exist.
func Open(dir string) (*Workspace, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", dir, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", abs, err)
	}
	return &Workspace{dir: abs, root: root}, nil
}

// Close releases the folder.
func (w *Workspace) Close() error { return w.root.Close() }

// Dir is the workspace folder's absolute path.
func (w *Workspace) Dir() string { return w.dir }

// OutsideError is a path that names something outside the workspace (or in its reserved folder). Nothing
// was read or written. Retrying cannot fix it.
type OutsideError struct {
	Path   string // as the program gave it
	Reason string
}

func (e *OutsideError) Error() string {
	return fmt.Sprintf("%s is outside the workspace: %s", e.Path, e.Reason)
}

// ErrOutside is matched by every *OutsideError: errors.Is(err, ErrOutside).
var ErrOutside = errors.New("outside the workspace")

// Is makes errors.Is(err, ErrOutside) true.
func (e *OutsideError) Is(target error) bool { return target == ErrOutside }

// reservedDir is where the workspace records what programs wrote; programs cannot read or write in it.
const reservedDir = ".eaapl-workspace"

// Rel turns a program's path into the slash-separated name inside the workspace that os.Root takes. An
// absolute path is accepted when it lies inside the folder; ".." that leaves it is refused here, so the
// error names the path rather than os.Root's "path escapes from parent". Symbolic links are checked by
// os.Root when the name is opened.
func (w *Workspace) Rel(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", errors.New("no path given")
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%q is not a path: it contains a NUL byte", name)
	}
	p := filepath.FromSlash(name)
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(w.dir, filepath.Clean(p))
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", &OutsideError{Path: name, Reason: fmt.Sprintf("an absolute path not under %s", w.dir)}
		}
		p = rel
	}
	if !filepath.IsLocal(p) && filepath.Clean(p) != "." {
		return "", &OutsideError{Path: name, Reason: "it leaves the workspace folder through \"..\""}
	}
	rel := filepath.ToSlash(filepath.Clean(p))
	if first, _, _ := strings.Cut(rel, "/"); first == reservedDir {
		return "", &OutsideError{Path: name, Reason: reservedDir + " is reserved for EaaPL's own records"}
	}
	return rel, nil
}

// rootErr turns os.Root's refusal of a symbolic link that points out into an *OutsideError naming the path.
// The os package exports no sentinel for it, so its text is compared: it is the one error os.Root makes up
// itself (root.go, errPathEscapes) rather than passing on from the system.
func rootErr(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err.Error() == "path escapes from parent" {
		return &OutsideError{Path: name, Reason: "a symbolic link on the way points out of it (or is absolute; only relative links inside the workspace are followed)"}
	}
	return err
}

// TooLargeError is a file larger than the caller's cap. Retrying cannot fix it.
type TooLargeError struct {
	Path  string
	Size  int64
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %s, more than the limit of %s", e.Path, HumanSize(e.Size), HumanSize(e.Limit))
}

// HumanSize writes n bytes the way a person reads it: 512 B, 1.5 KB, 50.0 MB.
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTP"[exp])
}

// File is an open regular file in the workspace.
type File struct {
	*os.File
	Path string // the name inside the workspace, slash-separated
	Info fs.FileInfo
}

// Open opens a regular file for reading, refusing one larger than limit bytes (no limit when limit <= 0)
// before reading any of it. A missing file satisfies errors.Is(err, fs.ErrNotExist).
func (w *Workspace) Open(name string, limit int64) (*File, error) {
	rel, err := w.Rel(name)
	if err != nil {
		return nil, err
	}
	f, err := w.root.Open(rel)
	if err != nil {
		return nil, rootErr(name, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("read %s: not a regular file", name)
	}
	if limit > 0 && info.Size() > limit {
		f.Close()
		return nil, &TooLargeError{Path: name, Size: info.Size(), Limit: limit}
	}
	return &File{File: f, Path: rel, Info: info}, nil
}

// ReadFile reads a whole file of at most limit bytes (see Open). The limit holds even when the file grows
// while it is read.
func (w *Workspace) ReadFile(name string, limit int64) ([]byte, error) {
	f, err := w.Open(name, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if limit > 0 && int64(len(data)) > limit {
		return nil, &TooLargeError{Path: name, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// Stat describes a file or folder in the workspace, following links that stay inside.
func (w *Workspace) Stat(name string) (fs.FileInfo, error) {
	rel, err := w.Rel(name)
	if err != nil {
		return nil, err
	}
	info, err := w.root.Stat(rel)
	return info, rootErr(name, err)
}
