package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/workflows"
)

// historyStats is what a run's workflow history says.
type historyStats struct {
	events     int
	sizeBytes  int64
	wfTasks    int            // workflow tasks completed
	activities map[string]int // activity type -> activities scheduled
	retried    int            // activity attempts after the first
	// itemsByWorker counts, per worker identity, the emails its activities ran: one per SendEmail, the
	// batch's items per RunBatch (by the attempt that completed).
	itemsByWorker map[string]int
	// Phases, by the server's clock: start -> first email activity scheduled (planning, contacts,
	// compose); -> last email activity completed; -> workflow closed.
	beforeSend, sending, afterSend time.Duration
	// A sharded program's shards (child workflows) are read with it: the counts above are the sums over
	// its runs, and maxEvents and maxBytes are those of its largest run, which Temporal's limits bound.
	runs                int
	maxEvents           int
	maxBytes            int64
	firstSend, lastSend time.Time
}

// add merges a shard's history into its program's.
func (h *historyStats) add(c historyStats) {
	h.events += c.events
	h.sizeBytes += c.sizeBytes
	h.wfTasks += c.wfTasks
	h.retried += c.retried
	h.runs += c.runs
	h.maxEvents, h.maxBytes = max(h.maxEvents, c.maxEvents), max(h.maxBytes, c.maxBytes)
	for k, v := range c.activities {
		h.activities[k] += v
	}
	for k, v := range c.itemsByWorker {
		h.itemsByWorker[k] += v
	}
	if !c.firstSend.IsZero() && (h.firstSend.IsZero() || c.firstSend.Before(h.firstSend)) {
		h.firstSend = c.firstSend
	}
	if c.lastSend.After(h.lastSend) {
		h.lastSend = c.lastSend
	}
}

func (h historyStats) totalActivities() int {
	n := 0
	for _, c := range h.activities {
		n += c
	}
	return n
}

// readHistory reads a closed workflow's history: its length and size, its activities, and who ran them.
// dc decodes the payloads (encrypted, as the workers encrypt them).
func readHistory(ctx context.Context, c client.Client, dc converter.DataConverter, workflowID string) (historyStats, error) {
	h := historyStats{activities: map[string]int{}, itemsByWorker: map[string]int{}}
	type scheduled struct {
		typ      string
		items    int
		identity string
	}
	byEvent := map[int64]*scheduled{}
	var shards []string
	var wfStart, wfClose, firstSend, lastSend time.Time
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.events++
		at := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			wfStart = at
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			wfClose = at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			h.wfTasks++
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			if a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a.GetWorkflowType().GetName() == workflows.ShardWorkflowType {
				shards = append(shards, a.GetWorkflowId())
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := e.GetActivityTaskScheduledEventAttributes()
			s := &scheduled{typ: a.GetActivityType().GetName(), items: 1}
			if s.typ == "RunBatch" && len(a.GetInput().GetPayloads()) == 1 {
				var in struct{ Items []json.RawMessage }
				if dc.FromPayload(a.GetInput().GetPayloads()[0], &in) == nil {
					s.items = len(in.Items)
				}
			}
			byEvent[e.GetEventId()] = s
			h.activities[s.typ]++
			if isEmailActivity(s.typ) && firstSend.IsZero() {
				firstSend = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := e.GetActivityTaskStartedEventAttributes()
			if s := byEvent[a.GetScheduledEventId()]; s != nil {
				s.identity = a.GetIdentity()
			}
			if a.GetAttempt() > 1 {
				h.retried++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			s := byEvent[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]
			if s != nil && isEmailActivity(s.typ) {
				h.itemsByWorker[s.identity] += s.items
				lastSend = at
			}
		}
	}
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return h, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	h.sizeBytes = d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
	h.runs, h.maxEvents, h.maxBytes, h.firstSend, h.lastSend = 1, h.events, h.sizeBytes, firstSend, lastSend
	for _, id := range shards {
		sh, err := readHistory(ctx, c, dc, id)
		if err != nil {
			return h, err
		}
		h.add(sh)
	}
	if !h.firstSend.IsZero() && !h.lastSend.IsZero() && !wfClose.IsZero() {
		h.beforeSend, h.sending, h.afterSend = h.firstSend.Sub(wfStart), h.lastSend.Sub(h.firstSend), wfClose.Sub(h.lastSend)
	}
	return h, nil
}

func isEmailActivity(typ string) bool { return typ == "RunBatch" || typ == email.SendEmail.Name }

// splitText is "bench-worker-1 5,100 (51%), bench-worker-2 4,900 (49%)".
func splitText(split map[string]int) string {
	total := 0
	var ids []string
	for id, n := range split {
		total += n
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%s %d (%.0f%%)", id, split[id], 100*float64(split[id])/float64(max(total, 1))))
	}
	return strings.Join(parts, ", ")
}

// procStatusKB reads a "Name:   123 kB" line of /proc/<pid>/status; 0 when it cannot.
func procStatusKB(pid, field string) uint64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseUint(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

func mb(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
