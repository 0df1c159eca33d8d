package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
)

// The moments of a program that its events mirror. Event ids are the workflow ID, the topic and what the
// event is about, so they are the same on every replay and retry.

func (p *program) eventID(topic, about string) string {
	return bridge.EventID(p.workflowID, topic, about)
}

func timestamp(ctx workflow.Context) string {
	return workflow.Now(ctx).UTC().Format(time.RFC3339Nano)
}

// emitDispatch mirrors a scheduled task: task.dispatch, task.priority when it is urgent, and task.chain
// when a for_each step created it.
func (p *program) emitDispatch(ctx workflow.Context, t catalog.Task, deps []string) {
	for _, e := range bridge.DispatchEvents(t, deps) {
		p.events.emit(ctx, e.ID, e.Value)
	}
}

// emitResult mirrors a task's end: task.result and its metrics on analytics.data.
func (p *program) emitResult(ctx workflow.Context, r catalog.TaskResult) {
	for _, e := range bridge.ResultEvents(p.workflowID, r, timestamp(ctx)) {
		p.events.emit(ctx, e.ID, e.Value)
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
