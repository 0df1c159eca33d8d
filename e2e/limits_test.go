package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// The attack made every workflow task too large for gRPC, and the program stayed Running for
// ever. These runs on the dev server must each end, Failed or Terminated, with the reason, in bounded time.

// largeBodyPlan sends a composed body of bodyBytes to each contact, with the send's body the template.
func largeBodyPlan(tb testing.TB, bodyBytes int, template string) *plan.Plan {
	tb.Helper()
	p, err := plan.Parse([]byte(fmt.Sprintf(`{"version": 1, "program": "Send a long letter to each of my contacts", "steps": [
		{"id": "contacts", "command": "RetrieveContacts"},
		{"id": "compose", "command": "ComposeEmail", "args": {"subject": "A long letter", "body": %q}},
		{"id": "send", "command": "SendEmail", "depends_on": ["contacts", "compose"],
		 "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"},
		 "args": {"to": "${contact}", "subject": "A long letter", "body": %q}}]}`, strings.Repeat("A", bodyBytes), template)))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// builtBodyPlan sends to each contact a 100 KB body that the plan builds from a 10 KB one, so that the
// recorded history holds little besides what the guard refused.
func builtBodyPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.Parse([]byte(fmt.Sprintf(`{"version": 1, "program": "Send a long letter to each of my contacts", "steps": [
		{"id": "contacts", "command": "RetrieveContacts"},
		{"id": "base", "command": "ComposeEmail", "args": {"subject": "A long letter", "body": %q}},
		{"id": "compose", "command": "ComposeEmail", "depends_on": ["base"], "args": {"subject": "A long letter", "body": %q}},
		{"id": "send", "command": "SendEmail", "depends_on": ["contacts", "compose"],
		 "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"},
		 "args": {"to": "${contact}", "subject": "A long letter", "body": "${steps.compose.body}"}}]}`,
		strings.Repeat("B", 10_000), strings.Repeat("${steps.base.body}", 10))))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestTooLargeForTemporal: the 100 KB body joined with itself 200 times, a fan-out of 40 sends
// of a 250 KB body each (under the expression limits, 10 MB in one workflow task), and one batch of 40
// sends of 100 KB (4 MB in one command) fail the program with an error naming the limit; the emails that
// did fit went once each. With -record, the batch's run is kept for the replay test (the others' are
// megabytes).
func TestTooLargeForTemporal(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, contactsCSV(t, 40), nil)
	for _, tc := range []struct {
		name, id string
		plan     *plan.Plan
		want     []string
		oneBatch bool // max_concurrency 1: the step's items go in one batch
	}{
		{"OneBatch", "too-large-batch", builtBodyPlan(t), []string{"RunBatch", "more than the 1.9 MiB Temporal takes in one command"}, true},
		{"JoinedBody", "too-large-joined", largeBodyPlan(t, 100_000, strings.Repeat("${steps.compose.body}", 200)), []string{`step "send"`, "more than the 256 KiB"}, false},
		{"FanOut", "too-large-fan-out", largeBodyPlan(t, 250_000, "${steps.compose.body}"), []string{"workflow task may carry", "MaxTaskBytes"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			in := workflows.Input{Plan: tc.plan}
			if tc.oneBatch {
				in.MaxConcurrency = 1
			}
			res, err := s.run(t, st, tc.id, in)
			if err == nil || res.State != workflows.StateFailed {
				t.Fatalf("program %s (%v), want failed", res.State, err)
			}
			var reasons []string
			for _, step := range res.Steps {
				for _, it := range step.Items {
					reasons = append(reasons, it.Reason)
				}
			}
			all := err.Error() + "\n" + strings.Join(reasons, "\n")
			for _, want := range tc.want {
				if !strings.Contains(all, want) {
					t.Errorf("the program's error and reasons do not say %q:\n%s", want, excerptOf(all, 2000))
				}
			}
			t.Logf("ended %s in %s: %s", res.State, time.Since(start).Round(time.Millisecond), excerptOf(err.Error(), 300))
			perRecipient := map[string]int{}
			for _, m := range testenv.Messages(t, s.mailpit, `subject:"A long letter"`) {
				for _, to := range m.To {
					perRecipient[to]++
				}
			}
			for to, n := range perRecipient {
				if n != 1 {
					t.Errorf("%s got %d emails, want at most 1", to, n)
				}
			}
			t.Logf("%d of 40 emails fitted", len(perRecipient))
		})
	}
}

// TestAWorkflowTaskThatKeepsFailingEnds: a workflow task that fails for a reason the guard does not see
// (here, gRPC refuses it: the worker's client may send at most 64 KiB, so a task carrying the plan's
// 100 KB body never completes) used to be retried for ever. The worker ends the program once the task
// comes back StuckTaskAttempts times, terminated with the cause, which `eaapl status` reports.
func TestAWorkflowTaskThatKeepsFailingEnds(t *testing.T) {
	s := newStack(t)
	cfg := s.workerConfig(t, contactsCSV(t, 1), "e2e-stuck-worker")
	cfg.ApprovalThreshold = 0
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := worker.Setup(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	// The worker's own client, as `eaapl worker` dials it: the watch is in its connection.
	opts := client.Options{
		HostPort:           s.temporal.FrontendHostPort(),
		Logger:             sdklog.NewStructuredLogger(logger),
		ContextPropagators: []workflow.ContextPropagator{identity.Propagator()},
		ConnectionOptions: client.ConnectionOptions{
			DialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64 << 10))},
			// As with payload keys, where compression is off: the body must count at its size.
			GrpcCompression: &client.GrpcCompressionNone{},
		},
	}
	svc.ClientOptions(&opts)
	wc, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	started := make(chan struct{})
	go func() { stopped <- svc.Run(ctx, wc, func() error { close(started); return nil }) }()
	<-started
	defer func() { cancel(); <-stopped; svc.Close() }()

	const id = "stuck-workflow-task"
	st := &starter.Starter{Client: s.temporal.Client(), TaskQueue: cfg.TaskQueue, Identity: testOwner}
	begin := time.Now()
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer wcancel()
	wr, err := st.Start(wctx, id, workflows.Input{Plan: largeBodyPlan(t, 100_000, "${steps.compose.body}")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Wait(wctx, wr, time.Second, nil)
	if err == nil {
		t.Fatal("the program completed, but its workflow tasks cannot")
	}
	took := time.Since(begin)
	f, finished, ferr := st.Finished(wctx, id)
	if ferr != nil || !finished {
		t.Fatalf("finished %v: %v", finished, ferr)
	}
	if f.Status != "terminated" || f.Err == nil {
		t.Fatalf("the program %s (%v), want terminated with the reason", f.Status, f.Err)
	}
	for _, want := range []string{"workflow task failed 4 times in a row", "GRPC_MESSAGE_TOO_LARGE", "the worker ended it"} {
		if !strings.Contains(f.Err.Error(), want) {
			t.Errorf("the reason %q does not say %q", f.Err, want)
		}
	}
	t.Logf("terminated after %s: %s", took.Round(time.Second), f.Err)
}

func excerptOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// TestSignalsAreBounded: a signal's payload is in the history once the server takes it, whatever the
// program does with it, so the dev server (as `eaapl dev` starts it) bounds them: one larger than the
// 2 MiB blob limit is refused, and so is the 1,001st for one run. The program, waiting for approval all
// the while, still completes when its owner approves.
func TestSignalsAreBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	srv := testenv.TemporalWithUI(t, ctx)
	c, err := client.Dial(client.Options{
		HostPort:           srv.Address,
		Logger:             sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		ContextPropagators: []workflow.ContextPropagator{identity.Propagator()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := &stack{mailpit: testenv.Mailpit(t)}
	cfg := s.workerConfig(t, contactsCSV(t, 2), "e2e-signals-worker")
	cfg.ApprovalThreshold = 1 // two sends wait for approval
	startWorker(t, c, cfg)
	st := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Identity: testOwner}
	const id = "signals-bounded"
	wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Signals' to each of my contacts"})
	if err != nil {
		t.Fatal(err)
	}
	var question workflows.Question
	for question.ID == "" {
		if ctx.Err() != nil {
			t.Fatal("the program never asked for approval")
		}
		if cur, err := st.Status(ctx, id); err == nil && len(cur.Questions) > 0 {
			question = cur.Questions[0]
		}
		time.Sleep(200 * time.Millisecond)
	}

	t.Run("OversizedIsRefused", func(t *testing.T) {
		err := c.SignalWorkflow(ctx, id, "", "junk", strings.Repeat("x", 3<<20))
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "size") {
			t.Fatalf("a 3 MiB signal: %v, want refused for its size", err)
		}
	})
	t.Run("TheThousandAndFirstIsRefused", func(t *testing.T) {
		sem := make(chan struct{}, 8)
		errs := make(chan error, devstackMaxSignals)
		for i := range devstackMaxSignals {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				errs <- c.SignalWorkflow(ctx, id, "", "junk", fmt.Sprintf("signal %d", i))
			}()
		}
		refused := 0
		for range devstackMaxSignals {
			if err := <-errs; err != nil {
				refused++
				t.Logf("refused: %v", err)
			}
		}
		if refused != 0 {
			t.Fatalf("%d of the first %d signals refused, want none", refused, devstackMaxSignals)
		}
		err := c.SignalWorkflow(ctx, id, "", "junk", "one more")
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "signal") {
			t.Fatalf("signal %d: %v, want refused for the count", devstackMaxSignals+1, err)
		}
		t.Logf("signal %d: %v", devstackMaxSignals+1, err)
	})
	t.Run("TheProgramStillCompletes", func(t *testing.T) {
		if _, err := st.Answer(ctx, id, question.ID, workflows.AnswerApprove); err != nil {
			t.Fatalf("approve: %v", err)
		}
		res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
		if err != nil || res.State != workflows.StateCompleted {
			t.Fatalf("program %s: %v", res.State, err)
		}
		if got := len(testenv.Messages(t, s.mailpit, `subject:"Signals"`)); got != 2 {
			t.Errorf("%d emails, want 2", got)
		}
	})
}

// devstackMaxSignals is the dev server's signal bound the test expects.
const devstackMaxSignals = devstack.MaxSignalsPerProgram
