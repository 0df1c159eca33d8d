package worker

import (
	"context"
	"errors"
	"reflect"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
)

// Usage returns the worker interceptor that measures what each activity attempt used and puts it in the
// task's result (catalog.TaskResult.Resources): the worker process's CPU time and heap allocations while the
// attempt ran, and how many other activities ran meanwhile, which says whether the figures are the task's
// own or an upper bound shared with others. A worker has one: the counts are the worker's.
//
// A task's attempt that fails reports the same figures, with its attempt number, execution time and
// workerID, as a failed catalog.TaskResult in the details of its error (the workflow reads them with
// workflows' failure feedback); the error keeps its message, type, cause and retryability.
func Usage(workerID string) interceptor.WorkerInterceptor { return &usage{workerID: workerID} }

type usage struct {
	interceptor.WorkerInterceptorBase
	workerID string

	mu      sync.Mutex // so that an activity's start counts it in running and started at once
	running int64      // activities running now
	started int64      // activities started so far
}

// begin counts an activity in and returns how many others were running and how many had started.
func (u *usage) begin() (running, started int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	running, started = u.running, u.started
	u.running++
	u.started++
	return running, started
}

// end counts an activity out and returns how many had started by then, itself included.
func (u *usage) end() (started int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.running--
	return u.started
}

func (u *usage) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	m := &usageMeter{u: u}
	m.Next = next
	return m
}

type usageMeter struct {
	interceptor.ActivityInboundInterceptorBase
	u *usage
}

func (m *usageMeter) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	// Every activity that overlaps this one was either running when it started or started while it ran.
	running, startedBefore := m.u.begin()
	began, before := time.Now(), sampleUsage()
	result, err := m.Next.ExecuteActivity(ctx, in)
	after := sampleUsage()
	overlapping := running + m.u.end() - startedBefore - 1
	if r, ok := result.(catalog.TaskResult); ok && err == nil {
		r.Resources = after.since(before, overlapping)
		result = r
	}
	if _, isTask := taskOf(in); isTask && err != nil && ctx.Err() == nil {
		err = withFeedback(err, catalog.TaskResult{
			WorkerID:      m.u.workerID,
			Status:        catalog.StatusFailure,
			ExecutionTime: time.Since(began).Milliseconds(),
			Attempt:       activity.GetInfo(ctx).Attempt,
			Resources:     after.since(before, overlapping),
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

// usageSample is the process's cumulative CPU time and heap allocations at one moment.
type usageSample struct {
	cpu   time.Duration
	alloc uint64
}

// allocMetric is the Go runtime's count of bytes allocated on the heap since the process started; reading
// it does not stop the world, unlike runtime.ReadMemStats.
const allocMetric = "/gc/heap/allocs:bytes"

func sampleUsage() usageSample {
	var s usageSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	sample := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		s.alloc = sample[0].Value.Uint64()
	}
	return s
}

// since is the usage between an earlier sample and this one.
func (s usageSample) since(before usageSample, overlapping int64) *catalog.ResourceUsage {
	return &catalog.ResourceUsage{
		CPUTimeMs:        float64(s.cpu-before.cpu) / float64(time.Millisecond),
		AllocatedBytes:   s.alloc - before.alloc,
		OverlappingTasks: overlapping,
	}
}
