package content

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultMaxSize is the largest value a Dir stores when DirOptions.MaxSize is 0: well above the 50 MB
// documents and pages the commands handle, well below filling a disk by mistake.
const DefaultMaxSize = 1 << 30 // 1 GiB

// Dir is a Store in a directory: each value is a file named by its hash, root/sha256/9f/86d0…, written
// to a temporary file and renamed into place, so a reader never sees half a value and two workers
// writing the same value at once both succeed. Workers on several machines share it on a common volume.
type Dir struct {
	root    string
	maxSize int64
}

// DirOptions tune a Dir.
type DirOptions struct {
	MaxSize int64 // the largest value Put accepts; DefaultMaxSize when 0
}

// OpenDir opens the store in root, creating it (mode 0700: values are the user's data) when missing.
func OpenDir(root string, opts DirOptions) (*Dir, error) {
	if root == "" {
		return nil, errors.New("open content store: no directory given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open content store %s: %w", root, err)
	}
	for _, d := range []string{abs, filepath.Join(abs, Scheme), filepath.Join(abs, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open content store %s: %w", root, err)
		}
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	removeStale(filepath.Join(abs, "tmp"))
	return &Dir{root: abs, maxSize: opts.MaxSize}, nil
}

// staleAfter is the age at which a temporary file is taken to be left by a process that died mid-Put.
const staleAfter = 24 * time.Hour

// removeStale removes what puts that never finished left behind, so a crashing worker cannot fill the disk.
func removeStale(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return // a store that cannot be tidied still works
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "put-") && time.Since(info.ModTime()) > staleAfter {
			_ = os.Remove(filepath.Join(tmp, e.Name()))
		}
	}
}

// Root is the store's directory.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(ref Ref) string {
	return filepath.Join(d.root, Scheme, ref.Hash[:2], ref.Hash[2:])
}

// Put implements Store. A value over the store's MaxSize is a *TooLargeError, and nothing is kept of it.
func (d *Dir) Put(ctx context.Context, r io.Reader, mediaType string) (Ref, error) {
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "put-*")
	if err != nil {
		return Ref{}, fmt.Errorf("put content into %s: %w", d.root, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(r, d.maxSize+1)})
	if err != nil {
		return Ref{}, fmt.Errorf("put content into %s: %w", d.root, err)
	}
	if n > d.maxSize {
		return Ref{}, fmt.Errorf("put content into %s: %w", d.root, &TooLargeError{Limit: d.maxSize})
	}
	if err := tmp.Sync(); err != nil {
		return Ref{}, fmt.Errorf("put content into %s: %w", d.root, err)
	}
	if err := tmp.Close(); err != nil {
		return Ref{}, fmt.Errorf("put content into %s: %w", d.root, err)
	}
	ref := Ref{Scheme: Scheme, Hash: hex.EncodeToString(h.Sum(nil)), Size: n, MediaType: mediaType}
	final := d.path(ref)
	if info, err := os.Stat(final); err == nil && info.Size() == n {
		return ref, nil // already stored: the hash says the bytes are the same
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Ref{}, fmt.Errorf("put content %s into %s: %w", ref, d.root, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Ref{}, fmt.Errorf("put content %s into %s: %w", ref, d.root, err)
	}
	return ref, nil
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, ref Ref) (io.ReadCloser, error) {
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NotFoundError{Ref: ref, Where: d.root}
	}
	if err != nil {
		return nil, fmt.Errorf("get content %s: %w", ref, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get content %s: %w", ref, err)
	}
	if info.Size() != ref.Size {
		f.Close()
		return nil, fmt.Errorf("get content %s: the stored file %s has %d bytes, not %d: it was changed outside the store", ref, f.Name(), info.Size(), ref.Size)
	}
	return &checkedReader{ctx: ctx, f: f, ref: ref, h: sha256.New()}, nil
}

// checkedReader reads a stored value and, at its end, checks that its bytes still have the ref's hash.
type checkedReader struct {
	ctx context.Context
	f   *os.File
	ref Ref
	h   hash.Hash
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.f.Read(p)
	c.h.Write(p[:n])
	if errors.Is(err, io.EOF) && hex.EncodeToString(c.h.Sum(nil)) != c.ref.Hash {
		return n, fmt.Errorf("get content %s: the stored file %s no longer has that hash: it was changed outside the store", c.ref, c.f.Name())
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.f.Close() }

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
