// Package contentvalue moves large text in and out of values of the content type (catalog.Content), for
// the commands that read documents and pages and those that use them: text over Threshold goes to the
// content store and the task's output carries only its reference, so a 50 MB document never enters a
// workflow history. contentstore.FromStore adapts the content store (internal/content) to it.
package contentvalue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/eaapl/eaapl/catalog"
)

// Threshold is the largest text a task's output carries itself; longer text is stored and referenced. It
// keeps a step's output well under Temporal's 2 MB payload limit even with many items.
const Threshold = 64 << 10

// ErrNoStore reports a worker built without a content store, asked to keep or read large content.
var ErrNoStore = errors.New("no content store is configured")

// Text returns text as a content value: itself when it is at most Threshold bytes, else a reference to
// it in store.
func Text(ctx context.Context, store catalog.ContentStore, text, mediaType string) (catalog.Content, error) {
	if len(text) <= Threshold {
		return catalog.Content{Text: text}, nil
	}
	if store == nil {
		return catalog.Content{}, fmt.Errorf("keep %s of text: %w", humanSize(int64(len(text))), ErrNoStore)
	}
	ref, err := store.Put(ctx, strings.NewReader(text), mediaType)
	if err != nil {
		return catalog.Content{}, fmt.Errorf("keep %s of text in the content store: %w", humanSize(int64(len(text))), err)
	}
	return catalog.Content{Ref: &ref}, nil
}

// TooLargeError is content longer than what the command reading it takes.
type TooLargeError struct {
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the text is %s, more than the %s this step takes", humanSize(e.Size), humanSize(e.Limit))
}

// Read returns the text of a content value, reading a reference from store; more than limit bytes is a
// *TooLargeError, refused from the reference's size before anything is read.
func Read(ctx context.Context, store catalog.ContentStore, c catalog.Content, limit int64) (string, error) {
	if c.Ref == nil {
		if int64(len(c.Text)) > limit {
			return "", &TooLargeError{Size: int64(len(c.Text)), Limit: limit}
		}
		return c.Text, nil
	}
	if c.Ref.Size > limit {
		return "", &TooLargeError{Size: c.Ref.Size, Limit: limit}
	}
	if store == nil {
		return "", fmt.Errorf("read stored content %s: %w", c.Ref.Ref, ErrNoStore)
	}
	rc, err := store.Get(ctx, *c.Ref)
	if err != nil {
		return "", fmt.Errorf("read stored content %s: %w", c.Ref.Ref, err)
	}
	defer rc.Close()
	var b strings.Builder
	if c.Ref.Size > 0 {
		b.Grow(int(c.Ref.Size))
	}
	n, err := io.Copy(&b, io.LimitReader(rc, limit+1))
	if err != nil {
		return "", fmt.Errorf("read stored content %s: %w", c.Ref.Ref, err)
	}
	if n > limit {
		return "", &TooLargeError{Size: n, Limit: limit}
	}
	return b.String(), nil
}

// Size is the content's length in bytes.
func Size(c catalog.Content) int64 {
	if c.Ref != nil {
		return c.Ref.Size
	}
	return int64(len(c.Text))
}

func humanSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}
