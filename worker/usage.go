package worker

import (
	"context"
	"errors"
	"reflect"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/usage"
)

// Usage returns the worker interceptor that measures what each activity attempt used and puts it in the
// task's result (catalog.TaskResult.Resources): the worker process's CPU time and heap allocations while the
// attempt ran, and how many other activities ran meanwhile, which says whether the figures are the task's
// own or an upper bound shared with others. A worker has one: the counts are the worker's.
//
// A task's attempt that fails reports the same figures, with its attempt number, execution time and
// workerID, as a failed catalog.TaskResult in the details of its error (the workflow reads them with
// workflows' failure feedback); the error keeps its message, type, cause and retryability.
func Usage(workerID string) interceptor.WorkerInterceptor {
	return &usageInterceptor{workerID: workerID}
}

type usageInterceptor struct {
	interceptor.WorkerInterceptorBase
	workerID string
	meter    usage.Meter
}

func (u *usageInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	m := &usageMeter{u: u}
	m.Next = next
	return m
}

type usageMeter struct {
	interceptor.ActivityInboundInterceptorBase
	u *usageInterceptor
}

func (m *usageMeter) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	began, span := time.Now(), m.u.meter.Start()
	result, err := m.Next.ExecuteActivity(usage.WithSpan(ctx, span), in)
	used := span.Stop()
	if r, ok := result.(catalog.TaskResult); ok && err == nil {
		r.Resources = used
		result = r
	}
	if _, isTask := taskOf(in); isTask && err != nil && ctx.Err() == nil {
		err = withFeedback(err, catalog.TaskResult{
			WorkerID:      m.u.workerID,
			Status:        catalog.StatusFailure,
			ExecutionTime: time.Since(began).Milliseconds(),
			Attempt:       activity.GetInfo(ctx).Attempt,
			Resources:     used,
		})
	}
	return result, err
}

// withFeedback returns err as the application error Temporal would have made of it, with feedback as its
// details: the same message, type, cause and retryability. Errors Temporal treats in their own way
// (cancellation, timeouts, an application error that has details already) are returned as they are.
func withFeedback(err error, feedback catalog.TaskResult) error {
	var (
		canceled *temporal.CanceledError
		timeout  *temporal.TimeoutError
		panicErr *temporal.PanicError
	)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &canceled) || errors.As(err, &timeout) || errors.As(err, &panicErr) {
		return err
	}
	if appErr, ok := err.(*temporal.ApplicationError); ok {
		if appErr.HasDetails() {
			return err
		}
		return temporal.NewApplicationErrorWithOptions(appErr.Message(), appErr.Type(), temporal.ApplicationErrorOptions{
			NonRetryable:   appErr.NonRetryable(),
			Cause:          appErr.Unwrap(),
			Details:        []any{feedback},
			NextRetryDelay: appErr.NextRetryDelay(),
			Category:       appErr.Category(),
		})
	}
	// What the SDK does with any other error: its text as the message, its Go type's name as the type
	// ("" for errors.New), the error it wraps as the cause, retryable.
	return temporal.NewApplicationErrorWithOptions(err.Error(), goTypeName(err), temporal.ApplicationErrorOptions{
		Cause:   errors.Unwrap(err),
		Details: []any{feedback},
	})
}

// goTypeName is the name of err's type, pointers removed, as the SDK names the type of a plain error; a
// type named as errors.New's (errorString) gives "", as it does there.
func goTypeName(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == reflect.TypeOf(errors.New("")).Elem().Name() {
		return ""
	}
	return t.Name()
}
