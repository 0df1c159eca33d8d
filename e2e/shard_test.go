package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// TestShardedForEach runs a for_each over 2,000 contacts with a shard size of 500 on the dev stack: its
// items run in 4 ForEachShard child workflows, each contact gets exactly one email, and every run's
// history (the program's and each shard's) stays far under Temporal's limits.
func TestShardedForEach(t *testing.T) {
	const n, size, id = 2000, 500, "sharded-for-each"
	s := newStack(t)
	var csv strings.Builder
	csv.WriteString("name,email\n")
	for i := range n {
		fmt.Fprintf(&csv, "Contact %d,contact-%04d@example.com\n", i+1, i+1)
	}
	st := s.worker(t, testenv.WriteFile(t, "contacts.csv", csv.String()), nil)
	res, err := s.run(t, st, id, workflows.Input{Program: "Send 'Hi there' to all my contacts", ShardSize: size})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got, want := res.Summary, fmt.Sprintf("send: %d done, 0 skipped, 0 failed", n); got != want {
		t.Fatalf("summary = %q, want %q", got, want)
	}
	shards := []string{id}
	for k := 1; k <= n/size; k++ {
		shards = append(shards, workflows.ShardID(id, "send", k))
	}
	for k, wf := range shards[1:] {
		s.recordHistoryAs(t, wf, fmt.Sprintf("%s-shard-%d", id, k+1))
	}

	t.Run("EachContactGotExactlyOneEmail", func(t *testing.T) {
		got := map[string]int{}
		msgs := testenv.Messages(t, s.mailpit, "")
		for _, m := range msgs {
			for _, to := range m.To {
				got[to]++
			}
		}
		for i := range n {
			if addr := fmt.Sprintf("contact-%04d@example.com", i+1); got[addr] != 1 {
				t.Errorf("%s got %d emails, want 1", addr, got[addr])
			}
		}
		if len(msgs) != n {
			t.Errorf("Mailpit holds %d emails, want %d", len(msgs), n)
		}
	})

	t.Run("EveryHistoryIsUnderTheLimits", func(t *testing.T) {
		const maxEvents, maxBytes = 10240, 10 << 20
		children := 0
		for _, wf := range shards {
			events, bytes := 0, 0
			it := s.temporal.Client().GetWorkflowHistory(context.Background(), wf, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					t.Fatalf("history of %s: %v", wf, err)
				}
				events++
				bytes += proto.Size(e)
				if e.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil {
					children++
				}
			}
			if events == 0 || events > maxEvents || bytes > maxBytes {
				t.Errorf("%s: %d events, %d bytes; want some, and at most %d events and %d bytes", wf, events, bytes, maxEvents, maxBytes)
			}
			t.Logf("%s: %d events, %d bytes", wf, events, bytes)
		}
		if children != n/size {
			t.Errorf("%d child workflows started, want %d shards of %d", children, n/size, size)
		}
	})
}

// recordHistoryAs writes a run's history for the replay test under another name, with -record (a
// shard's workflow ID holds slashes).
func (s *stack) recordHistoryAs(t *testing.T, id, name string) {
	t.Helper()
	if !*record {
		return
	}
	out, err := exec.Command(testenv.Bin(t, "temporal"), "workflow", "show", "--workflow-id", id,
		"--address", s.temporal.FrontendHostPort(), "--output", "json").Output()
	if err != nil {
		t.Fatalf("temporal workflow show %s: %v", id, err)
	}
	path := filepath.Join(testenv.Root(t), "workflows", "testdata", "histories", name+".json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}
