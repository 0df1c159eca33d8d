package payloadguard_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/internal/payloadguard"
)

func echo(_ context.Context, s string) (int, error) { return len(s), nil }

// fanOut starts one echo of each size at the same moment (one workflow task) and returns what each
// ended with: its length, or its error's message.
func fanOut(ctx workflow.Context, sizes []int) ([]string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var futures []workflow.Future
	for _, n := range sizes {
		futures = append(futures, workflow.ExecuteActivity(ctx, "echo", strings.Repeat("x", n)))
	}
	out := make([]string, len(sizes))
	for i, f := range futures {
		var got int
		if err := f.Get(ctx, &got); err != nil {
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != payloadguard.ErrPayloadTooLarge {
				return nil, err
			}
			out[i] = appErr.Message()
			continue
		}
		out[i] = "ok"
	}
	return out, nil
}

// bigResult returns a text of n bytes.
func bigResult(_ workflow.Context, n int) (string, error) { return strings.Repeat("y", n), nil }

func newEnv(t *testing.T, guarded bool) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	if guarded {
		env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{payloadguard.Interceptor()}})
	}
	env.RegisterWorkflow(fanOut)
	env.RegisterWorkflow(bigResult)
	env.RegisterActivityWithOptions(echo, activity.RegisterOptions{Name: "echo"})
	return env
}

func TestCommandsTooLargeForTemporalFail(t *testing.T) {
	const mb = 1 << 20
	t.Run("OneTooLargeInput", func(t *testing.T) {
		env := newEnv(t, true)
		env.ExecuteWorkflow(fanOut, []int{100, 5 * mb / 2})
		var got []string
		if err := env.GetWorkflowResult(&got); err != nil {
			t.Fatal(err)
		}
		if got[0] != "ok" || !strings.Contains(got[1], "is 2.5 MiB, more than the 1.9 MiB Temporal takes in one command") {
			t.Fatalf("results %q, want the small one run and the 2.5 MiB one refused for its size", got)
		}
	})
	t.Run("TooMuchInOneTask", func(t *testing.T) {
		env := newEnv(t, true)
		env.ExecuteWorkflow(fanOut, []int{900 << 10, 900 << 10, 900 << 10, 900 << 10, 10})
		var got []string
		if err := env.GetWorkflowResult(&got); err != nil {
			t.Fatal(err)
		}
		if got[0] != "ok" || got[1] != "ok" || got[2] != "ok" || got[4] != "ok" {
			t.Errorf("results %q, want the first three and the small last one run", got)
		}
		if !strings.Contains(got[3], "would then be 3.5 MiB, more than the 3.0 MiB one workflow task may carry") {
			t.Errorf("the fourth: %q, want refused for what the task would carry", got[3])
		}
	})
	t.Run("UnguardedGoesOut", func(t *testing.T) { // what the guard changes: without it, the command is issued
		env := newEnv(t, false)
		env.ExecuteWorkflow(fanOut, []int{5 * mb / 2})
		var got []string
		if err := env.GetWorkflowResult(&got); err != nil || got[0] != "ok" {
			t.Fatalf("results %q (%v), want the command issued", got, err)
		}
	})
	t.Run("TooLargeResult", func(t *testing.T) {
		env := newEnv(t, true)
		env.ExecuteWorkflow(bigResult, 3*mb)
		err := env.GetWorkflowError()
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != payloadguard.ErrPayloadTooLarge || !strings.Contains(appErr.Message(), "the program's result is 3.0 MiB") {
			t.Fatalf("workflow error %v, want the result refused for its size", err)
		}
	})
}
