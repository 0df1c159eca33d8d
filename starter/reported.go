package starter

import (
	"context"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

// Reported is what the running batches of one step have reported in their heartbeats (a batch
// heartbeats each item's result as it goes): items done, and items failed so far.
type Reported struct {
	Done   int `json:"done"`
	Failed int `json:"failed"`
}

// heartbeatItem is the part of a batch's heartbeat (activities.BatchItemResult) that progress needs.
type heartbeatItem struct {
	Result struct {
		Status string `json:"status"`
	} `json:"result"`
	Retryable bool `json:"retryable"`
}

// Reported reads the heartbeats of a program's running batches (DescribeWorkflowExecution's pending
// activities), by step: the workflow learns of a batch's items only when the batch ends, so during a
// large step its status says 0 done while the batches have sent thousands. dc decodes the heartbeats
// (the client's data converter, with the payload codec).
func (s *Starter) Reported(ctx context.Context, id string, dc converter.DataConverter) (map[string]Reported, error) {
	d, err := s.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", id, err)
	}
	out := map[string]Reported{}
	for _, a := range d.GetPendingActivities() {
		step, isBatch := batchStep(a.GetActivityId())
		if !isBatch || a.GetHeartbeatDetails() == nil {
			continue
		}
		r, err := reportedBy(dc, a.GetHeartbeatDetails())
		if err != nil {
			continue // a heartbeat of another shape (the worker's keep-alive before the first item) says nothing
		}
		sum := out[step]
		sum.Done += r.Done
		sum.Failed += r.Failed
		out[step] = sum
	}
	return out, nil
}

// reportedBy counts the items of one batch's heartbeat.
func reportedBy(dc converter.DataConverter, details *commonpb.Payloads) (Reported, error) {
	var items []heartbeatItem
	if err := dc.FromPayloads(details, &items); err != nil {
		return Reported{}, err
	}
	var r Reported
	for _, it := range items {
		switch {
		case it.Result.Status == catalog.StatusSuccess:
			r.Done++
		case !it.Retryable:
			r.Failed++
		}
	}
	return r, nil
}

// batchStep is the step of a batch's activity ID: "send" of "send/batch-3" or "send/batch-3/attempt-2".
func batchStep(activityID string) (string, bool) {
	step, _, ok := strings.Cut(activityID, "/batch-")
	return step, ok
}

// WithReported adds to a status what running batches have reported: their items done and failed move from
// running to done and failed.
func WithReported(st workflows.Status, rep map[string]Reported) workflows.Status {
	if len(rep) == 0 {
		return st
	}
	steps := make([]workflows.StepStatus, len(st.Steps))
	for i, s := range st.Steps {
		if r, ok := rep[s.ID]; ok && s.State == workflows.StateRunning {
			moved := min(r.Done+r.Failed, s.Running)
			done := min(r.Done, moved)
			s.Done += done
			s.Failed += moved - done
			s.Running -= moved
		}
		steps[i] = s
	}
	st.Steps = steps
	return st
}
