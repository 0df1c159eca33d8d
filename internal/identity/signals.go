package identity

import (
	"slices"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// Interceptor is the worker interceptor that keeps who sent each signal of the given names: the SDK
// gives a signal's headers to the interceptors, then hands only its payload to the workflow's channel.
// It records the senders of each in the order the signals arrive, which is the order the channel gives
// them, so SignalSender(ctx, name) after each Receive names the sender of that signal. Only the names
// given are kept, since each must be read as often as it arrives. Register it on every worker and
// replayer of workflows that call SignalSender.
func Interceptor(names ...string) interceptor.WorkerInterceptor {
	return &workerInterceptor{names: names}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	names []string
}

func (w *workerInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &inbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, senders: &senders{byName: map[string][]string{}}, names: w.names}
}

// senders are the identities of the signals received and not yet read, per signal name.
type senders struct{ byName map[string][]string }

type sendersKey struct{}

type inbound struct {
	interceptor.WorkflowInboundInterceptorBase
	senders *senders
	names   []string
}

func (i *inbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	return i.Next.ExecuteWorkflow(workflow.WithValue(ctx, sendersKey{}, i.senders), in)
}

func (i *inbound) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	if err := i.Next.HandleSignal(ctx, in); err != nil {
		return err // not delivered: no sender to read
	}
	if !slices.Contains(i.names, in.SignalName) {
		return nil
	}
	i.senders.byName[in.SignalName] = append(i.senders.byName[in.SignalName], OfWorkflow(ctx))
	return nil
}

// SignalSender returns the identity of the sender of the signal named name that the workflow received
// last, to be called once after each Receive on that signal's channel. ok is false when the worker has
// no Interceptor; id is "" when the signal said nobody.
func SignalSender(ctx workflow.Context, name string) (id string, ok bool) {
	s, _ := ctx.Value(sendersKey{}).(*senders)
	if s == nil || len(s.byName[name]) == 0 {
		return "", false
	}
	id, s.byName[name] = s.byName[name][0], s.byName[name][1:]
	return id, true
}
