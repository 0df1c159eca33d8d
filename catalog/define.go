package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Def is a command as its family writes it: the entry's data, the typed implementation and the English.
// D is the family's dependencies (the outside world the command touches, as small interfaces), A its
// arguments and O its output: structs whose fields, by their tags, are the command's schemas (see
// schema.go). Define turns it into the Spec that Register takes.
type Def[D, A, O any] struct {
	Name             string
	Description      string
	SideEffect       SideEffect
	Timeout          time.Duration // start-to-close, per attempt
	HeartbeatTimeout time.Duration // 0: the command does not heartbeat, and a dead worker's task waits out Timeout
	Retry            RetryPolicy
	Label            Label

	// Run is the implementation: one task. Its errors: Invalid, Fail and Ask for those a retry cannot
	// fix or that need the user; any other error is retried. CallOf(ctx) says which task it runs.
	Run func(ctx context.Context, deps D, args A) (O, error)
	// Session, when set, is the batch capability: the dependencies a batch's items share (one SMTP
	// connection for all of them) and how to end the session. Without it each item runs on deps as
	// they are; every command can run as a batch item either way.
	Session func(deps D) (D, func())

	Hint     func(errType string) string
	ReadBack func(r Reading) string
	Outcome  func(state string, output map[string]any) (verb, detail string)
	Forms    Forms

	// Preview, for a command that writes, is what a dry run does instead of Run: it changes nothing and
	// returns the output the task would have (for the steps after it) and what it would do, as the words
	// after "would": "send 'Hello World!' to alice@example.com". Its errors are Run's (an invalid address
	// fails the preview as it would fail the run). Without it a dry run says "run <Name> with <args>"
	// and gives the zero output.
	Preview func(ctx context.Context, deps D, args A) (O, string, error)
	// Verb is the command's action as a bare verb ("send"), for what a dry run would not do to a skipped
	// item: "would not send to bob@example.com"; "run <Name>" when empty.
	Verb string
}

// Define makes the Spec of a command from its definition, deriving its argument and output schemas from
// A and O. It panics on a struct field it cannot type: a programming error every start meets.
func Define[D, A, O any](d Def[D, A, O]) *Spec {
	s := &Spec{
		Command: Command{
			Name:             d.Name,
			Description:      d.Description,
			Args:             fieldsOf(reflect.TypeFor[A]()),
			Output:           fieldsOf(reflect.TypeFor[O]()),
			SideEffect:       d.SideEffect,
			Timeout:          Duration(d.Timeout),
			HeartbeatTimeout: Duration(d.HeartbeatTimeout),
			Retry:            d.Retry,
			Label:            d.Label,
		},
		Hint:     d.Hint,
		ReadBack: d.ReadBack,
		Outcome:  d.Outcome,
		Forms:    d.Forms,
		Verb:     cmp.Or(d.Verb, "run "+d.Name),
	}
	if _, file, _, ok := runtime.Caller(1); ok {
		s.dir = filepath.Dir(file)
	}
	run := d.Run
	if run == nil {
		return s // Check reports it
	}
	s.run = func(ctx context.Context, deps Deps, t Task) (map[string]any, error) {
		dep, ok := find[D](deps)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs %s", ErrMissingDependency, d.Name, reflect.TypeFor[D]())
		}
		var args A
		if err := decodeArgs(s.Command, t, &args); err != nil {
			return nil, err
		}
		out, err := run(ctx, dep, args)
		if err != nil {
			return nil, err
		}
		return outputMap(out), nil
	}
	s.preview = func(ctx context.Context, deps Deps, t Task) (map[string]any, string, error) {
		var args A
		if err := decodeArgs(s.Command, t, &args); err != nil {
			return nil, "", err
		}
		if d.Preview == nil {
			var zero O
			return outputMap(zero), s.Verb + " with " + previewArgs(t.Parameters), nil
		}
		dep, ok := find[D](deps)
		if !ok {
			return nil, "", fmt.Errorf("%w: %s needs %s", ErrMissingDependency, d.Name, reflect.TypeFor[D]())
		}
		out, what, err := d.Preview(ctx, dep, args)
		if err != nil {
			return nil, "", err
		}
		return outputMap(out), what, nil
	}
	if d.Session != nil {
		s.session = func(deps Deps) (Deps, func()) {
			dep, ok := find[D](deps)
			if !ok {
				return deps, func() {}
			}
			shared, end := d.Session(dep)
			return append(Deps{shared}, deps...), end // the first of a type wins in find
		}
	}
	return s
}

// Deps are the dependencies of a worker's command families, one value per family (contacts.Deps,
// email.Deps ...); each command finds its family's by type.
type Deps []any

// NoDeps is the dependencies of a command that touches nothing outside (ComposeEmail): it needs no
// value in Deps.
type NoDeps struct{}

func find[D any](deps Deps) (D, bool) {
	var zero D
	if _, none := any(zero).(NoDeps); none {
		return zero, true
	}
	for _, d := range deps {
		if v, ok := d.(D); ok {
			return v, true
		}
	}
	return zero, false
}

// ErrMissingDependency reports a worker built without a dependency a command needs: a wiring bug, which
// a retry on another worker might not share, so it stays retryable.
var ErrMissingDependency = errors.New("catalog: dependency not configured")

// Call is the task a command's implementation runs, as CallOf gives it.
type Call struct {
	Task     Task
	WorkerID string
	// Check says that an earlier attempt may have done the task's side effect (it is a retry, or the
	// program may repeat an earlier run), so a command with side effects must look for it first.
	Check bool
	// InBatch says the task is an item of a batch (RunBatch), whose heartbeats record the batch's own
	// progress: the task must not heartbeat details of its own (Heartbeat does nothing then).
	InBatch bool
}

type callKey struct{}

// CallOf returns the task the implementation running under ctx was given.
func CallOf(ctx context.Context) Call {
	c, _ := ctx.Value(callKey{}).(Call)
	return c
}

// Run runs one task of the command with the given dependencies, and returns its result; a failure is
// returned as a Temporal application error (non-retryable for Invalid, Fail and Ask) whose message names
// the task. The single-task activity and every batch item go through here.
func (s *Spec) Run(ctx context.Context, deps Deps, call Call) (TaskResult, error) {
	started := time.Now()
	t := call.Task
	if s.run == nil {
		return TaskResult{}, fmt.Errorf("command %s has no implementation", s.Name)
	}
	var (
		out     map[string]any
		preview string
		err     error
	)
	if t.DryRun && s.SideEffect == Writes {
		out, preview, err = s.preview(context.WithValue(ctx, callKey{}, call), deps, t)
		preview = "would " + preview
	} else {
		out, err = s.run(context.WithValue(ctx, callKey{}, call), deps, t)
	}
	if err != nil {
		return TaskResult{}, s.taskError(call, err)
	}
	var attempt int32
	if activity.IsActivity(ctx) {
		attempt = activity.GetInfo(ctx).Attempt
	}
	return TaskResult{
		TaskID:        t.TaskID,
		WorkerID:      call.WorkerID,
		Status:        StatusSuccess,
		Output:        out,
		ExecutionTime: time.Since(started).Milliseconds(),
		Attempt:       attempt,
		Preview:       preview,
	}, nil
}

// Session opens the batch session of the command, when it has a batch capability: the dependencies the
// batch's items run on, and how to end it. Without one it returns deps as they are.
func (s *Spec) Session(deps Deps) (Deps, func()) {
	if s.session == nil {
		return deps, func() {}
	}
	return s.session(deps)
}

// taskError turns an implementation's error into the task's: a Failure becomes a non-retryable
// application error of its type whose message names the task, and carries no cause (the message says
// all a user needs, in one sentence); any other error stays as it is, retryable.
func (s *Spec) taskError(call Call, err error) error {
	var f *Failure
	if !errors.As(err, &f) {
		return err
	}
	if f.Type == ErrNeedsInput {
		req := *f.Request
		req.WorkerID = call.WorkerID
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s task %s needs input: %s", s.Name, call.Task.TaskID, req.Question), ErrNeedsInput, nil, req)
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s task %s: %s", s.Name, call.Task.TaskID, f.Msg), f.Type, nil)
}

// Failure is an error no retry can fix, or a question: what Invalid, Fail and Ask return.
type Failure struct {
	Type    string // ErrInvalidArgument, ErrNotFound, ErrUnauthorized or ErrNeedsInput
	Msg     string
	Request *InputRequest // for ErrNeedsInput
}

func (f *Failure) Error() string { return f.Type + ": " + f.Msg }

// Invalid is the error of input that can never succeed (ErrInvalidArgument).
func Invalid(format string, args ...any) error {
	return &Failure{Type: ErrInvalidArgument, Msg: fmt.Sprintf(format, args...)}
}

// Fail is a non-retryable error of the given type (one of the catalog's error codes).
func Fail(errType, format string, args ...any) error {
	return &Failure{Type: errType, Msg: fmt.Sprintf(format, args...)}
}

// Ask is the error of a task that cannot go on without the user: the workflow asks req.Question and
// runs the task again with the answer in the argument req.Param.
func Ask(req InputRequest) error {
	return &Failure{Type: ErrNeedsInput, Msg: req.Question, Request: &req}
}

// LaterError is a failure the other side asked to try again (a 429 or 5xx, no answer in time): After is
// its Retry-After, 0 when it gave none. An adapter returns it; its command makes it RetryLater's error.
type LaterError struct {
	Err   error
	After time.Duration
}

func (e *LaterError) Error() string { return e.Err.Error() }
func (e *LaterError) Unwrap() error { return e.Err }

// MaxRetryAfter bounds how long a server's Retry-After may hold a task back.
const MaxRetryAfter = 5 * time.Minute

// RetryLater is the task's error for later, of the Temporal error type errType: retried, after the
// server's Retry-After (at most MaxRetryAfter) instead of the policy's backoff when it sent one.
func RetryLater(errType string, later *LaterError) error {
	return temporal.NewApplicationErrorWithOptions(later.Error(), errType, temporal.ApplicationErrorOptions{NextRetryDelay: min(later.After, MaxRetryAfter)})
}

// decodeArgs checks that every argument the entry marks as required is present, then decodes the
// parameters into args (a pointer to the command's argument struct) one by one, so that an error names
// the parameter and what was expected: parameters arrive as JSON-decoded values.
func decodeArgs(c Command, t Task, args any) error {
	for _, f := range c.Args {
		if v, present := t.Parameters[f.Name]; f.Required && (!present || v == nil) {
			return Invalid("missing required parameter %q, which must be %s", f.Name, Words(f.Type))
		}
	}
	for _, f := range c.Args {
		v, present := t.Parameters[f.Name]
		if !present || v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return Invalid("parameter %q must be %s: %v", f.Name, Words(f.Type), err)
		}
		fb, _ := json.Marshal(map[string]json.RawMessage{f.Name: b}) // a map of raw JSON always marshals
		if err := json.Unmarshal(fb, args); err != nil {
			return Invalid("parameter %q must be %s; got %s", f.Name, Words(f.Type), describeJSON(b))
		}
	}
	return nil
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

// outputMap is a command's output struct as the task result's output: one entry per schema field, a
// nil list as an empty one (a plan reads an empty list, never null).
func outputMap(out any) map[string]any {
	v := reflect.ValueOf(out)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	m := map[string]any{}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Slice && fv.IsNil() {
			fv = reflect.MakeSlice(fv.Type(), 0, 0)
		}
		m[name] = fv.Interface()
	}
	return m
}

// Heartbeat records a task's progress when ctx is a single task's activity, and does nothing in a plain
// unit test or in a batch item (the batch heartbeats its own progress; see Call.InBatch).
func Heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) && !CallOf(ctx).InBatch {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// previewArgs is a task's parameters for a generic preview: compact JSON, cut to a line.
func previewArgs(params map[string]any) string {
	b, err := json.Marshal(params) // parameters arrive as decoded JSON, which always marshals
	if err != nil {
		return "its parameters"
	}
	if s := string(b); len(s) > 200 {
		return s[:199] + "…"
	}
	return string(b)
}

// runFunc and sessionFunc are a Def's implementation and batch capability with their types erased.
type (
	runFunc     func(ctx context.Context, deps Deps, t Task) (map[string]any, error)
	previewFunc func(ctx context.Context, deps Deps, t Task) (map[string]any, string, error)
	sessionFunc func(deps Deps) (Deps, func())
)
