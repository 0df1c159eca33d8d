// Package payloadguard keeps a workflow's commands within Temporal's size limits.
//
// Temporal refuses a command whose payloads exceed its blob limit (2 MiB by default: the server then
// terminates the program, saying why only in the history), and a workflow task's completion larger than
// its gRPC limit (4 MiB) is refused before it reaches the server, so the task fails and is retried
// forever while the program looks like it runs. Interceptor measures what each command of the programs
// would carry, deterministically, before it is issued, and fails that one command with an error naming
// it and the sizes instead.
package payloadguard

import (
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
)

const (
	// MaxCommandBytes is the most one command (an activity's or child workflow's input, a signal, the
	// program's result) may carry, encoded: under the server's 2 MiB blob limit, leaving room for the
	// encryption's few bytes a payload.
	MaxCommandBytes = 2<<20 - 64<<10
	// MaxTaskBytes is the most all the commands of one workflow task may carry together: under the 4 MiB
	// gRPC message limit, leaving room for the rest of the message.
	MaxTaskBytes = 3 << 20
)

// ErrPayloadTooLarge is the error type of a command Interceptor refused.
const ErrPayloadTooLarge = "PayloadTooLarge"

// versionPayloadGuard is asked only when a command is refused, so that a history recorded before the
// guard, where a command this large went out (and a task this full may have succeeded), replays as it ran.
const versionPayloadGuard = "payload-guard"

// Interceptor is the worker interceptor that bounds the commands of every workflow it runs (see the
// package's doc). Register it on workers and replayers alike.
func Interceptor() interceptor.WorkerInterceptor { return &payloadGuard{} }

type payloadGuard struct {
	interceptor.WorkerInterceptorBase
}

func (*payloadGuard) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &guardInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type guardInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	out *guardOutbound
}

func (g *guardInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	g.out = &guardOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}}
	return g.Next.Init(g.out)
}

// ExecuteWorkflow refuses a result too large to complete the workflow with: the program fails saying so.
func (g *guardInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	res, err := g.Next.ExecuteWorkflow(ctx, in)
	if err != nil || res == nil {
		return res, err
	}
	if refusal := g.out.refuse(ctx, "the program's result", res); refusal != nil {
		return nil, refusal
	}
	return res, nil
}

// guardOutbound measures the commands of one workflow run. task and used are the workflow task being
// run (its started event's ID, the same on every replay) and what its commands carry so far.
type guardOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	task, used int
}

func (g *guardOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	what := fmt.Sprintf("the input of task %s (%s)", workflow.GetActivityOptions(ctx).ActivityID, activityType)
	if refusal := g.refuse(ctx, what, args...); refusal != nil {
		return failed(ctx, refusal)
	}
	return g.Next.ExecuteActivity(ctx, activityType, args...)
}

func (g *guardOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if refusal := g.refuse(ctx, fmt.Sprintf("the input of local activity %s", activityType), args...); refusal != nil {
		return failed(ctx, refusal)
	}
	return g.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

func (g *guardOutbound) ExecuteChildWorkflow(ctx workflow.Context, childWorkflowType string, args ...any) workflow.ChildWorkflowFuture {
	what := fmt.Sprintf("the input of child workflow %s (%s)", workflow.GetChildWorkflowOptions(ctx).WorkflowID, childWorkflowType)
	if refusal := g.refuse(ctx, what, args...); refusal != nil {
		return failedChild{Future: failed(ctx, refusal)}
	}
	return g.Next.ExecuteChildWorkflow(ctx, childWorkflowType, args...)
}

func (g *guardOutbound) SignalExternalWorkflow(ctx workflow.Context, workflowID, runID, signalName string, arg any) workflow.Future {
	if refusal := g.refuse(ctx, fmt.Sprintf("signal %s to %s", signalName, workflowID), arg); refusal != nil {
		return failed(ctx, refusal)
	}
	return g.Next.SignalExternalWorkflow(ctx, workflowID, runID, signalName, arg)
}

func (g *guardOutbound) SignalChildWorkflow(ctx workflow.Context, workflowID, signalName string, arg any) workflow.Future {
	if refusal := g.refuse(ctx, fmt.Sprintf("signal %s to %s", signalName, workflowID), arg); refusal != nil {
		return failed(ctx, refusal)
	}
	return g.Next.SignalChildWorkflow(ctx, workflowID, signalName, arg)
}

func (g *guardOutbound) UpsertMemo(ctx workflow.Context, memo map[string]any) error {
	if refusal := g.refuse(ctx, "the memo", memo); refusal != nil {
		return refusal
	}
	return g.Next.UpsertMemo(ctx, memo)
}

// refuse measures a command's values as the data converter encodes them and counts them in the
// current workflow task; the error says why the command may not go out, or is nil. The measure uses the
// default converter, before the payload codec: encryption adds a few bytes a payload, which the limits
// leave room for, and the measure stays the same on every worker whatever its keys.
func (g *guardOutbound) refuse(ctx workflow.Context, what string, values ...any) error {
	size, err := encodedSize(values...)
	if err != nil {
		return nil // the SDK reports a value it cannot encode, as it always has
	}
	if task := workflow.GetInfo(ctx).GetCurrentHistoryLength(); task != g.task {
		g.task, g.used = task, 0
	}
	var reason string
	switch {
	case size > MaxCommandBytes:
		reason = fmt.Sprintf("%s is %s, more than the %s Temporal takes in one command (payloadguard.MaxCommandBytes)", what, bytesText(size), bytesText(MaxCommandBytes))
	case g.used+size > MaxTaskBytes:
		reason = fmt.Sprintf("%s is %s, and what the program sends Temporal at this moment would then be %s, more than the %s one workflow task may carry (payloadguard.MaxTaskBytes): too many large values at once",
			what, bytesText(size), bytesText(g.used+size), bytesText(MaxTaskBytes))
	default:
		g.used += size
		return nil
	}
	// A history from before the guard went on with the command: replay it as it ran.
	if g.Next.GetVersion(ctx, versionPayloadGuard, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		g.used += size
		return nil
	}
	return temporal.NewNonRetryableApplicationError(reason, ErrPayloadTooLarge, nil)
}

// encodedSize is the size of values as the default data converter encodes them.
func encodedSize(values ...any) (int, error) {
	if len(values) == 0 {
		return 0, nil
	}
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(values...)
	if err != nil {
		return 0, err
	}
	return proto.Size(&commonpb.Payloads{Payloads: payloads.GetPayloads()}), nil
}

// bytesText is a size for people: 3.2 MiB, 512 KiB, 80 bytes.
func bytesText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// failed is a future that is already settled with err.
func failed(ctx workflow.Context, err error) workflow.Future {
	f, set := workflow.NewFuture(ctx)
	set.SetError(err)
	return f
}

// failedChild is a child workflow that never started: both its futures fail with the refusal.
type failedChild struct{ workflow.Future }

func (c failedChild) GetChildWorkflowExecution() workflow.Future { return c.Future }

func (c failedChild) SignalChildWorkflow(workflow.Context, string, any) workflow.Future {
	return c.Future
}

func (c failedChild) SignalChildWorkflowWithOptions(workflow.Context, string, any, workflow.SignalChildWorkflowOptions) workflow.Future {
	return c.Future
}
