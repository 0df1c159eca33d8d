package bridge

import (
	"encoding/json"
	"fmt"

	"github.com/eaapl/eaapl/catalog"
)

// The events of one task, built in one place for both of their producers: the Program workflow (through
// the PublishEvents activity) and the batch activity, which publishes its items' events from the worker.
// Both give an event the same deterministic id, so a consumer recognises a duplicate whoever sent it.

// IDEvent is an event's value with its deterministic id.
type IDEvent struct {
	ID    string
	Value Value
}

// EventID is the id of a program's event: the workflow ID, the topic and what the event is about.
func EventID(workflowID, topic, about string) string {
	return workflowID + "/" + topic + "/" + about
}

// DispatchEvents are a scheduled task's events: task.dispatch, task.priority when it is urgent, and
// task.chain when a for_each step created it (deps are the step's dependencies).
func DispatchEvents(t catalog.Task, deps []string) []IDEvent {
	wf := t.Context.WorkflowID
	t.Parameters = fitRecord(t.Parameters)
	out := []IDEvent{{EventID(wf, TopicTaskDispatch, t.TaskID), DispatchOf(t)}}
	if t.Priority == PriorityHigh {
		out = append(out, IDEvent{EventID(wf, TopicTaskPriority, t.TaskID), PriorityOf(t)})
	}
	if t.Context.Item > 0 {
		if deps == nil {
			deps = []string{}
		}
		out = append(out, IDEvent{EventID(wf, TopicTaskChain, t.TaskID), TaskChain{
			SubTaskID:    t.TaskID,
			ParentTaskID: t.Context.Step,
			Command:      t.Command,
			Parameters:   t.Parameters,
			Dependencies: deps,
			Priority:     t.Priority,
		}})
	}
	return out
}

// ResultEvents are a task's end: task.result and its metrics on analytics.data, stamped with timestamp
// (RFC 3339).
func ResultEvents(workflowID string, r catalog.TaskResult, timestamp string) []IDEvent {
	id := EventID(workflowID, TopicAnalyticsData, r.TaskID)
	r.Output = fitRecord(r.Output)
	return []IDEvent{
		{EventID(workflowID, TopicTaskResult, r.TaskID), ResultOf(r)},
		{id, AnalyticsData{
			DataPointID: id,
			Timestamp:   timestamp,
			WorkerID:    r.WorkerID,
			TaskID:      r.TaskID,
			Metrics: map[string]any{
				"status":            r.Status,
				"execution_time_ms": r.ExecutionTime,
				"attempts":          r.Attempt,
				"workflow_id":       workflowID,
			},
			ResourceUsage: ResourceUsageOf(r.Resources),
		}},
	}
}

// ResourceUsageOf is analytics.data's resource_usage of a task: what its worker measured, or nothing.
func ResourceUsageOf(u *catalog.ResourceUsage) map[string]any {
	if u == nil {
		return map[string]any{}
	}
	m := map[string]any{
		"cpu_time_ms":       u.CPUTimeMs,
		"allocated_bytes":   u.AllocatedBytes,
		"overlapping_tasks": u.OverlappingTasks,
	}
	if u.ModelPromptTokens > 0 || u.ModelCompletionTokens > 0 {
		m["model_prompt_tokens"], m["model_completion_tokens"] = u.ModelPromptTokens, u.ModelCompletionTokens
	}
	return m
}

// maxValueBytes bounds the parameters or output an event carries, well under Kafka's default limit of
// 1 MB per record and Temporal's 2 MB per payload (the workflow sends its events in batches): the
// contacts of a 10,000-contact address book are over 1 MB.
const maxValueBytes = 64 << 10

// fitRecord returns m, or, when it encodes to more than maxValueBytes, a copy in which each value longer
// than a 16th of that is replaced by a note saying what it was: the full value stays in the workflow's
// history. It is deterministic, so the workflow may call it: the copy does not depend on the order of the
// map walk, and encoding/json sorts map keys, which workflowcheck cannot see.
//
//workflowcheck:ignore
func fitRecord(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil || len(b) <= maxValueBytes {
		return m
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		vb, err := json.Marshal(v)
		switch {
		case err != nil || len(vb) <= maxValueBytes/16:
			out[k] = v
		case isList(v):
			out[k] = fmt.Sprintf("(a list of %d items, %d bytes: left out of the event; the workflow history has it)", len(v.([]any)), len(vb))
		default:
			out[k] = fmt.Sprintf("(%d bytes: left out of the event; the workflow history has it)", len(vb))
		}
	}
	return out
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}
