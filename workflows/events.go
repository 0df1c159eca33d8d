package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The moments of a program that its events mirror. Event ids are the workflow ID, the topic and what the
// event is about, so they are the same on every replay and retry.

func (p *program) eventID(topic, about string) string {
	return p.workflowID + "/" + topic + "/" + about
}

func timestamp(ctx workflow.Context) string {
	return workflow.Now(ctx).UTC().Format(time.RFC3339Nano)
}

// emitDispatch mirrors a scheduled task: task.dispatch, task.priority when it is urgent, and task.chain
// when a for_each step created it.
func (p *program) emitDispatch(ctx workflow.Context, t catalog.Task, deps []string) {
	d := bridge.DispatchOf(t)
	p.events.emit(ctx, p.eventID(bridge.TopicTaskDispatch, t.TaskID), d)
	if t.Priority == plan.PriorityHigh {
		p.events.emit(ctx, p.eventID(bridge.TopicTaskPriority, t.TaskID), bridge.PriorityOf(t))
	}
	if t.Context.Item > 0 {
		if deps == nil {
			deps = []string{}
		}
		p.events.emit(ctx, p.eventID(bridge.TopicTaskChain, t.TaskID), bridge.TaskChain{
			SubTaskID:    t.TaskID,
			ParentTaskID: t.Context.Step,
			Command:      t.Command,
			Parameters:   t.Parameters,
			Dependencies: deps,
			Priority:     t.Priority,
		})
	}
}

// emitResult mirrors a task's end: task.result and its metrics on analytics.data.
func (p *program) emitResult(ctx workflow.Context, r catalog.TaskResult) {
	p.events.emit(ctx, p.eventID(bridge.TopicTaskResult, r.TaskID), bridge.ResultOf(r))
	p.events.emit(ctx, p.eventID(bridge.TopicAnalyticsData, r.TaskID), bridge.AnalyticsData{
		DataPointID: p.eventID(bridge.TopicAnalyticsData, r.TaskID),
		Timestamp:   timestamp(ctx),
		WorkerID:    r.WorkerID,
		TaskID:      r.TaskID,
		Metrics: map[string]any{
			"status":            r.Status,
			"execution_time_ms": r.ExecutionTime,
			"attempts":          r.Attempt,
			"workflow_id":       p.workflowID,
		},
		ResourceUsage: resourceUsage(r.Resources),
	})
}

// resourceUsage is analytics.data's resource_usage: what the worker measured for the attempt that produced
// the result (catalog.ResourceUsage says what the figures mean), empty when it measured nothing, as for a
// task that failed.
func resourceUsage(u *catalog.ResourceUsage) map[string]any {
	if u == nil {
		return map[string]any{}
	}
	return map[string]any{
		"cpu_time_ms":       u.CPUTimeMs,
		"allocated_bytes":   u.AllocatedBytes,
		"overlapping_tasks": u.OverlappingTasks,
	}
}

// emitDependency mirrors a step's state as its dependencies see it (task.dependency).
func (p *program) emitDependency(ctx workflow.Context, id, state string) {
	status := map[string]string{StateDone: "completed", StateRunning: "in_progress"}[state]
	if status == "" {
		status = state
	}
	p.events.emit(ctx, p.eventID(bridge.TopicTaskDependency, id+"/"+status), bridge.TaskDependency{
		TaskID:         id,
		Dependencies:   nonNil(p.plan.Deps(id)),
		DependentTasks: nonNil(p.plan.Dependents(id)),
		Status:         status,
	})
}

// emitAlert raises a system alert about this program.
func (p *program) emitAlert(ctx workflow.Context, about, severity, message string, actionRequired bool) {
	id := p.eventID(bridge.TopicSystemAlerts, about)
	p.events.emit(ctx, id, bridge.SystemAlert{
		AlertID:            id,
		Timestamp:          timestamp(ctx),
		Severity:           severity,
		Message:            message,
		AffectedComponents: []string{"program:" + p.workflowID},
		ActionRequired:     actionRequired,
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
