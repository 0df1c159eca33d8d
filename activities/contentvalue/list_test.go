package contentvalue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

func newStore(t *testing.T) catalog.ContentStore {
	t.Helper()
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return contentstore.FromStore(dir)
}

// writeList stores n items {"n": i} in chunks of chunk.
func writeList(t *testing.T, store catalog.ContentStore, n, chunk int) contentvalue.List {
	t.Helper()
	w := contentvalue.NewListWriter(store, chunk)
	for i := range n {
		if err := w.Add(context.Background(), map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := w.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func numbers(t *testing.T, items []json.RawMessage) []int {
	t.Helper()
	out := make([]int, len(items))
	for i, raw := range items {
		var v struct{ N int }
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out[i] = v.N
	}
	return out
}

func TestStoredList(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	l := writeList(t, store, 2345, 1000)
	if l.Count != 2345 || l.ChunkItems != 1000 || l.Index.Ref == "" {
		t.Fatalf("list = %+v, want 2345 items in chunks of 1000", l)
	}

	t.Run("ReadsAnyRangeAcrossChunks", func(t *testing.T) {
		for _, r := range [][2]int{{0, 0}, {0, 1}, {0, 1000}, {999, 2}, {500, 1500}, {1990, 355}, {2344, 1}, {0, 2345}} {
			items, err := contentvalue.ReadRange(ctx, store, l, r[0], r[1])
			if err != nil {
				t.Fatalf("range %v: %v", r, err)
			}
			got := numbers(t, items)
			if len(got) != r[1] {
				t.Fatalf("range %v: %d items", r, len(got))
			}
			for i, n := range got {
				if n != r[0]+i {
					t.Fatalf("range %v: item %d is %d, want %d", r, i, n, r[0]+i)
				}
			}
		}
	})

	t.Run("RefusesARangeOutsideTheList", func(t *testing.T) {
		for _, r := range [][2]int{{-1, 2}, {2000, 346}, {0, -1}} {
			if _, err := contentvalue.ReadRange(ctx, store, l, r[0], r[1]); err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Errorf("range %v: err = %v, want out of range", r, err)
			}
		}
	})

	t.Run("IsRecognisedAfterAJSONRoundTrip", func(t *testing.T) {
		b, err := json.Marshal(map[string]any{"contacts": l.Value(), "count": l.Count})
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		got, ok := contentvalue.ListOf(out["contacts"])
		if !ok || got != l {
			t.Fatalf("ListOf(%s) = %+v, %v; want %+v", b, got, ok, l)
		}
		for _, v := range []any{[]any{}, map[string]any{"stored_list": "x"}, map[string]any{"stored_list": map[string]any{"count": 1}}, map[string]any{"stored_list": l, "other": 1}} {
			if _, ok := contentvalue.ListOf(v); ok {
				t.Errorf("ListOf(%v) recognised a list", v)
			}
		}
		if len(b) > 400 {
			t.Errorf("the output with a stored list of %d items is %d bytes, want a few hundred", l.Count, len(b))
		}
	})

	t.Run("TheActivityReadsAPageAndRefusesWhatNoRetryFixes", func(t *testing.T) {
		a := &contentvalue.Lists{Store: store}
		page, err := a.ReadListPage(ctx, contentvalue.PageRequest{List: l, From: 1500, Count: 500})
		if err != nil || len(page.Items) != 500 || numbers(t, page.Items)[0] != 1500 {
			t.Fatalf("page = %d items, %v; want 500 from 1500", len(page.Items), err)
		}
		missing := l
		missing.Index.Ref = "sha256:" + strings.Repeat("0", 64)
		for name, req := range map[string]contentvalue.PageRequest{
			"too many":     {List: l, From: 0, Count: contentvalue.MaxPageItems + 1},
			"out of range": {List: l, From: 2000, Count: 500},
			"not in store": {List: missing, From: 0, Count: 10},
		} {
			_, err := a.ReadListPage(ctx, req)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !appErr.NonRetryable() {
				t.Errorf("%s: err = %v, want a non-retryable application error", name, err)
			}
		}
		if _, err := (&contentvalue.Lists{}).ReadListPage(ctx, contentvalue.PageRequest{List: l, Count: 1}); !strings.Contains(fmt.Sprint(err), "no content store") {
			t.Errorf("without a store: err = %v, want it named", err)
		}
	})

	t.Run("StoreListKeepsAListOfJSONItems", func(t *testing.T) {
		a := &contentvalue.Lists{Store: store}
		req := contentvalue.StoreRequest{}
		for i := range 1500 {
			req.Items = append(req.Items, json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)))
		}
		stored, err := a.StoreList(ctx, req)
		if err != nil || stored.Count != 1500 {
			t.Fatalf("StoreList = %+v, %v; want 1500 items", stored, err)
		}
		items, err := contentvalue.ReadRange(ctx, store, stored, 999, 2)
		if got := numbers(t, items); err != nil || len(got) != 2 || got[0] != 999 || got[1] != 1000 {
			t.Errorf("items 1000 and 1001 = %v, %v", got, err)
		}
		if _, err := (&contentvalue.Lists{}).StoreList(ctx, req); !strings.Contains(fmt.Sprint(err), "no content store") {
			t.Errorf("without a store: err = %v, want it named", err)
		}
	})

	t.Run("AnEmptyListHasNoChunks", func(t *testing.T) {
		e := writeList(t, store, 0, 10)
		if items, err := contentvalue.ReadRange(ctx, store, e, 0, 0); e.Count != 0 || err != nil || len(items) != 0 {
			t.Fatalf("empty list %+v: %d items, %v", e, len(items), err)
		}
	})
}
