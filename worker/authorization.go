package worker

import (
	"errors"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/workflows"
)

// Refusals reports on security.events each answer update that a program's validator refused because of
// who sent it. A refused update is never written to the history, so the workflow cannot report it
// itself (its ignored signals it reports through its own events); the worker that ran the validator
// does, once, as it happens. events nil reports nothing.
func Refusals(events *bridge.Buffer, workerID string) interceptor.WorkerInterceptor {
	return &refusals{events: events, workerID: workerID}
}

type refusals struct {
	interceptor.WorkerInterceptorBase
	events   *bridge.Buffer
	workerID string
}

func (r *refusals) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &refusalsInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, r: r}
}

type refusalsInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	r *refusals
}

func (i *refusalsInbound) ValidateUpdate(ctx workflow.Context, in *interceptor.UpdateInput) error {
	err := i.Next.ValidateUpdate(ctx, in)
	var appErr *temporal.ApplicationError
	if i.r.events == nil || !errors.As(err, &appErr) || appErr.Type() != workflows.ErrUnauthorized || workflow.IsReplaying(ctx) {
		return err
	}
	wf := workflow.GetInfo(ctx).WorkflowExecution.ID
	// The update's ID makes the event's: a validation run again for the same update is one event.
	id := bridge.EventID(wf, bridge.TopicSecurityEvents, "unauthorized/update/"+workflow.GetCurrentUpdateInfo(ctx).ID)
	ev, encErr := bridge.NewEvent(id, bridge.SecurityEvent{
		EventID:   id,
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano), // the refusal's own time: it is in no history
		EventType: workflows.EventUnauthorized,
		UserID:    identity.OfWorkflow(ctx),
		WorkerID:  i.r.workerID,
		Description: "answer by update " + workflow.GetCurrentUpdateInfo(ctx).ID + " to program " + wf + " refused: " +
			appErr.Message(),
		Severity: "HIGH",
	})
	if encErr == nil {
		i.r.events.Send(ev) // queued, not awaited: the validator must answer at once
	}
	return err
}
