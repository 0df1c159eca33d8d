package content

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/eaapl/eaapl/internal/testenv"
)

// bigSize is the size of the value the test workflow passes around: 25 times Temporal's 2 MB payload limit.
const bigSize = 50 << 20

// bigValue is what the test workflow returns: the large value itself, and its digest as the second
// activity saw it.
type bigValue struct {
	Value  []byte `json:"value"`
	Digest string `json:"digest"`
}

// makeValue returns a large value, so that it leaves the activity as a result.
func makeValue(_ context.Context, seed uint64) ([]byte, error) {
	return randomBytes(bigSize, seed), nil
}

// digestValue takes a large value as its input and returns its hash.
func digestValue(_ context.Context, b []byte) (string, error) {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// bigValueWorkflow passes a large value from one activity to another and returns it.
func bigValueWorkflow(ctx workflow.Context, seed uint64) (bigValue, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var v []byte
	if err := workflow.ExecuteActivity(ctx, makeValue, seed).Get(ctx, &v); err != nil {
		return bigValue{}, err
	}
	var digest string
	if err := workflow.ExecuteActivity(ctx, digestValue, v).Get(ctx, &digest); err != nil {
		return bigValue{}, err
	}
	return bigValue{Value: v, Digest: digest}, nil
}

func TestA50MBValueTravelsThroughTemporalByReference(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	srv := testenv.Temporal(t)
	store := openDir(t, DirOptions{})
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.Dial(client.Options{
		HostPort:        srv.FrontendHostPort(),
		Logger:          quiet,
		ExternalStorage: ExternalStorage(store, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const taskQueue = "content-test"
	w := worker.New(c, taskQueue, worker.Options{DeadlockDetectionTimeout: time.Minute}) // 50 MB decodes in the workflow
	w.RegisterWorkflow(bigValueWorkflow)
	w.RegisterActivity(makeValue)
	w.RegisterActivity(digestValue)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "big-value", TaskQueue: taskQueue}, bigValueWorkflow, uint64(7))
	if err != nil {
		t.Fatal(err)
	}
	var got bigValue
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	want, _ := digestValue(ctx, randomBytes(bigSize, 7))
	if got.Digest != want {
		t.Errorf("the second activity saw a value with digest %s, want %s", got.Digest, want)
	}
	if d, _ := digestValue(ctx, got.Value); len(got.Value) != bigSize || d != want {
		t.Errorf("the workflow returned %d bytes with digest %s, want the %d bytes made", len(got.Value), d, bigSize)
	}

	// The history holds references only: its events are a few kB, not 3 x 67 MB of base64.
	var history historypb.History
	iter := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		history.Events = append(history.Events, e)
	}
	size := proto.Size(&history)
	t.Logf("history: %d events, %d bytes; store: %v", len(history.Events), size, files(t, store.Root()))
	if size > 32<<10 {
		t.Errorf("the history is %d bytes, want under 32 KiB: the large value is in it", size)
	}
	// makeValue's result, digestValue's input (the same bytes, so the same payload) and the workflow's result.
	if n := len(files(t, store.Root())); n != 2 {
		t.Errorf("the store holds %d values, want 2", n)
	}

	t.Run("TheHistoryReplaysWithTheStore", func(t *testing.T) {
		// Decoding 50 MB in the workflow can take over the 1 s deadlock limit on a loaded machine; the replay
		// checks determinism, not speed.
		r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{ExternalStorage: ExternalStorage(store, 0), DisableDeadlockDetection: true})
		if err != nil {
			t.Fatal(err)
		}
		r.RegisterWorkflow(bigValueWorkflow)
		if err := r.ReplayWorkflowHistory(quiet, &history); err != nil {
			t.Fatalf("replay: %v", err)
		}
	})

	t.Run("WithoutTheStoreTheValueDoesNotFit", func(t *testing.T) {
		plain, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort(), Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer plain.Close()
		big, _ := makeValue(ctx, 8)
		_, err = plain.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "big-input", TaskQueue: "nobody"}, "AnyWorkflow", big)
		if err == nil {
			t.Fatal("a 50 MB input was accepted without the store: this test shows nothing")
		}
		t.Logf("without the store: %v", err)
	})
}
