// Package activities implements the catalog's commands as Temporal activities: one method per command on
// Activities, whose fields are the outside world the commands touch (the address book, the mailbox that
// holds the user's email history, the outgoing mail server). Each method takes a catalog.Task and returns a
// catalog.TaskResult; errors that a retry cannot fix are non-retryable application errors whose type is one
// of the catalog's error codes.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
)

// Activities implements the catalog's commands. Each method's name is the command's name, which is also the
// Temporal activity type, so a worker registers them all with w.RegisterActivity(&Activities{...}).
type Activities struct {
	Contacts ContactSource // where RetrieveContacts reads
	Mailbox  Mailbox       // the user's email history, also consulted before a send
	Sender   Sender        // outgoing mail
	From     mail.Address  // the user: the sender of every email, and whose history is searched
	WorkerID string        // this worker's name in task results
}

// invalidArgument returns the non-retryable error for input that can never succeed.
func invalidArgument(t catalog.Task, format string, args ...any) error {
	return taskError(t, catalog.ErrInvalidArgument, format, args...)
}

// taskError returns a non-retryable application error of type errType whose message names the task. It
// carries no cause: the message already says all a user needs, in one sentence, and a cause would repeat it.
func taskError(t catalog.Task, errType string, format string, args ...any) error {
	msg := fmt.Sprintf("%s task %s: %s", t.Command, t.TaskID, fmt.Sprintf(format, args...))
	return temporal.NewNonRetryableApplicationError(msg, errType, nil)
}

// decodeArgs checks that every argument the catalog marks as required for t.Command is present, then
// decodes the parameters into args (a pointer to a struct with json tags) by a JSON round trip: parameters
// arrive as JSON-decoded values (map[string]any, []any, float64, string). A missing or ill-typed parameter
// is an InvalidArgument error naming the task, the parameter and what was expected.
func decodeArgs(t catalog.Task, args any) error {
	cmd, ok := catalog.Lookup(t.Command)
	if !ok {
		// A programming error in this package, not bad input: every method sets its own name.
		return fmt.Errorf("command %s is not in the catalog", t.Command)
	}
	for _, f := range cmd.Args {
		if v, present := t.Parameters[f.Name]; f.Required && (!present || v == nil) {
			return invalidArgument(t, "missing required parameter %q, which must be %s", f.Name, describeType(f.Type))
		}
	}
	for _, f := range cmd.Args {
		v, present := t.Parameters[f.Name]
		if !present || v == nil {
			continue
		}
		// Decode parameter by parameter so that an error names the parameter and its expected type.
		b, err := json.Marshal(v)
		if err != nil {
			return invalidArgument(t, "parameter %q must be %s: %v", f.Name, describeType(f.Type), err)
		}
		field := map[string]json.RawMessage{f.Name: b}
		fb, _ := json.Marshal(field) // a map of raw JSON always marshals
		if err := json.Unmarshal(fb, args); err != nil {
			return invalidArgument(t, "parameter %q must be %s; got %s", f.Name, describeType(f.Type), describeJSON(b))
		}
	}
	return nil
}

// describeType says in English what a value of a catalog type looks like.
func describeType(ty catalog.Type) string {
	if elem, ok := ty.Elem(); ok {
		return "a list whose items are each " + describeType(elem)
	}
	switch ty {
	case catalog.String:
		return "a string"
	case catalog.Bool:
		return "true or false"
	case catalog.Int:
		return "a whole number"
	case catalog.Time:
		return "a time (RFC 3339 string such as 2026-11-23T00:00:00Z)"
	case catalog.Address:
		return "an email address string"
	case catalog.Contact:
		return "a contact (object with name, email, source)"
	}
	return "a " + string(ty)
}

// describeJSON names the kind of a JSON value for an error message.
func describeJSON(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "nothing"
	}
	kind := map[byte]string{'{': "an object", '[': "a list", '"': "a string", 't': "a boolean", 'f': "a boolean", 'n': "null"}[s[0]]
	if kind == "" {
		kind = "a number"
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return kind + " " + s
}

// result builds the TaskResult of a successful task.
func (a *Activities) result(ctx context.Context, t catalog.Task, started time.Time, output map[string]any) catalog.TaskResult {
	var attempt int32
	if activity.IsActivity(ctx) {
		attempt = activity.GetInfo(ctx).Attempt
	}
	return catalog.TaskResult{
		TaskID:        t.TaskID,
		WorkerID:      a.WorkerID,
		Status:        catalog.StatusSuccess,
		Output:        output,
		ExecutionTime: time.Since(started).Milliseconds(),
		Attempt:       attempt,
	}
}

// heartbeat records progress when ctx is an activity's, and does nothing in a plain unit test.
func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// errMissingDependency reports an Activities value built without a dependency a command needs: a wiring
// bug in the worker, which a retry on another worker might not share, so it stays retryable.
var errMissingDependency = errors.New("activities: dependency not configured")
