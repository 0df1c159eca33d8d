package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/internal/payloadguard"
	"github.com/eaapl/eaapl/workflows"
)

// TestReplay replays histories recorded from real runs (`go test ./e2e -record` writes them) against the
// current workflow code: a change that breaks a running program's determinism fails here.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d recorded histories in testdata/histories, want at least 3: run `go test ./e2e -record`", len(files))
	}
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := newReplayer(t)
			r.RegisterWorkflowWithOptions(workflows.Program, workflowOptions)
			r.RegisterWorkflowWithOptions(workflows.ForEachShard, workflow.RegisterOptions{Name: workflows.ShardWorkflowType})
			if err := replayAsRecorded(r, logger, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}

// newReplayer is a replayer that reads identities as the workers do: the propagator (the start's and
// updates' headers) and the interceptor (the signals' senders); and bounds commands as they do.
func newReplayer(tb testing.TB) worker.WorkflowReplayer {
	tb.Helper()
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		Interceptors:       []interceptor.WorkerInterceptor{identity.Interceptor(workflows.SignalAnswer), payloadguard.Interceptor()},
		ContextPropagators: []workflow.ContextPropagator{identity.Propagator()},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// replayAsRecorded replays a history under the workflow ID it ran as, which `-record` makes its file
// name (a shard's file is named after it, not by its ID): a program names its shards after its own ID,
// and the replayer matches a child workflow by its ID.
func replayAsRecorded(r worker.WorkflowReplayer, logger sdklog.Logger, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return err
	}
	id := strings.TrimSuffix(filepath.Base(file), ".json")
	return r.ReplayWorkflowHistoryWithOptions(logger, hist, worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}})
}

// TestReplayShardedRun replays the recorded sharded run: the program, which started its shards, and
// each shard.
func TestReplayShardedRun(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "sharded-for-each*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("found %v in testdata/histories, want the program and its shards: run `go test ./e2e -run TestShardedForEach -record`", files)
	}
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, file := range files {
		r := newReplayer(t)
		r.RegisterWorkflowWithOptions(workflows.Program, workflowOptions)
		r.RegisterWorkflowWithOptions(workflows.ForEachShard, workflow.RegisterOptions{Name: workflows.ShardWorkflowType})
		if err := replayAsRecorded(r, logger, file); err != nil {
			t.Errorf("replay %s: %v", file, err)
		}
	}
	// The program's history must hold its shards, or this test replays nothing sharded.
	b, err := os.ReadFile(filepath.Join("testdata", "histories", "sharded-for-each.json"))
	if err != nil || !strings.Contains(string(b), "sharded-for-each/send/shard-4") {
		t.Errorf("sharded-for-each.json does not start shard 4 (%v)", err)
	}
}

// TestReplayAfterACatalogChange edits a command's catalog entry, as a new release might (SendEmail's
// "to" renamed), and replays the recorded histories: a program whose plan recorded the entries it was
// checked against replays as it ran; one recorded before that (which compiles against the worker's
// catalog) no longer does, which shows that the edit is one a running program would notice.
func TestReplayAfterACatalogChange(t *testing.T) {
	spec, ok := catalog.Get("SendEmail")
	if !ok {
		t.Fatal("SendEmail is not registered")
	}
	saved := spec.Command
	t.Cleanup(func() { spec.Command = saved })
	spec.Command.Args = slices.Clone(saved.Args)
	for i := range spec.Command.Args {
		if spec.Command.Args[i].Name == "to" {
			spec.Command.Args[i].Name = "recipient"
		}
	}
	logger := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) // the old history's failure is expected
	replay := func(file string) error {
		r := newReplayer(t)
		r.RegisterWorkflowWithOptions(workflows.Program, workflowOptions)
		return r.ReplayWorkflowHistoryFromJSONFile(logger, filepath.Join("testdata", "histories", file))
	}
	recorded, err := filepath.Glob(filepath.Join("testdata", "histories", "recorded-catalog-*.json"))
	if err != nil || len(recorded) == 0 {
		t.Fatalf("no history with a recorded catalog in testdata/histories (%v)", err)
	}
	for _, file := range recorded {
		if err := replay(filepath.Base(file)); err != nil {
			t.Errorf("%s, recorded with its catalog entries, does not replay after the edit: %v", file, err)
		}
	}
	if err := replay("hello-world.json"); err == nil {
		t.Error("hello-world.json, recorded before catalogs were, still replays after the edit: the edit changes nothing, and the test proves nothing")
	}
}
