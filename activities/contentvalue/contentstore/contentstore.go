// Package contentstore adapts the content store (internal/content) to catalog.ContentStore, for the
// commands that keep large text by reference (activities/contentvalue).
package contentstore

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
)

// FromStore adapts a content store (content.Dir) to the catalog's ContentStore: a reference's Ref is
// "sha256:<hex>", the store's scheme and hash.
func FromStore(s content.Store) catalog.ContentStore { return store{s} }

type store struct{ s content.Store }

func (s store) Put(ctx context.Context, r io.Reader, mediaType string) (catalog.ContentRef, error) {
	ref, err := s.s.Put(ctx, r, mediaType)
	if err != nil {
		return catalog.ContentRef{}, err
	}
	return catalog.ContentRef{Ref: ref.Scheme + ":" + ref.Hash, Size: ref.Size, MediaType: ref.MediaType}, nil
}

func (s store) Get(ctx context.Context, ref catalog.ContentRef) (io.ReadCloser, error) {
	scheme, hash, ok := strings.Cut(ref.Ref, ":")
	r := content.Ref{Scheme: scheme, Hash: hash, Size: ref.Size, MediaType: ref.MediaType}
	if !ok {
		return nil, fmt.Errorf("content reference %q is not <scheme>:<hash>", ref.Ref)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return s.s.Get(ctx, r)
}
