package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// TestShardedForEach runs a for_each over 2,000 contacts with a shard size of 500 on the dev stack: the
// contacts are a stored list (more than RetrieveContacts carries), its items run in 4 ForEachShard child
// workflows that each read their own range of it, each contact gets exactly one email, `eaapl status`
// counts the items of every shard while they run, and every run's history (the program's and each
// shard's) stays far under Temporal's limits; the program's holds no item.
func TestShardedForEach(t *testing.T) {
	const n, size, id = 2000, 500, "sharded-stored-list"
	s := newStack(t)
	var csv strings.Builder
	csv.WriteString("name,email\n")
	for i := range n {
		fmt.Fprintf(&csv, "Contact %d,contact-%04d@example.com\n", i+1, i+1)
	}
	st := s.worker(t, testenv.WriteFile(t, "contacts.csv", csv.String()), func(c *config.Config) { c.DataDir = t.TempDir() })
	var statuses []string // eaapl status's lines for the send step, while shards ran
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wr, err := st.Start(ctx, id, workflows.Input{Program: "Send 'Hi there' to all my contacts", ShardSize: size})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Wait(ctx, wr, 100*time.Millisecond, func(cur workflows.Status) {
		var b strings.Builder
		starter.PrintStatus(&b, cur)
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.Contains(line, "send") && cur.State == workflows.StateRunning {
				statuses = append(statuses, strings.TrimSpace(line))
			}
		}
	})
	s.recordHistory(t, id)
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

	t.Run("StatusCountsTheItemsOfEveryShard", func(t *testing.T) {
		// Some line while it ran says that items of more than one shard are done: more than a shard's
		// worth, fewer than all.
		var between []string
		counts := regexp.MustCompile(`running: (\d+)/(\d+) done`)
		for _, line := range statuses {
			m := counts.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			done, _ := strconv.Atoi(m[1])
			if total, _ := strconv.Atoi(m[2]); total == n && done > size && done < n {
				between = append(between, line)
			}
		}
		t.Logf("%d status lines while it ran, %d counting more than one shard, e.g. %q", len(statuses), len(between), between[:min(1, len(between))])
		if len(between) == 0 {
			t.Errorf("no status while it ran counted more than one shard's items; the send step's lines were %q", statuses)
		}
	})

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
		children, pages := 0, 0
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
				if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == contentvalue.ReadListPage {
					pages++
				}
			}
			if events == 0 || events > maxEvents || bytes > maxBytes {
				t.Errorf("%s: %d events, %d bytes; want some, and at most %d events and %d bytes", wf, events, bytes, maxEvents, maxBytes)
			}
			// Before the stored list, the program's history held every contact twice (744 KB).
			if wf == id && bytes > 100<<10 {
				t.Errorf("the program's history is %d bytes, want under 100 KB: its items reach it", bytes)
			}
			t.Logf("%s: %d events, %d bytes", wf, events, bytes)
		}
		if children != n/size {
			t.Errorf("%d child workflows started, want %d shards of %d", children, n/size, size)
		}
		if pages != n/listPage {
			t.Errorf("%d pages of the stored list read, want %d (each shard its own %d items, in pages of %d)", pages, n/listPage, size, listPage)
		}
	})
}

// listPage is how many items a shard reads at once (workflows.listPageItems).
const listPage = 500

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
