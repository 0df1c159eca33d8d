package workspace

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"time"
)

// Write is one file a task writes.
type Write struct {
	Path string
	Data []byte
	// Key is the task's idempotency key (workflow ID + step + item): a retry of the task with the same key
	// and content finds its file already written and writes nothing.
	Key string
	// Owner names the program (a workflow or schedule ID): a file that owner wrote before, and nobody
	// changed since, may be replaced by it. Empty: only a retry of the same Key may replace the file.
	Owner string
	// Overwrite replaces a file that EaaPL did not write, or that was changed since; set it only after the
	// user said yes to the question an *ExistsError raises.
	Overwrite bool
}

// Outcome is what a write did.
type Outcome string

// The outcomes of a write.
const (
	Created        Outcome = "created"         // there was no file
	Replaced       Outcome = "replaced"        // a file this program (or, with Overwrite, anyone) wrote was replaced
	AlreadyWritten Outcome = "already_written" // a retry of the same task: the file already had this content
	Unchanged      Outcome = "unchanged"       // the file, not written by EaaPL, already had exactly this content
)

// WriteResult says what WriteFile did to which file.
type WriteResult struct {
	Path    string  `json:"path"` // inside the workspace, slash-separated
	Size    int64   `json:"size"`
	SHA256  string  `json:"sha256"`
	Outcome Outcome `json:"outcome"`
}

// ExistsError is a write refused because the file is there and this program did not write it (or it was
// changed since). The command turns it into a question; the answer "replace it" retries with Overwrite.
type ExistsError struct {
	Path    string
	Size    int64
	ModTime time.Time
	// ByEaaPL is true when another program (or an earlier version of this file) was written by EaaPL.
	ByEaaPL bool
}

func (e *ExistsError) Error() string {
	who := "EaaPL did not write it"
	if e.ByEaaPL {
		who = "another program wrote it, or it was changed since"
	}
	return fmt.Sprintf("%s already exists (%s, changed %s) and %s; replace it?", e.Path, HumanSize(e.Size),
		e.ModTime.UTC().Format(time.RFC3339), who)
}

// writeRecord is what the workspace keeps about a file EaaPL wrote, in reservedDir/writes/.
type writeRecord struct {
	Path    string   `json:"path"`
	Owner   string   `json:"owner,omitempty"`
	Key     string   `json:"key"`
	Written []string `json:"written"` // SHA-256 of the contents written, oldest first, at most keepWritten
}

// keepWritten bounds a record: a file is recognised as EaaPL's when it has one of its last few contents.
const keepWritten = 8

// WriteFile writes req.Data to req.Path atomically: to a temporary file in the same folder, synced, then
// hard-linked into place when there was no file (so a file created meanwhile is not clobbered) or renamed
// over the old one. Missing folders are made. A file that is there is replaced only when this program
// wrote it (same Key, or same Owner) and it was not changed since, or when req.Overwrite; otherwise the
// error is an *ExistsError and nothing is written.
//
// The record of who wrote what is saved before the file is moved into place, so a task killed between the
// two still recognises its file when it is retried.
func (w *Workspace) WriteFile(req Write) (WriteResult, error) {
	w.writing.Lock()
	defer w.writing.Unlock()
	rel, err := w.Rel(req.Path)
	if err != nil {
		return WriteResult{}, err
	}
	if rel == "." {
		return WriteResult{}, fmt.Errorf("write %s: the path names the workspace folder itself, not a file", req.Path)
	}
	if req.Key != "" {
		// An earlier attempt of this task killed after linking its file into place, but before removing
		// the temporary name, left it: this attempt may find the file written and write nothing.
		_ = w.root.Remove(tempName(path.Dir(rel), req.Key, "file:"+rel))
		_ = w.root.Remove(tempName(path.Dir(recordName(rel)), req.Key, "record:"+rel))
	}
	sumBytes := sha256.Sum256(req.Data)
	sum := hex.EncodeToString(sumBytes[:])
	res := WriteResult{Path: rel, Size: int64(len(req.Data)), SHA256: sum}

	rec, err := w.readRecord(rel)
	if err != nil {
		return WriteResult{}, err
	}
	exists := false
	info, err := w.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return WriteResult{}, rootErr(req.Path, err)
	case info.IsDir():
		return WriteResult{}, fmt.Errorf("write %s: a folder of that name is there", req.Path)
	default:
		exists = true
		cur := ""
		if info.Mode().IsRegular() {
			if cur, err = w.hashFile(rel); err != nil {
				return WriteResult{}, fmt.Errorf("write %s: %w", req.Path, err)
			}
		}
		ours := rec != nil && slices.Contains(rec.Written, cur) &&
			(rec.Key == req.Key || (req.Owner != "" && rec.Owner == req.Owner))
		switch {
		case cur == sum && rec != nil && rec.Key == req.Key:
			res.Outcome = AlreadyWritten
			return res, nil
		case cur == sum && !ours && !req.Overwrite:
			res.Outcome = Unchanged
			return res, nil
		case !ours && !req.Overwrite:
			return WriteResult{}, &ExistsError{Path: req.Path, Size: info.Size(), ModTime: info.ModTime(), ByEaaPL: rec != nil}
		}
	}

	if dir := path.Dir(rel); dir != "." {
		if err := w.root.MkdirAll(dir, 0o755); err != nil {
			return WriteResult{}, fmt.Errorf("write %s: %w", req.Path, rootErr(req.Path, err))
		}
	}
	next := writeRecord{Path: rel, Owner: req.Owner, Key: req.Key}
	if rec != nil {
		next.Written = slices.DeleteFunc(slices.Clone(rec.Written), func(s string) bool { return s == sum })
	}
	next.Written = append(next.Written, sum)
	if len(next.Written) > keepWritten {
		next.Written = next.Written[len(next.Written)-keepWritten:]
	}
	if err := w.saveRecord(next); err != nil {
		return WriteResult{}, fmt.Errorf("write %s: %w", req.Path, err)
	}

	tmp, err := w.writeTemp(path.Dir(rel), req.Data, req.Key, "file:"+rel)
	if err != nil {
		return WriteResult{}, fmt.Errorf("write %s: %w", req.Path, err)
	}
	defer w.root.Remove(tmp) // after a link the temporary name is left over; after a rename it is gone
	if exists {
		if err := w.root.Rename(tmp, rel); err != nil {
			return WriteResult{}, fmt.Errorf("write %s: %w", req.Path, rootErr(req.Path, err))
		}
		res.Outcome = Replaced
	} else {
		err := w.root.Link(tmp, rel)
		if errors.Is(err, fs.ErrExist) {
			info, _ := w.root.Lstat(rel)
			e := &ExistsError{Path: req.Path, ByEaaPL: false}
			if info != nil {
				e.Size, e.ModTime = info.Size(), info.ModTime()
			}
			return WriteResult{}, e
		}
		if err != nil {
			// A file system without hard links: a rename, which would replace a file created in the
			// instant since the check above.
			if err := w.root.Rename(tmp, rel); err != nil {
				return WriteResult{}, fmt.Errorf("write %s: %w", req.Path, rootErr(req.Path, err))
			}
		}
		res.Outcome = Created
	}
	w.syncDir(path.Dir(rel))
	return res, nil
}

// writeTemp writes data to a synced file in dir and returns its name. The name is made from the task's
// key and what is written (target), not at random: a task killed after writing it leaves it behind, and
// the task's retry writes the same name again and moves it into place, so no temporary file is left
// over. Without a key the name is random, as writes of different tasks would share it.
func (w *Workspace) writeTemp(dir string, data []byte, key, target string) (string, error) {
	name := tempName(dir, key, target)
	f, err := w.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		w.root.Remove(name)
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		w.root.Remove(name)
		return "", err
	}
	if err := f.Close(); err != nil {
		w.root.Remove(name)
		return "", err
	}
	return name, nil
}

// tempName is the temporary file writeTemp writes for a task's key and target in dir: random without a key.
func tempName(dir, key, target string) string {
	var b [8]byte
	if key == "" {
		rand.Read(b[:])
	} else {
		sum := sha256.Sum256([]byte(key + "\x00" + target))
		copy(b[:], sum[:])
	}
	return path.Join(dir, ".eaapl-tmp-"+hex.EncodeToString(b[:]))
}

// syncDir makes a rename in dir durable; where the system cannot sync a folder, the rename still happened.
func (w *Workspace) syncDir(dir string) {
	if d, err := w.root.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func (w *Workspace) hashFile(rel string) (string, error) {
	f, err := w.root.Open(rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func recordName(rel string) string {
	sum := sha256.Sum256([]byte(rel))
	return path.Join(reservedDir, "writes", hex.EncodeToString(sum[:16])+".json")
}

func (w *Workspace) readRecord(rel string) (*writeRecord, error) {
	data, err := w.root.ReadFile(recordName(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the write record of %s: %w", rel, err)
	}
	var rec writeRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Path != rel {
		return nil, nil // a damaged record proves nothing: the file counts as not written by EaaPL
	}
	return &rec, nil
}

func (w *Workspace) saveRecord(rec writeRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	name := recordName(rec.Path)
	if err := w.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("record the write: %w", err)
	}
	tmp, err := w.writeTemp(path.Dir(name), data, rec.Key, "record:"+rec.Path)
	if err != nil {
		return fmt.Errorf("record the write: %w", err)
	}
	if err := w.root.Rename(tmp, name); err != nil {
		w.root.Remove(tmp)
		return fmt.Errorf("record the write: %w", err)
	}
	return nil
}
