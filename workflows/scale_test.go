package workflows_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/api"
	contactsfamily "github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/activities/contacts/contactsfile"
	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/activities/contentvalue/contentstore"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/content"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

var scaleN = flag.Int("scale.n", 0, "TestShardedStoredList: also run this many items (e.g. 1000000; minutes)")

// sendPlan sends one email to each contact, the 100,000-recipient newsletter of issue 16.
func sendPlan() *plan.Plan {
	return &plan.Plan{Version: 1, Program: "Send 'Hello' to each of my contacts", Steps: []plan.Step{
		{ID: "contacts", Command: "RetrieveContacts"},
		{ID: "send", Command: "SendEmail", DependsOn: []string{"contacts"},
			Args:    map[string]any{"to": "${contact}", "subject": "Hello", "body": "Hello"},
			ForEach: &plan.ForEach{Items: "${steps.contacts.contacts}", As: "contact"}},
	}}
}

// Issue 16 items 1 and 2, on the Temporal dev server with the real RetrieveContacts (a CSV file, the
// content store), the real planning and ReadListPage activities, and a RunBatch that sends nothing: at
// 10,000 and 100,000 contacts no run's history (the program's, each shard's) comes near 10,240 events
// or 10 MB, each item runs exactly once, and the worker's peak heap does not grow with N.
func TestShardedStoredList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 110,000 items on the dev server")
	}
	srv := testenv.Temporal(t)
	dir, err := content.OpenDir(filepath.Join(t.TempDir(), "content"), content.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := contentstore.FromStore(dir)
	sizes := []int{10000, 100000}
	if *scaleN > 0 {
		sizes = append(sizes, *scaleN)
	}
	peaks := map[int]uint64{}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			path := writeContactsCSV(t, n)
			queue := fmt.Sprintf("scale-%d", n)
			sent := &sentItems{count: make([]int32, n+1)}
			w := worker.New(srv.Client(), queue, worker.Options{})
			w.RegisterWorkflowWithOptions(workflows.Program, workflow.RegisterOptions{Name: workflows.WorkflowType})
			w.RegisterWorkflowWithOptions(workflows.ForEachShard, workflow.RegisterOptions{Name: workflows.ShardWorkflowType})
			(&activities.Commands{Deps: catalog.Deps{contactsfamily.Deps{Source: contactsfile.FileContacts{Path: path}, Store: store}}}).Register(w)
			w.RegisterActivity(&activities.Planning{})
			w.RegisterActivity(&contentvalue.Lists{Store: store})
			w.RegisterActivityWithOptions(sent.runBatch, activity.RegisterOptions{Name: api.RunBatch})
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()

			id := fmt.Sprintf("scale-%d", n)
			var res workflows.Result
			peak := testenv.PeakHeap(10*time.Millisecond, func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
				defer cancel()
				run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue},
					workflows.WorkflowType, workflows.Input{Plan: sendPlan()})
				if err != nil {
					t.Fatal(err)
				}
				if err := run.Get(ctx, &res); err != nil {
					t.Fatalf("program: %v", err)
				}
			})
			peaks[n] = peak
			if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
				t.Fatalf("summary = %q, want %q", got, want)
			}
			for i := 1; i <= n; i++ {
				if sent.count[i] != 1 {
					t.Fatalf("item %d ran %d times, want once", i, sent.count[i])
				}
			}
			shards := (n + workflows.DefaultShardSize - 1) / workflows.DefaultShardSize
			largest := [2]int{}
			for k := 0; k <= shards; k++ {
				wf := id
				if k > 0 {
					wf = workflows.ShardID(id, "send", k)
				}
				events, bytes := historySize(t, srv.Client(), wf)
				if events > 10240 || bytes > 10<<20 {
					t.Errorf("%s: %d events, %d bytes; want at most 10,240 events and 10 MB", wf, events, bytes)
				}
				if k == 0 {
					t.Logf("program: %d events, %.2f MB (%d shards)", events, float64(bytes)/(1<<20), shards)
				} else {
					largest = [2]int{max(largest[0], events), max(largest[1], bytes)}
				}
			}
			t.Logf("largest shard: %d events, %.2f MB; peak heap of the test's worker %.1f MB", largest[0], float64(largest[1])/(1<<20), float64(peak)/(1<<20))
		})
	}
	if small, large := peaks[10000], peaks[100000]; small > 0 && large > 0 && large > small*2 {
		t.Errorf("peak heap %.1f MB at 100,000 items, %.1f MB at 10,000: it grows with N", float64(large)/(1<<20), float64(small)/(1<<20))
	}
}

// writeContactsCSV writes n contacts, person1@example.com on.
func writeContactsCSV(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Person %d,person%d@example.com\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sentItems is a RunBatch that sends nothing and counts each item.
type sentItems struct {
	mu    sync.Mutex
	count []int32 // by item
}

func (s *sentItems) runBatch(_ context.Context, in api.BatchInput) (api.BatchResult, error) {
	out := api.BatchResult{Items: make([]api.BatchItemResult, len(in.Items)), Published: true}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range in.Items {
		s.count[it.Task.Context.Item]++
		out.Items[i] = api.BatchItemResult{Result: catalog.TaskResult{TaskID: it.Task.TaskID, WorkerID: "scale-test", Status: catalog.StatusSuccess,
			Output: map[string]any{"message_id": "<" + it.Task.Context.IdempotencyKey + ">"}, Attempt: it.Attempt}}
	}
	return out, nil
}

// historySize is a run's history: its events and their bytes.
func historySize(t *testing.T, c client.Client, id string) (events, bytes int) {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		events++
		bytes += proto.Size(e)
	}
	return events, bytes
}
