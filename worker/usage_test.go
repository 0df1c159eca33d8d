package worker_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/worker"
)

// threadCPU is the CPU time of the calling thread.
func threadCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var sink []byte

// runMeasured runs fn as an activity returning a TaskResult, on an activity environment with the given
// interceptors.
func runMeasured(t *testing.T, fn func(context.Context) (catalog.TaskResult, error), interceptors ...interceptor.WorkerInterceptor) (catalog.TaskResult, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.SetWorkerOptions(sdkworker.Options{Interceptors: interceptors})
	env.RegisterActivity(fn)
	val, err := env.ExecuteActivity(fn)
	if err != nil {
		return catalog.TaskResult{}, err
	}
	var res catalog.TaskResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

func TestUsageMeasuresEachTask(t *testing.T) {
	t.Run("CPUAndMemoryOfATaskThatRanAlone", func(t *testing.T) {
		const burn = 150 * time.Millisecond
		const alloc = 32 << 20
		res, err := runMeasured(t, func(context.Context) (catalog.TaskResult, error) {
			// Burn CPU on this thread until it has used burn, however loaded the machine is.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for start := threadCPU(t); threadCPU(t)-start < burn; {
			}
			sink = make([]byte, alloc)
			return catalog.TaskResult{TaskID: "t", Status: catalog.StatusSuccess}, nil
		}, worker.Usage("test-worker"))
		if err != nil {
			t.Fatal(err)
		}
		u := res.Resources
		if u == nil {
			t.Fatal("the result has no resource usage")
		}
		if u.CPUTimeMs < float64(burn.Milliseconds()) {
			t.Errorf("cpu_time_ms = %.1f, want at least %d: the task burnt that much", u.CPUTimeMs, burn.Milliseconds())
		}
		if u.AllocatedBytes < alloc {
			t.Errorf("allocated_bytes = %d, want at least %d: the task allocated that much", u.AllocatedBytes, alloc)
		}
		if u.OverlappingTasks != 0 {
			t.Errorf("overlapping_tasks = %d, want 0: it ran alone", u.OverlappingTasks)
		}
	})

	t.Run("TasksThatOverlapSayHowMany", func(t *testing.T) {
		usage := worker.Usage("test-worker") // one per worker: both tasks run on the same one
		aStarted, bStarted := make(chan struct{}), make(chan struct{})
		results := make(chan catalog.TaskResult, 2)
		run := func(mine, other chan struct{}) {
			res, err := runMeasured(t, func(context.Context) (catalog.TaskResult, error) {
				close(mine)
				<-other
				return catalog.TaskResult{Status: catalog.StatusSuccess}, nil
			}, usage)
			if err != nil {
				t.Error(err)
			}
			results <- res
		}
		go run(aStarted, bStarted)
		go run(bStarted, aStarted)
		for range 2 {
			if res := <-results; res.Resources == nil || res.Resources.OverlappingTasks != 1 {
				t.Errorf("resource usage = %+v, want 1 overlapping task", res.Resources)
			}
		}
	})

	t.Run("AFailedTaskReportsItsFiguresInItsError", func(t *testing.T) {
		for name, cause := range map[string]error{
			"Retryable":    fmt.Errorf("send to ann@example.com: %w", errors.New("connection refused")),
			"NonRetryable": temporal.NewNonRetryableApplicationError("550 no such mailbox", catalog.ErrInvalidArgument, nil),
		} {
			t.Run(name, func(t *testing.T) {
				send := func(context.Context, catalog.Task) (catalog.TaskResult, error) { return catalog.TaskResult{}, cause }
				fail := func(interceptors ...interceptor.WorkerInterceptor) *temporal.ApplicationError {
					var ts testsuite.WorkflowTestSuite
					env := ts.NewTestActivityEnvironment()
					env.SetWorkerOptions(sdkworker.Options{Interceptors: interceptors})
					env.RegisterActivity(send)
					_, err := env.ExecuteActivity(send, catalog.Task{TaskID: "send_1"})
					var appErr *temporal.ApplicationError
					if !errors.As(err, &appErr) {
						t.Fatalf("error = %v, want an application error", err)
					}
					return appErr
				}
				plain, measured := fail(), fail(worker.Usage("test-worker"))
				// The error is the one the SDK would have made of it without the interceptor.
				if measured.Message() != plain.Message() || measured.Type() != plain.Type() || measured.NonRetryable() != plain.NonRetryable() {
					t.Errorf("error is %q (type %q, non-retryable %v), want %q (type %q, non-retryable %v)",
						measured.Message(), measured.Type(), measured.NonRetryable(), plain.Message(), plain.Type(), plain.NonRetryable())
				}
				var fb catalog.TaskResult
				if err := measured.Details(&fb); err != nil {
					t.Fatalf("details: %v", err)
				}
				if fb.Status != catalog.StatusFailure || fb.WorkerID != "test-worker" || fb.Attempt != 1 || fb.Resources == nil {
					t.Fatalf("feedback = %+v, want a failure by test-worker on attempt 1 with resources", fb)
				}
			})
		}
	})
}
