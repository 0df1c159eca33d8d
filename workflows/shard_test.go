package workflows_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

// manyContacts is n contacts, contact-001@example.com on.
func manyContacts(n int) []any {
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("contact-%03d@example.com", i+1)
	}
	return contacts(emails...)
}

// shardEnv is f's test environment with the shard workflow registered.
func (f *fakeWorld) shardEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	env := f.env(t)
	env.RegisterWorkflowWithOptions(workflows.ForEachShard, workflow.RegisterOptions{Name: workflows.ShardWorkflowType})
	return env
}

// questionInAShard is a world of n contacts, kept in store when it is not nil, to whom the Hello World
// program sends, with two attempts a send: the send to the contact bad fails until it is told otherwise.
func questionInAShard(t *testing.T, n int, store catalog.ContentStore) (f *fakeWorld, bad string) {
	p := helloPlan(t)
	p.Steps[3].Retry = &plan.Retry{MaximumAttempts: ptr[int32](2)}
	bad = "contact-321@example.com"
	f = &fakeWorld{plan: p, contacts: manyContacts(n), emailed: []any{}, store: store,
		sendErr: map[string]error{bad: errors.New("SMTP server 127.0.0.1:1025 unreachable")}}
	return f, bad
}

// answerRetryInAShard runs f's program in shards of size; an hour in, the program must have one open
// question, a decision about bad, which is answered retry once the send to bad works, and the answer must
// be taken. It returns the program's result and its status while the question was open.
func (f *fakeWorld) answerRetryInAShard(t *testing.T, bad string, size int) (workflows.Result, workflows.Status) {
	t.Helper()
	env := f.shardEnv(t)
	var retried *outcome
	var st workflows.Status
	env.RegisterDelayedCallback(func() {
		st = query[workflows.Status](t, env, workflows.QueryStatus)
		qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
		if len(qs) != 1 || qs[0].Kind != workflows.KindDecision || qs[0].Item != bad || qs[0].State != workflows.QuestionOpen {
			t.Fatalf("questions = %+v, want one open decision about %s", qs, bad)
		}
		f.mu.Lock()
		f.sendErr = nil
		f.mu.Unlock()
		retried = update(t, env, "retry", workflows.Answer{QuestionID: qs[0].ID, Answer: "retry"})
	}, time.Hour)
	env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, ShardSize: size})
	res := completed(t, env)
	retried.accepted(t)
	return res, st
}

// A for_each over more items than a shard holds runs in child workflows of at most the shard size, each
// item once; a question raised in a shard is asked and answered through the program; its status counts
// the items of every shard.
func TestShards(t *testing.T) {
	const n, size = 450, 100

	t.Run("EachItemRunsOnceInShardsOfTheShardSize", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: manyContacts(n), emailed: []any{}}
		env := f.shardEnv(t)
		var shards []string
		env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
			shards = append(shards, info.WorkflowExecution.ID)
		})
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, ShardSize: size})
		res := completed(t, env)
		if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
			t.Fatalf("summary = %q, want %q", got, want)
		}
		if len(shards) != 5 || shards[0] != "default-test-workflow-id/send/shard-1" {
			t.Errorf("shards = %v, want 5 child workflows (450 items in shards of 100)", shards)
		}
		for i := range n {
			if to := fmt.Sprintf("contact-%03d@example.com", i+1); f.calls[to] != 1 {
				t.Errorf("%s: sent %d times, want 1", to, f.calls[to])
			}
		}
		for _, b := range f.batches {
			if len(b.Items) > size {
				t.Errorf("a batch of %d items, more than a shard", len(b.Items))
			}
		}
		if key := f.sentTo()["contact-007@example.com"].Context.IdempotencyKey; key != "default-test-workflow-id/send_7" {
			t.Errorf("item 7's idempotency key = %q, want the program's, as an unsharded step's", key)
		}
		send := res.Steps[len(res.Steps)-1]
		if len(send.Items)+send.NotListed != n {
			t.Errorf("send lists %d items and leaves out %d, want %d in all", len(send.Items), send.NotListed, n)
		}
	})

	t.Run("AQuestionInAShardIsAnsweredThroughTheProgram", func(t *testing.T) {
		f, bad := questionInAShard(t, n, nil)
		res, st := f.answerRetryInAShard(t, bad, size)
		send := st.Steps[len(st.Steps)-1]
		if send.Total != n || send.Done != n-1 || send.Failed != 0 {
			t.Errorf("status while the question was open = %+v, want %d done of %d", send, n-1, n)
		}
		if got := itemsOf(t, res, "send")[bad]; got.State != workflows.StateDone || got.Task == nil || got.Task.TaskID != "send_321-run2" {
			t.Errorf("%s = %+v, want done by task send_321-run2 after the answer", bad, got)
		}
		if f.calls[bad] != 3 {
			t.Errorf("%s: sent %d times, want 3 (2 attempts in its shard, 1 after the answer)", bad, f.calls[bad])
		}
		if !strings.HasPrefix(res.Summary, fmt.Sprintf("send: %d done", n)) {
			t.Errorf("summary = %q, want all %d done", res.Summary, n)
		}
	})

	t.Run("StatusCountsTheItemsOfRunningShards", func(t *testing.T) {
		p := helloPlan(t)
		p.Steps[3].Retry = &plan.Retry{InitialInterval: "10m", MaximumInterval: "1h", MaximumAttempts: ptr[int32](3)}
		const slow = "contact-050@example.com"
		f := &fakeWorld{plan: p, contacts: manyContacts(n), emailed: []any{}, flaky: map[string]int{slow: 1}}
		env := f.shardEnv(t)
		var st workflows.Status
		env.RegisterDelayedCallback(func() { st = query[workflows.Status](t, env, workflows.QueryStatus) }, 5*time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: p.Program, ShardSize: size})
		completed(t, env)
		send := st.Steps[len(st.Steps)-1]
		// Shard 1 waits 10 minutes to retry item 50; the 99 others it sent count, by its progress signal.
		if send.Done != n-1 || send.Running != 1 || send.State != workflows.StateRunning {
			t.Errorf("status at 5 minutes = %+v, want %d done and 1 running", send, n-1)
		}
	})

	t.Run("AnAbortThroughTheProgramStartsNoMoreShards", func(t *testing.T) {
		p := helloPlan(t)
		p.Steps[3].Retry = &plan.Retry{InitialInterval: "10m", MaximumInterval: "1h", MaximumAttempts: ptr[int32](3)}
		const asks = "contact-005@example.com" // shard 1: needs input, so shard 1 ends and the program asks
		needs := temporal.NewNonRetryableApplicationError("which address?", catalog.ErrNeedsInput, nil,
			catalog.InputRequest{Question: "Which address?", Kind: catalog.InputText, Param: "to"})
		// Shards 2 and 3 hold the window for 10 minutes, each waiting to retry one item.
		f := &fakeWorld{plan: p, contacts: manyContacts(n), emailed: []any{}, sendErr: map[string]error{asks: needs},
			flaky: map[string]int{"contact-150@example.com": 1, "contact-250@example.com": 1}}
		env := f.shardEnv(t)
		var aborted *outcome
		env.RegisterDelayedCallback(func() {
			qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
			if len(qs) != 1 || qs[0].Item != asks || qs[0].State != workflows.QuestionOpen {
				t.Fatalf("questions = %+v, want one open question about %s", qs, asks)
			}
			aborted = update(t, env, "abort", workflows.Answer{QuestionID: qs[0].ID, Answer: "abort"})
		}, 5*time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: p.Program, ShardSize: size})
		res := failedResult(t, env.GetWorkflowError())
		aborted.accepted(t)
		if !strings.HasPrefix(res.Summary, "aborted: the answer to q1") {
			t.Errorf("summary = %q, want the abort first", res.Summary)
		}
		for i := 301; i <= n; i++ { // shards 4 and 5 had not started
			if to := fmt.Sprintf("contact-%03d@example.com", i); f.calls[to] != 0 {
				t.Fatalf("%s was sent to after the abort", to)
			}
		}
		if got := itemsOf(t, res, "send")["contact-400@example.com"]; got.State != workflows.StateSkipped || !strings.Contains(got.Reason, "not run: the program was aborted") {
			t.Errorf("an item of shard 4 = %+v, want skipped: not run, the program was aborted", got)
		}
	})

	t.Run("AStepOfAtMostTheShardSizeRunsAsBefore", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: manyContacts(size), emailed: []any{}}
		env := f.shardEnv(t)
		children := 0
		env.SetOnChildWorkflowStartedListener(func(*workflow.Info, workflow.Context, converter.EncodedValues) { children++ })
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, ShardSize: size})
		completed(t, env)
		if children != 0 {
			t.Errorf("%d child workflows for %d items with a shard size of %d, want none", children, size, size)
		}
	})
}
