package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/eaapl/eaapl/activities/api"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
	"github.com/eaapl/eaapl/workflows"
)

func testStore(t *testing.T) catalog.ContentStore {
	t.Helper()
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return contentstore.FromStore(dir)
}

// Issue 16 item 1: a for_each over a stored list (RetrieveContacts over a long address book) hands
// each shard only the list and its range; the shard reads its items itself and evaluates their
// conditions; CheckEmailHistory, whose contacts argument takes a stored list, gets the list's reference.
func TestShardsOverAStoredList(t *testing.T) {
	const n, size = 450, 100

	t.Run("EachShardReadsItsOwnRange", func(t *testing.T) {
		emailed := []any{"contact-007@example.com", "contact-444@example.com"}
		f := &fakeWorld{plan: helloPlan(t), contacts: manyContacts(n), emailed: emailed, store: testStore(t)}
		env := f.shardEnv(t)
		var inputs []workflows.ShardInput
		env.SetOnChildWorkflowStartedListener(func(_ *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
			var in workflows.ShardInput
			if err := args.Get(&in); err != nil {
				t.Errorf("shard input: %v", err)
			}
			inputs = append(inputs, in)
		})
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, ShardSize: size})
		res := completed(t, env)
		if got, want := res.Summary, fmt.Sprintf("send: %d done, 2 skipped, 0 failed", n-2); got != want {
			t.Fatalf("summary = %q, want %q", got, want)
		}
		for i := range n {
			to, want := fmt.Sprintf("contact-%03d@example.com", i+1), 1
			if to == emailed[0] || to == emailed[1] {
				want = 0
			}
			if f.calls[to] != want {
				t.Errorf("%s: sent %d times, want %d", to, f.calls[to], want)
			}
		}
		if f.historyContacts != n || !f.historyStored {
			t.Errorf("CheckEmailHistory was given %d contacts (stored: %v), want the stored list of all %d", f.historyContacts, f.historyStored, n)
		}
		if len(inputs) != 5 {
			t.Fatalf("%d shards, want 5", len(inputs))
		}
		for k, in := range inputs {
			if in.List == nil || in.List.Count != n || len(in.Items) != 0 || in.From != k*size || in.To != min((k+1)*size, n) {
				t.Errorf("shard %d: list %v, %d items, range [%d, %d); want only the list and [%d, %d)", k+1, in.List, len(in.Items), in.From, in.To, k*size, min((k+1)*size, n))
			}
			history, _ := in.Steps["history"].(map[string]any)
			if _, ok := history["emailed"]; !ok || len(history) != 1 || len(in.Steps["contacts"].(map[string]any)) != 0 {
				t.Errorf("shard %d carries %v of the other steps, want only history.emailed, which its condition reads", k+1, in.Steps)
			}
		}
		if key := f.sentTo()["contact-321@example.com"].Context.IdempotencyKey; key != "default-test-workflow-id/send_321" {
			t.Errorf("item 321's idempotency key = %q, want the program's, as an unsharded step's", key)
		}
		if got := itemsOf(t, res, "send")["contact-007@example.com"]; got.State != workflows.StateSkipped || !strings.Contains(got.Reason, "emailed them") {
			t.Errorf("contact-007 = %+v, want skipped: you emailed them", got)
		}
		// The full per-item report: one stored list per shard, every item once, in order.
		send := res.Steps[len(res.Steps)-1]
		if len(send.Reports) != 5 {
			t.Fatalf("send has %d reports, want one per shard", len(send.Reports))
		}
		next, states := 1, map[string]int{}
		for _, r := range send.Reports {
			items, err := contentvalue.ReadRange(context.Background(), f.store, r, 0, r.Count)
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range items {
				var it workflows.ItemResult
				if err := json.Unmarshal(raw, &it); err != nil {
					t.Fatal(err)
				}
				if it.Item != next || it.Label == "" {
					t.Fatalf("report item %+v, want item %d with its label", it, next)
				}
				next++
				states[it.State]++
			}
		}
		if next != n+1 || states[workflows.StateDone] != n-2 || states[workflows.StateSkipped] != 2 {
			t.Errorf("the reports hold %d items %v, want %d: %d done, 2 skipped", next-1, states, n, n-2)
		}
	})

	t.Run("AQuestionInAShardIsAnsweredThroughTheProgram", func(t *testing.T) {
		f, bad := questionInAShard(t, n, testStore(t))
		res, _ := f.answerRetryInAShard(t, bad, size)
		if got := itemsOf(t, res, "send")[bad]; got.State != workflows.StateDone || got.Task == nil || got.Task.TaskID != "send_321-run2" {
			t.Errorf("%s = %+v, want done by task send_321-run2 after the answer", bad, got)
		}
		if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
	})

	t.Run("AnApprovalCountsTheListBeforeAnyShard", func(t *testing.T) {
		f := &fakeWorld{plan: helloPlan(t), contacts: manyContacts(n), emailed: []any{}, store: testStore(t), policy: api.Policy{ApprovalThreshold: 100}}
		env := f.shardEnv(t)
		var approved *outcome
		env.RegisterDelayedCallback(func() {
			qs := query[[]workflows.Question](t, env, workflows.QueryQuestions)
			if len(qs) != 1 || qs[0].Kind != workflows.KindApproval || !strings.Contains(qs[0].Text, fmt.Sprintf("up to %d times", n)) {
				t.Fatalf("questions = %+v, want one approval of up to %d sends", qs, n)
			}
			if len(f.sent) != 0 {
				t.Errorf("%d emails sent before the approval", len(f.sent))
			}
			approved = update(t, env, "approve", workflows.Answer{QuestionID: qs[0].ID, Answer: workflows.AnswerApprove})
		}, time.Minute)
		env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, ShardSize: size})
		res := completed(t, env)
		approved.accepted(t)
		if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
	})

	t.Run("ADryRunInShardsSendsNothing", func(t *testing.T) {
		for _, store := range []catalog.ContentStore{nil, testStore(t)} { // items evaluated by the program, and stored
			f := &fakeWorld{plan: helloPlan(t), contacts: manyContacts(n), emailed: []any{}, store: store}
			env := f.shardEnv(t)
			env.ExecuteWorkflow(workflows.WorkflowType, workflows.Input{Program: f.plan.Program, ShardSize: size, DryRun: true})
			completed(t, env)
			items := 0
			for _, b := range f.batches {
				for _, it := range b.Items {
					items++
					if !it.Task.DryRun {
						t.Fatalf("stored %v: a shard's task %s is not a dry run", store != nil, it.Task.TaskID)
					}
				}
			}
			if items != n {
				t.Errorf("stored %v: %d batch items, want %d", store != nil, items, n)
			}
		}
	})
}

// TestReplayShardedStoredList replays the recorded run over a stored list (`go test ./e2e -run
// TestShardedForEach -record`): the program, which handed each shard a range, and the shards, which
// read their items with ReadListPage.
func TestReplayShardedStoredList(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "sharded-stored-list*.json"))
	if err != nil || len(files) != 5 {
		t.Fatalf("found %v in testdata/histories, want the program and its 4 shards: run `go test ./e2e -run TestShardedForEach -record`", files)
	}
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(file, "shard-") != strings.Contains(string(b), contentvalue.ReadListPage) {
			t.Errorf("%s: a shard's history must read pages of the stored list, and the program's none", file)
		}
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(workflows.Program, workflowOptions)
		r.RegisterWorkflowWithOptions(workflows.ForEachShard, workflow.RegisterOptions{Name: workflows.ShardWorkflowType})
		if err := replayAsRecorded(r, logger, file); err != nil {
			t.Errorf("replay %s: %v", file, err)
		}
	}
}
