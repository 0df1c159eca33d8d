package workflows_test

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/internal/identity"
)

// testOwner is who starts the test programs unless a test says otherwise.
const testOwner = "owner@example.com"

// actingAs gives each request to the workflow the identity a person's CLI would send in its header,
// which the test environment cannot send: the start's, each update's by its ID, each signal's in turn.
type actingAs struct {
	interceptor.WorkerInterceptorBase
	owner   string            // "" starts the program without an identity
	updates map[string]string // update ID -> identity; the owner's when absent
	signals []string          // the identities of the signals, in the order sent; the owner's when used up
}

func (a *actingAs) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &actingInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, a: a}
}

type actingInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	a *actingAs
}

func (i *actingInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	return i.Next.ExecuteWorkflow(identity.WithWorkflow(ctx, i.a.owner), in)
}

func (i *actingInbound) updater(ctx workflow.Context) string {
	if who, ok := i.a.updates[workflow.GetCurrentUpdateInfo(ctx).ID]; ok {
		return who
	}
	return i.a.owner
}

func (i *actingInbound) ValidateUpdate(ctx workflow.Context, in *interceptor.UpdateInput) error {
	return i.Next.ValidateUpdate(identity.WithWorkflow(ctx, i.updater(ctx)), in)
}

func (i *actingInbound) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	return i.Next.ExecuteUpdate(identity.WithWorkflow(ctx, i.updater(ctx)), in)
}

func (i *actingInbound) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	who := i.a.owner
	if len(i.a.signals) > 0 {
		who, i.a.signals = i.a.signals[0], i.a.signals[1:]
	}
	return i.Next.HandleSignal(identity.WithWorkflow(ctx, who), in)
}
