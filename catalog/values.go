package catalog

import (
	"context"
	"encoding/json"
	"io"
)

// ContactValue is a value of the contact type: one entry of the user's address book.
type ContactValue struct {
	Name   string `json:"name" desc:"display name, may be empty"`
	Email  string `json:"email" eaapl:"address,required" desc:"email address"`
	Source string `json:"source" desc:"where the contact came from, file:line"` // e.g. "contacts.vcf:12"
}

// Recipient is an argument of the contact type that also takes an address as a bare string, as a plan
// may write it: "to": "ann@example.com".
type Recipient ContactValue

// UnmarshalJSON reads a contact object or a bare address string.
func (r *Recipient) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = Recipient{Email: s}
		return nil
	}
	var c ContactValue
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	*r = Recipient(c)
	return nil
}

// ContentRef is a value of the content type that is stored, not carried: a large document, page or table
// in a content store, named by Ref. Values over a size threshold travel this way so that they never meet
// Temporal's payload (2 MB) and gRPC (4 MB) limits.
type ContentRef struct {
	Ref       string `json:"ref" eaapl:"required" desc:"where the content is stored"`
	Size      int64  `json:"size" desc:"its size in bytes"`
	MediaType string `json:"media_type" desc:"its media type, e.g. text/plain"`
}

// Content is an argument or output of the content type: the text itself when it is small (Text), or a
// reference to stored content (Ref). Commands read it through a ContentStore, which they get as a
// dependency; the store itself (Put and Get by reference) is the content store's package.
type Content struct {
	Text string
	Ref  *ContentRef
}

// MarshalJSON writes the text as a JSON string, or the reference as an object.
func (c Content) MarshalJSON() ([]byte, error) {
	if c.Ref != nil {
		return json.Marshal(c.Ref)
	}
	return json.Marshal(c.Text)
}

// UnmarshalJSON reads a JSON string (the text) or an object (a reference).
func (c *Content) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Content{Text: s}
		return nil
	}
	var ref ContentRef
	if err := json.Unmarshal(b, &ref); err != nil {
		return err
	}
	*c = Content{Ref: &ref}
	return nil
}

// ContentStore keeps large values out of the workflow history: Put stores a value and returns its
// reference, Get opens it again. It is the hook for the content store; a command that reads or writes
// content takes one in its dependencies.
type ContentStore interface {
	Put(ctx context.Context, r io.Reader, mediaType string) (ContentRef, error)
	Get(ctx context.Context, ref ContentRef) (io.ReadCloser, error)
}
