package worker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/worker"
)

// keepAliveTimeout is the heartbeat timeout of the keep-alive test; its activity runs twice as long
// without heartbeating itself.
const keepAliveTimeout = 1500 * time.Millisecond

// slowActivity heartbeats a checkpoint and fails on its first attempt; on the second it works for two
// heartbeat timeouts without heartbeating, as an activity stuck in an SMTP exchange would.
func slowActivity(ctx context.Context) (string, error) {
	if activity.GetInfo(ctx).Attempt == 1 {
		activity.RecordHeartbeat(ctx, "checkpoint-1")
		return "", errors.New("the first attempt fails")
	}
	select {
	case <-time.After(2 * keepAliveTimeout):
		return "done", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func slowWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    keepAliveTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 2},
	})
	var out string
	err := workflow.ExecuteActivity(ctx, slowActivity).Get(ctx, &out)
	return out, err
}

// runSlow runs slowWorkflow with the given interceptors and returns its error and the details of the
// second attempt's heartbeats.
func runSlow(t *testing.T, interceptors ...interceptor.WorkerInterceptor) (string, error, []string) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute) // real time: activities run for real
	env.SetWorkerOptions(sdkworker.Options{Interceptors: interceptors})
	env.RegisterWorkflow(slowWorkflow)
	env.RegisterActivity(slowActivity)
	var mu sync.Mutex
	var second []string
	env.SetOnActivityHeartbeatListener(func(info *activity.Info, details converter.EncodedValues) {
		var d string
		if info.Attempt == 2 && details.HasValues() && details.Get(&d) == nil {
			mu.Lock()
			second = append(second, d)
			mu.Unlock()
		}
	})
	env.ExecuteWorkflow(slowWorkflow)
	var out string
	err := env.GetWorkflowError()
	if err == nil {
		err = env.GetWorkflowResult(&out)
	}
	mu.Lock()
	defer mu.Unlock()
	return out, err, second
}

func TestHeartbeatsKeepASilentActivityAlive(t *testing.T) {
	t.Run("WithoutTheKeepAliveItTimesOut", func(t *testing.T) {
		_, err, _ := runSlow(t)
		var timeout *temporal.TimeoutError
		if !errors.As(err, &timeout) {
			t.Fatalf("error = %v, want a heartbeat timeout (else this test proves nothing)", err)
		}
	})
	t.Run("WithItItCompletes", func(t *testing.T) {
		out, err, beats := runSlow(t, worker.Heartbeats())
		if err != nil || out != "done" {
			t.Fatalf("result %q, error %v; want done", out, err)
		}
		if len(beats) == 0 {
			t.Fatal("the second attempt sent no heartbeat")
		}
		// The keep-alive re-sends the first attempt's checkpoint: sending nothing would erase it.
		for _, d := range beats {
			if d != "checkpoint-1" {
				t.Fatalf("the second attempt heartbeated %q, want the first attempt's checkpoint-1", d)
			}
		}
	})
}
