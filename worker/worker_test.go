package worker_test

import (
	"slices"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/worker"
)

// registrar records what a worker registers.
type registrar struct{ activities []string }

func (r *registrar) RegisterWorkflowWithOptions(any, workflow.RegisterOptions) {}
func (r *registrar) RegisterActivity(any)                                      {}
func (r *registrar) RegisterActivityWithOptions(_ any, o activity.RegisterOptions) {
	r.activities = append(r.activities, o.Name)
}

// TestEveryCommandHasAnActivity checks that the worker registers one activity per registered command,
// under the command's name (the activity type the workflow schedules), and no other.
func TestEveryCommandHasAnActivity(t *testing.T) {
	var r registrar
	worker.Register(&r, worker.Dependencies{Commands: &activities.Commands{}})
	names := catalog.Names()
	if len(names) == 0 {
		t.Fatal("no command is registered")
	}
	for _, name := range names {
		if !slices.Contains(r.activities, name) {
			t.Errorf("command %s has no activity", name)
		}
	}
	if len(r.activities) != len(names) {
		t.Errorf("activities %v, want one per command %v", r.activities, names)
	}
}
