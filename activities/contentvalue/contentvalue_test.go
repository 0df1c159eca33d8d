package contentvalue_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

func TestTextAndRead(t *testing.T) {
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := contentstore.FromStore(dir)
	ctx := context.Background()

	small, err := contentvalue.Text(ctx, store, "short", "text/plain")
	if err != nil || small.Ref != nil || small.Text != "short" {
		t.Fatalf("small text = %+v, %v; want it carried as it is", small, err)
	}
	big := strings.Repeat("x", contentvalue.Threshold+1)
	c, err := contentvalue.Text(ctx, store, big, "text/plain")
	if err != nil || c.Ref == nil || c.Text != "" || c.Ref.Size != int64(len(big)) {
		t.Fatalf("large text = %+v, %v; want a reference", c, err)
	}
	back, err := contentvalue.Read(ctx, store, c, int64(len(big)))
	if err != nil || back != big {
		t.Fatalf("read back %d bytes, %v", len(back), err)
	}
	// Over the reader's limit: refused from the reference's size, nothing read.
	var tl *contentvalue.TooLargeError
	if _, err := contentvalue.Read(ctx, store, c, 10); !errors.As(err, &tl) {
		t.Errorf("read over the limit: %v, want a TooLargeError", err)
	}
	// A reference no store made is refused.
	if _, err := contentvalue.Read(ctx, store, catalog.Content{Ref: &catalog.ContentRef{Ref: "sha256:../../etc/passwd", Size: 1}}, 10); err == nil {
		t.Error("a made-up reference was read")
	}
	if _, err := contentvalue.Text(ctx, nil, big, "text/plain"); !errors.Is(err, contentvalue.ErrNoStore) {
		t.Errorf("large text without a store: %v, want ErrNoStore", err)
	}
}
