package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// recorder is a Kafka publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []bridge.Event
}

func (r *recorder) Publish(_ context.Context, events ...bridge.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) taken() []bridge.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bridge.Event(nil), r.events...)
}

// startWorker starts worker.New's worker on a fresh task queue of the test dev server, with extra test
// workflows, and returns the client and the queue.
func startWorker(t *testing.T, events *bridge.Buffer, register func(*worker.Worker)) (client.Client, string) {
	t.Helper()
	c := testenv.Temporal(t).Client()
	cfg := config.Config{TaskQueue: "worker-" + strings.ReplaceAll(t.Name(), "/", "-"), WorkerID: "policy-test"}
	deps := worker.Dependencies{Commands: &activities.Commands{}, Planning: &activities.Planning{}, Mirror: &activities.Mirror{}, Batches: &activities.Batches{Events: events}}
	w, err := worker.New(c, cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return c, cfg.TaskQueue
}

// TestAWorkflowTaskThatKeepsFailingFailsTheProgram: a workflow task that panics used to be retried
// for ever, the program Running and unqueryable; the worker's panic policy fails it with the reason.
func TestAWorkflowTaskThatKeepsFailingFailsTheProgram(t *testing.T) {
	panics := func(ctx workflow.Context) error { panic("the interpreter met a value it cannot hold") }
	c, queue := startWorker(t, nil, func(w *worker.Worker) {
		w.RegisterWorkflowWithOptions(panics, workflow.RegisterOptions{Name: "Panics"})
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "Panics")
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(ctx, nil)
	if ctx.Err() != nil || err == nil || !strings.Contains(err.Error(), "the interpreter met a value it cannot hold") {
		t.Fatalf("workflow ended with %v (deadline: %v), want it failed with the panic's reason", err, ctx.Err())
	}
}

// TestAnUpdateRefusedForWhoSentItIsReported: a refused update leaves no trace in the history, so the
// worker that ran the validator puts it on security.events, naming who sent it.
func TestAnUpdateRefusedForWhoSentItIsReported(t *testing.T) {
	rec := &recorder{}
	buf := bridge.NewBuffer(rec, bridge.BufferOptions{}, nil)
	defer buf.Close(5 * time.Second)
	guarded := func(ctx workflow.Context) error {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateAnswer, func(ctx workflow.Context, a string) error { return nil },
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a string) error {
				if who := identity.OfWorkflow(ctx); who != "owner@example.com" {
					return temporal.NewNonRetryableApplicationError(who+" may not answer", workflows.ErrUnauthorized, nil)
				}
				return nil
			}}); err != nil {
			return err
		}
		return workflow.Await(ctx, func() bool { return false })
	}
	c, queue := startWorker(t, buf, func(w *worker.Worker) {
		w.RegisterWorkflowWithOptions(guarded, workflow.RegisterOptions{Name: "Guarded"})
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(identity.NewContext(ctx, "owner@example.com"), client.StartWorkflowOptions{TaskQueue: queue}, "Guarded")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()
	for who, refused := range map[string]bool{"owner@example.com": false, "mallory@attacker": true} {
		h, err := c.UpdateWorkflow(identity.NewContext(ctx, who), client.UpdateWorkflowOptions{
			WorkflowID: run.GetID(), UpdateID: "by-" + who, UpdateName: workflows.UpdateAnswer, Args: []any{"yes"}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		var appErr *temporal.ApplicationError
		if got := errors.As(err, &appErr); got != refused {
			t.Fatalf("update by %s: %v, want refused %v", who, err, refused)
		}
	}
	var found []bridge.SecurityEvent
	for deadline := time.Now().Add(10 * time.Second); len(found) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, ev := range rec.taken() {
			var v bridge.SecurityEvent
			if ev.Topic == bridge.TopicSecurityEvents && json.Unmarshal(ev.Value, &v) == nil {
				found = append(found, v)
			}
		}
	}
	if len(found) != 1 || found[0].UserID != "mallory@attacker" || found[0].EventType != workflows.EventUnauthorized ||
		!strings.Contains(found[0].Description, "mallory@attacker may not answer") || found[0].WorkerID != "policy-test" {
		t.Fatalf("security.events = %+v, want mallory's refused update alone", found)
	}
}
