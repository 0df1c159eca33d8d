package starter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestWaitForWorker runs against a real dev server: a program started on a task queue that no worker
// polls (a typo in EAAPL_TASK_QUEUE) must be reported within seconds, and a queue a worker polls must not.
func TestWaitForWorker(t *testing.T) {
	t.Parallel()
	srv := testenv.Temporal(t)
	c := srv.Client()

	t.Run("WarnsWhenNoWorkerPolls", func(t *testing.T) {
		s := &Starter{Client: c, TaskQueue: "eapl"}
		run, err := s.Start(context.Background(), NewWorkflowID(time.Now()), workflows.Input{Program: "Send an email to my contact Ann that says 'Hi'"})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()
		begin := time.Now()
		err = s.WaitForWorker(context.Background(), 2*time.Second)
		took := time.Since(begin)
		var noWorker *NoWorkerError
		if !errors.As(err, &noWorker) {
			t.Fatalf("WaitForWorker on a queue nobody polls = %v, want a *NoWorkerError", err)
		}
		if took > 10*time.Second {
			t.Errorf("the warning took %s, want a few seconds", took)
		}
		for _, want := range []string{`task queue "eapl"`, "EAAPL_TASK_QUEUE", "eaapl dev", "eaapl worker"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the warning does not say %q: %s", want, err)
			}
		}
	})

	t.Run("QuietWhenAWorkerPolls", func(t *testing.T) {
		const queue = "polled"
		w := worker.New(c, queue, worker.Options{})
		w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Nothing"})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		s := &Starter{Client: c, TaskQueue: queue}
		if err := s.WaitForWorker(context.Background(), 20*time.Second); err != nil {
			t.Fatalf("WaitForWorker with a worker polling = %v, want nil", err)
		}
	})

	t.Run("StopsWithItsContext", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		s := &Starter{Client: c, TaskQueue: "nobody"}
		if err := s.WaitForWorker(ctx, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitForWorker after its context ended = %v, want context.DeadlineExceeded", err)
		}
	})
}
