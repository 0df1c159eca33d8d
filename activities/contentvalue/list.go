package contentvalue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

// A list too long to carry in a task's output (a 100,000-row address book) is kept in the content store
// as chunks of ChunkItems items, each a JSON array, and an index, the JSON array of the chunks'
// references. The output carries only {"stored_list": List}: a few hundred bytes whatever the list's
// length, so neither the output's payload nor the program's history grows with it. A workflow reads the
// items it needs a page at a time through the ReadListPage activity; each page reads the index and the
// one or two chunks under it, so a worker never holds more than a chunk of the list.

// ListKey is the one key of a value that stands for a stored list.
const ListKey = catalog.StoredListKey

// DefaultChunkItems is how many items one chunk of a stored list holds: a chunk of contacts is about
// 100 KB, and a list of 1,000,000 items has an index of 1,000 references (about 120 KB).
const DefaultChunkItems = 1000

// MaxPageItems is the most items one ReadListPage returns, so that a page stays far under Temporal's
// 2 MB payload limit (and under the 256 KB from which a payload is offloaded) for items of a few hundred
// bytes.
const MaxPageItems = 1000

// maxChunkBytes bounds what one chunk or index read takes into memory: a chunk of 1,000 items of 16 KB.
const maxChunkBytes = 16 << 20

// List is a stored list: how many items, how many each chunk holds, and the index of the chunks.
type List struct {
	Count      int                `json:"count"`
	ChunkItems int                `json:"chunk_items"`
	Index      catalog.ContentRef `json:"index"`
}

// Value is the list as a value of a task's output: {"stored_list": List}.
func (l List) Value() map[string]any { return map[string]any{ListKey: l} }

// String names the list as errors show it.
func (l List) String() string {
	return fmt.Sprintf("the stored list of %d items (%s)", l.Count, l.Index.Ref)
}

// ListOf recognises a stored list in a value: List.Value itself, or the same read back from JSON (in
// a workflow, a step's output). It never reads the store, so workflow code may call it: its JSON round
// trip is deterministic, and workflowcheck sees only the reflection inside encoding/json.
//
//workflowcheck:ignore
func ListOf(v any) (List, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return List{}, false
	}
	switch l := m[ListKey].(type) {
	case List:
		return l, true
	case map[string]any:
		b, err := json.Marshal(l)
		if err != nil {
			return List{}, false
		}
		var out List
		if json.Unmarshal(b, &out) != nil || out.Index.Ref == "" || out.ChunkItems <= 0 || out.Count < 0 {
			return List{}, false
		}
		return out, true
	}
	return List{}, false
}

// ListWriter writes a stored list an item at a time, holding at most one chunk in memory.
type ListWriter struct {
	store      catalog.ContentStore
	chunkItems int
	chunk      bytes.Buffer // the open chunk's JSON array, without its closing bracket
	inChunk    int
	chunks     []catalog.ContentRef
	count      int
}

// NewListWriter returns a writer of a list into store, in chunks of chunkItems (DefaultChunkItems when 0).
func NewListWriter(store catalog.ContentStore, chunkItems int) *ListWriter {
	if chunkItems <= 0 {
		chunkItems = DefaultChunkItems
	}
	return &ListWriter{store: store, chunkItems: chunkItems}
}

// Add appends an item, storing the chunk it fills.
func (w *ListWriter) Add(ctx context.Context, item any) error {
	b, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("stored list item %d: %w", w.count+1, err)
	}
	if w.inChunk == 0 {
		w.chunk.WriteByte('[')
	} else {
		w.chunk.WriteByte(',')
	}
	w.chunk.Write(b)
	w.inChunk++
	w.count++
	if w.inChunk == w.chunkItems {
		return w.flush(ctx)
	}
	return nil
}

func (w *ListWriter) flush(ctx context.Context) error {
	if w.inChunk == 0 {
		return nil
	}
	w.chunk.WriteByte(']')
	ref, err := w.put(ctx, w.chunk.Bytes())
	if err != nil {
		return fmt.Errorf("store chunk %d of a list: %w", len(w.chunks)+1, err)
	}
	w.chunks = append(w.chunks, ref)
	w.chunk.Reset()
	w.inChunk = 0
	return nil
}

func (w *ListWriter) put(ctx context.Context, b []byte) (catalog.ContentRef, error) {
	if w.store == nil {
		return catalog.ContentRef{}, ErrNoStore
	}
	return w.store.Put(ctx, bytes.NewReader(b), "application/json")
}

// Finish stores the last chunk and the index, and returns the list.
func (w *ListWriter) Finish(ctx context.Context) (List, error) {
	if err := w.flush(ctx); err != nil {
		return List{}, err
	}
	chunks := w.chunks
	if chunks == nil {
		chunks = []catalog.ContentRef{}
	}
	index, err := json.Marshal(chunks)
	if err != nil {
		return List{}, fmt.Errorf("stored list index: %w", err)
	}
	ref, err := w.put(ctx, index)
	if err != nil {
		return List{}, fmt.Errorf("store the index of a list of %d items: %w", w.count, err)
	}
	return List{Count: w.count, ChunkItems: w.chunkItems, Index: ref}, nil
}

// ReadRange returns items [from, from+n) of a stored list, reading its index and only the chunks under
// the range.
func ReadRange(ctx context.Context, store catalog.ContentStore, l List, from, n int) ([]json.RawMessage, error) {
	if from < 0 || n < 0 || from+n > l.Count {
		return nil, fmt.Errorf("items %d to %d of %s: out of range", from+1, from+n, l)
	}
	if l.ChunkItems <= 0 {
		return nil, fmt.Errorf("%s: chunk size %d is not positive", l, l.ChunkItems)
	}
	if n == 0 {
		return []json.RawMessage{}, nil
	}
	var chunks []catalog.ContentRef
	if err := readJSON(ctx, store, l.Index, &chunks); err != nil {
		return nil, fmt.Errorf("read the index of %s: %w", l, err)
	}
	if want := (l.Count + l.ChunkItems - 1) / l.ChunkItems; len(chunks) != want {
		return nil, fmt.Errorf("%s: its index has %d chunks, want %d", l, len(chunks), want)
	}
	out := make([]json.RawMessage, 0, n)
	for k := from / l.ChunkItems; len(out) < n; k++ {
		var items []json.RawMessage
		if err := readJSON(ctx, store, chunks[k], &items); err != nil {
			return nil, fmt.Errorf("read chunk %d of %s: %w", k+1, l, err)
		}
		if want := min(l.ChunkItems, l.Count-k*l.ChunkItems); len(items) != want {
			return nil, fmt.Errorf("%s: chunk %d has %d items, want %d", l, k+1, len(items), want)
		}
		start := max(from-k*l.ChunkItems, 0)
		out = append(out, items[start:min(len(items), start+n-len(out))]...)
	}
	return out, nil
}

func readJSON(ctx context.Context, store catalog.ContentStore, ref catalog.ContentRef, v any) error {
	if store == nil {
		return ErrNoStore
	}
	if ref.Size > maxChunkBytes {
		return &TooLargeError{Size: ref.Size, Limit: maxChunkBytes}
	}
	rc, err := store.Get(ctx, ref)
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxChunkBytes+1))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// ReadListPage is the activity type of Lists.ReadListPage.
const ReadListPage = "ReadListPage"

// PageRequest asks for Count items of a stored list from position From (0-based).
type PageRequest struct {
	List  List `json:"list"`
	From  int  `json:"from"`
	Count int  `json:"count"`
}

// Page is a page of a stored list's items, as JSON.
type Page struct {
	Items []json.RawMessage `json:"items"`
}

// Lists is the activity that reads stored lists for the workflows, a page at a time.
type Lists struct {
	Store catalog.ContentStore
}

// ReadListPage returns a page of a stored list. A range outside the list, or a list the store does not
// hold, is an error no retry can fix.
func (a *Lists) ReadListPage(ctx context.Context, req PageRequest) (Page, error) {
	if req.Count > MaxPageItems {
		return Page{}, refuse(catalog.ErrInvalidArgument, fmt.Errorf("a page of %d items of %s: at most %d", req.Count, req.List, MaxPageItems))
	}
	items, err := ReadRange(ctx, a.Store, req.List, req.From, req.Count)
	var tooLarge *TooLargeError
	switch {
	case errors.Is(err, ErrNoStore), errors.As(err, &tooLarge):
		return Page{}, refuse(catalog.ErrInvalidArgument, err)
	case errors.Is(err, content.ErrNotFound):
		// Most likely another worker wrote it into a store this one does not share.
		return Page{}, refuse(catalog.ErrNotFound, fmt.Errorf("%w: every worker must use one content store (EAAPL_DATA_DIR on a volume they all mount; docs/scale.md)", err))
	case err != nil && (req.From < 0 || req.Count < 0 || req.From+req.Count > req.List.Count):
		return Page{}, refuse(catalog.ErrInvalidArgument, err)
	case err != nil:
		return Page{}, err // the store may answer next time
	}
	return Page{Items: items}, nil
}

func refuse(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, err)
}

// StoreList is the activity type of Lists.StoreList.
const StoreList = "StoreList"

// StoreRequest is a list to store, its items as JSON.
type StoreRequest struct {
	Items []json.RawMessage `json:"items"`
}

// StoreList keeps a list in the store and returns its reference: a workflow's report of many items (a
// shard's per-item results) leaves the history this way.
func (a *Lists) StoreList(ctx context.Context, req StoreRequest) (List, error) {
	if a.Store == nil {
		return List{}, refuse(catalog.ErrInvalidArgument, fmt.Errorf("store a list of %d items: %w", len(req.Items), ErrNoStore))
	}
	w := NewListWriter(a.Store, 0)
	for _, it := range req.Items {
		if err := w.Add(ctx, it); err != nil {
			return List{}, err
		}
	}
	return w.Finish(ctx)
}
