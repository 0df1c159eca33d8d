// Package starter is the client side of EaaPL: it starts programs, follows their progress through the
// status query, and collects their results.
package starter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/workflows"
)

// Starter starts and follows programs on a task queue.
type Starter struct {
	Client    client.Client
	TaskQueue string
	// Warn, when set, is told what a person should know about a start that went ahead anyway, such as a
	// server without the EaaPLProgram search attribute.
	Warn func(string)
	// Encrypted says the client encrypts payloads (internal/crypt). Search attributes are never encrypted,
	// so the program's text then stays out of the EaaPLProgram attribute; the static summary and details,
	// which are payloads, still show it through the codec server.
	Encrypted bool
	// Identity is who is acting (EAAPL_USER_ID): it goes with each start, answer and cancel in the
	// eaapl-identity header (internal/identity; the client needs identity.Propagator), and the program
	// started is its owner.
	Identity string
	// AllowReuse lets Start run a program with the ID of one that has ended (`eaapl run --allow-reuse`);
	// it still never sends an email the earlier run sent (workflows.Input.FirstRun).
	AllowReuse bool
}

// acting is ctx carrying the starter's identity for the propagator.
func (s *Starter) acting(ctx context.Context) context.Context {
	if s.Identity == "" {
		return ctx
	}
	return identity.NewContext(ctx, s.Identity)
}

// ReusedIDError is a start refused because a program with that ID has already run.
type ReusedIDError struct{ ID string }

func (e *ReusedIDError) Error() string {
	return fmt.Sprintf("not started: a program with the ID %s exists already, running or ended (`eaapl audit %s` shows it); "+
		"give another --id, or --allow-reuse to run it again, which sends no email the earlier run sent", e.ID, e.ID)
}

// NewWorkflowID returns a fresh, readable workflow ID: program-20261125-214000-1a2b3c.
func NewWorkflowID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return fmt.Sprintf("program-%s-%s", now.UTC().Format("20060102-150405"), hex.EncodeToString(b))
}

// Start starts a program as a Program workflow with the given ID. The Temporal Web UI then shows the
// program's text: in the workflow list (its static summary, and the EaaPLProgram search attribute as a
// column) and on the program's page (its static details, with the plan's steps when in holds a plan).
// On a server without the EaaPLProgram attribute the program starts without it, and Warn says so.
//
// An ID that a program has already used (running or ended) is refused with a *ReusedIDError unless
// AllowReuse; a program text longer than workflows.MaxProgramBytes is refused before it is sent.
func (s *Starter) Start(ctx context.Context, id string, in workflows.Input) (client.WorkflowRun, error) {
	if len(in.Program) > workflows.MaxProgramBytes {
		return nil, fmt.Errorf("not started: the program %s is longer than %d bytes", workflows.Excerpt(in.Program), workflows.MaxProgramBytes)
	}
	ctx = s.acting(ctx)
	text := programText(in)
	opts := client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                s.TaskQueue,
		StaticSummary:                            oneLine(text, summaryMax),
		StaticDetails:                            staticDetails(in),
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
	// Refusing an ID that has run is what lets the program skip looking for its emails in the mailbox.
	in.FirstRun = !s.AllowReuse
	if s.AllowReuse {
		opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	if text != "" && !s.Encrypted {
		opts.TypedSearchAttributes = temporal.NewSearchAttributes(ProgramAttribute.ValueSet(cutText(text, attributeMax)))
	}
	run, err := s.Client.ExecuteWorkflow(ctx, opts, workflows.WorkflowType, in)
	if err != nil && text != "" && unknownAttribute(err) {
		// Any other invalid argument fails again just below, with the server's own words.
		opts.TypedSearchAttributes = temporal.SearchAttributes{}
		if run, err = s.Client.ExecuteWorkflow(ctx, opts, workflows.WorkflowType, in); err == nil && s.Warn != nil {
			s.Warn(fmt.Sprintf("the Temporal server has no %s search attribute, so the Web UI's list cannot show the program's text as a column; "+
				"`temporal operator search-attribute create --name %s --type Text` adds it", ProgramAttributeName, ProgramAttributeName))
		}
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil, &ReusedIDError{ID: id}
	}
	if err != nil {
		return nil, fmt.Errorf("start program: %w", err)
	}
	return run, nil
}

// FailedError is a program that ran and failed; Result says what was done and what was not.
type FailedError struct {
	Result  workflows.Result
	Message string
}

func (e *FailedError) Error() string { return e.Message }

// Wait waits for a program to end, calling progress with its status each time the status changes (the
// status query is polled every interval). A program that failed returns its Result inside a *FailedError
// when the workflow recorded one.
func (s *Starter) Wait(ctx context.Context, run client.WorkflowRun, every time.Duration, progress func(workflows.Status)) (workflows.Result, error) {
	type outcome struct {
		res workflows.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		var res workflows.Result
		err := run.Get(ctx, &res)
		done <- outcome{res, err}
	}()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	var last workflows.Status
	for {
		select {
		case o := <-done:
			return o.res, programError(o.err)
		case <-ticker.C:
			if progress == nil {
				continue
			}
			st, err := s.Status(ctx, run.GetID())
			if err == nil && !reflect.DeepEqual(st, last) {
				progress(st)
				last = st
			}
		case <-ctx.Done():
			return workflows.Result{}, ctx.Err()
		}
	}
}

// Status asks a program for its status.
func (s *Starter) Status(ctx context.Context, id string) (workflows.Status, error) {
	v, err := s.Client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	if err != nil {
		return workflows.Status{}, fmt.Errorf("status of %s: %w", id, err)
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		return workflows.Status{}, fmt.Errorf("status of %s: %w", id, err)
	}
	return st, nil
}

// CanceledError is a program that was canceled (eaapl cancel, the Web UI's Cancel); Result says what was
// done, which step the cancellation stopped and which did not run. It unwraps to Temporal's
// *temporal.CanceledError, so temporal.IsCanceledError holds.
type CanceledError struct {
	Result workflows.Result
	err    error
}

func (e *CanceledError) Error() string {
	return fmt.Sprintf("program %s was canceled before it ended", e.Result.WorkflowID)
}

func (e *CanceledError) Unwrap() error { return e.err }

// programError turns a workflow failure into one clear error, with the program's Result when it has one.
func programError(err error) error {
	if err == nil {
		return nil
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) && canceled.HasDetails() {
		c := &CanceledError{err: err}
		if derr := canceled.Details(&c.Result); derr == nil && c.Result.WorkflowID != "" {
			return c
		}
		return err // a program from before canceled programs kept their result
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	failed := &FailedError{Message: appErr.Message()}
	if appErr.Type() == workflows.ErrProgramFailed && appErr.HasDetails() {
		if derr := appErr.Details(&failed.Result); derr != nil {
			return fmt.Errorf("%s (its result could not be read: %v)", appErr.Message(), derr)
		}
	}
	return failed
}

// oneLine folds s onto one line of at most max bytes.
func oneLine(s string, max int) string {
	return cutText(strings.Join(strings.Fields(s), " "), max)
}
