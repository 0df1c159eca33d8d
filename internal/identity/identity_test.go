package identity_test

import (
	"context"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"

	"github.com/eaapl/eaapl/internal/identity"
)

// header is a Temporal header as the propagator sees it.
type header map[string]*commonpb.Payload

func (h header) Set(key string, p *commonpb.Payload) { h[key] = p }
func (h header) Get(key string) (*commonpb.Payload, bool) {
	p, ok := h[key]
	return p, ok
}
func (h header) ForEachKey(f func(string, *commonpb.Payload) error) error {
	for k, v := range h {
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}

func TestTheIdentityTravelsInTheHeader(t *testing.T) {
	p := identity.Propagator()
	h := header{}
	if err := p.Inject(identity.NewContext(context.Background(), "ann@example.com"), h); err != nil {
		t.Fatal(err)
	}
	if _, ok := h[identity.HeaderKey]; !ok {
		t.Fatalf("header = %v, want %s set", h, identity.HeaderKey)
	}
	ctx, err := p.Extract(context.Background(), h)
	if err != nil || identity.FromContext(ctx) != "ann@example.com" {
		t.Fatalf("extracted %q, %v; want ann@example.com", identity.FromContext(ctx), err)
	}
	// A context without an identity sends no header; a header with a bad identity says nobody.
	empty := header{}
	if err := p.Inject(context.Background(), empty); err != nil || len(empty) != 0 {
		t.Errorf("no identity: header %v, %v; want none", empty, err)
	}
	bad := header{}
	_ = p.Inject(identity.NewContext(context.Background(), "two words"), bad)
	if ctx, _ := p.Extract(context.Background(), bad); identity.FromContext(ctx) != "" {
		t.Errorf("a bad identity was taken: %q", identity.FromContext(ctx))
	}
}

func TestCheck(t *testing.T) {
	for id, want := range map[string]string{
		"ann@example.com":         "",
		"ann":                     "",
		"":                        "empty",
		"Ann <ann@example.com>":   "a space",
		"ann\n":                   "a space or a control character",
		strings.Repeat("a", 201):  "201 bytes; at most 200",
		"ann\x00@example.com":     "control character",
		string([]byte{0xff, 'a'}): "not UTF-8",
	} {
		err := identity.Check(id)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("Check(%q) = %v, want %q", id, err, want)
		}
	}
}
