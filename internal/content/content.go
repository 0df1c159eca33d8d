// Package content keeps large values out of Temporal's workflow history: a document, a web page, a table
// or any payload over a threshold is written once to a content store, keyed by the SHA-256 of its bytes,
// and travels through the workflow as a small reference.
//
// Two ways in, one store:
//
//   - Transparently, through the Temporal SDK's own external storage (converter.ExternalStorage, the SDK's
//     claim check, in go.temporal.io/sdk since v1.51): ExternalStorage(store, threshold) goes into
//     client.Options, and every payload over the threshold (an activity's or a workflow's input and
//     result, the client's start, signal and update requests) is stored by Driver and replaced in the
//     history by a reference the SDK resolves again before the data converter sees it. Heartbeat details
//     are not offloaded by SDK v1.51, so checkpoints must stay small by design (contactfile's do). This is preferred over a
//     home-made PayloadCodec that does the same (samples-go's claim-check pattern) because the SDK applies
//     it at the right place for every message, after the data converter and its codecs (so an encrypting
//     codec's ciphertext is what gets stored), bounds its concurrency, and knows the replayer needs it
//     (worker.WorkflowReplayerOptions.ExternalStorage). The SDK marks it experimental: Driver is the only
//     code that touches it.
//   - Explicitly, as a value of the large-content type: a command that reads a 50 MB file puts it with
//     Store.Put and returns the Ref; the next command opens it with Store.Get. The workflow only ever
//     holds the Ref's few bytes of JSON, whatever the threshold.
//
// Dir is the store on a filesystem: the dev stack keeps it under its data dir (.eaapl/content), a cluster
// on a volume every worker mounts. An S3-compatible store is the next step (a Store over
// github.com/minio/minio-go/v7, keyed the same way), left out until a test can run it against a real
// S3-compatible server.
package content

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Scheme is how a Ref's Hash was computed; the only one so far.
const Scheme = "sha256"

// Ref names a value in a content store: small JSON that fits in any payload, whatever the value's size.
// Equal bytes have equal refs, so writing a value twice stores it once.
type Ref struct {
	Scheme    string `json:"scheme"`               // "sha256"
	Hash      string `json:"hash"`                 // lower-case hex of the hash of the bytes
	Size      int64  `json:"size"`                 // bytes
	MediaType string `json:"media_type,omitempty"` // e.g. "text/csv"; a hint, not part of the key
}

// String names the ref the way an error shows it: "sha256:9f86d0…15b0a08 (50 MB)".
func (r Ref) String() string {
	h := r.Hash
	if len(h) > 16 {
		h = h[:8] + "…" + h[len(h)-8:]
	}
	return fmt.Sprintf("%s:%s (%s)", r.Scheme, h, humanSize(r.Size))
}

// Validate reports a ref that no store could have made: another scheme, a hash that is not 64 hex digits,
// a negative size. Stores check it before the hash becomes part of a path.
func (r Ref) Validate() error {
	if r.Scheme != Scheme {
		return fmt.Errorf("content ref %s: unknown scheme %q (want %q)", r, r.Scheme, Scheme)
	}
	if b, err := hex.DecodeString(r.Hash); err != nil || len(b) != 32 || hex.EncodeToString(b) != r.Hash {
		return fmt.Errorf("content ref %s: hash is not 64 lower-case hex digits", r)
	}
	if r.Size < 0 {
		return fmt.Errorf("content ref %s: negative size", r)
	}
	return nil
}

// Store keeps values by the hash of their bytes.
type Store interface {
	// Put stores what r yields and returns its ref. Putting the same bytes again returns the same ref and
	// stores nothing new, so a retried activity's Put is harmless.
	Put(ctx context.Context, r io.Reader, mediaType string) (Ref, error)
	// Get opens the value of ref. A ref the store does not hold is a *NotFoundError. Reading the value to
	// its end checks it against the ref: bytes that have changed since Put are an error, not a result.
	Get(ctx context.Context, ref Ref) (io.ReadCloser, error)
}

// ErrNotFound is what a *NotFoundError satisfies with errors.Is.
var ErrNotFound = errors.New("content not found")

// NotFoundError is a ref the store does not hold, and where it looked.
type NotFoundError struct {
	Ref   Ref
	Where string // the store, e.g. the directory
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("content %s is not in the store %s", e.Ref, e.Where)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// TooLargeError is a value over a store's limit.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("content is larger than the store's limit of %s", humanSize(e.Limit))
}

// ReadAll reads the value of ref into memory, refusing one over limit bytes before reading it.
func ReadAll(ctx context.Context, s Store, ref Ref, limit int64) ([]byte, error) {
	if ref.Size > limit {
		return nil, fmt.Errorf("read content %s: %w", ref, &TooLargeError{Limit: limit})
	}
	rc, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(ref.Size) + bytes.MinRead) // one allocation: ReadFrom needs MinRead spare to see the end
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, fmt.Errorf("read content %s: %w", ref, err)
	}
	return buf.Bytes(), nil
}

func humanSize(n int64) string {
	const unit = 1000
	switch {
	case n < unit:
		return fmt.Sprintf("%d B", n)
	case n < unit*unit:
		return fmt.Sprintf("%.1f kB", float64(n)/unit)
	case n < unit*unit*unit:
		return fmt.Sprintf("%.1f MB", float64(n)/(unit*unit))
	default:
		return fmt.Sprintf("%.1f GB", float64(n)/(unit*unit*unit))
	}
}
