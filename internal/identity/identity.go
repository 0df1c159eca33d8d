// Package identity carries who is acting from a client to the workflow: the CLI puts the caller's
// identity in the context of each start, answer, approval and cancel, a context propagator (registered
// on the client and so on its workers) writes it into the request's Temporal headers, and workflow code
// reads it back from its context: the start's in the workflow's own context, an update's in its
// validator's and handler's, a signal's through the worker interceptor (signals reach workflow code
// through a channel, which keeps no headers).
//
// The header is what a client says about itself: a server that checks who a client is (a JWT claim
// mapper) is what makes it true. Without one, this stops people who answer with another tool (the
// temporal CLI sends no such header) and records who said they were acting.
package identity

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// HeaderKey is the Temporal header that holds the caller's identity.
const HeaderKey = "eaapl-identity"

// MaxLen bounds an identity, so that a header cannot carry a large value into the history's events.
const MaxLen = 200

type contextKey struct{}

// NewContext returns ctx carrying the caller's identity id, for the propagator to send.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// FromContext is the identity NewContext put in ctx (an activity's context too), or "".
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(contextKey{}).(string)
	return id
}

// OfWorkflow is the identity of whoever sent what a workflow context came from: the start in the
// workflow's own context, the update in an update handler's or validator's. "" when the request said
// nobody (no header, or one that is not a valid identity).
func OfWorkflow(ctx workflow.Context) string {
	id, _ := ctx.Value(contextKey{}).(string)
	return id
}

// WithWorkflow returns ctx carrying id as its identity, as the propagator does; tests use it in an
// interceptor to act as a user the test environment cannot send headers for.
func WithWorkflow(ctx workflow.Context, id string) workflow.Context {
	return workflow.WithValue(ctx, contextKey{}, id)
}

// Check reports what is wrong with an identity: empty, too long, or with spaces or control characters,
// which would make it read as two names, or a different one, in an audit.
func Check(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("the identity is empty")
	case len(id) > MaxLen:
		return fmt.Errorf("the identity %q… is %d bytes; at most %d", id[:40], len(id), MaxLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("the identity %q is not UTF-8 text", id)
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Errorf("the identity %q has a space or a control character; use a user name or an email address", id)
	}
	return nil
}

// Propagator is the context propagator that carries the identity in HeaderKey. Register it on the
// client (client.Options.ContextPropagators): its workers use the client's propagators.
func Propagator() workflow.ContextPropagator { return propagator{} }

type propagator struct{}

var dc = converter.GetDefaultDataConverter()

func (propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(FromContext(ctx), w)
}

func (propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	return inject(OfWorkflow(ctx), w)
}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := dc.ToPayload(id)
	if err != nil {
		return fmt.Errorf("identity header: %w", err)
	}
	w.Set(HeaderKey, p)
	return nil
}

func (propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	if id := read(r); id != "" {
		return NewContext(ctx, id), nil
	}
	return ctx, nil
}

func (propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	// Always set, to "" when absent: an update without the header must not inherit the start's identity
	// from the root context it is derived from.
	return WithWorkflow(ctx, read(r)), nil
}

// read is the header's identity, or "" when there is none or it is not a valid identity: a request with
// a bad identity is a request from nobody, refused where someone is required, never an error that would
// fail the workflow task.
func read(r workflow.HeaderReader) string {
	p, ok := r.Get(HeaderKey)
	if !ok {
		return ""
	}
	var id string
	if dc.FromPayload(p, &id) != nil || Check(id) != nil {
		return ""
	}
	return id
}
