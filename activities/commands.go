// Package activities runs the catalog's commands as Temporal activities: one activity type per registered
// command (its name), all through the command's own typed implementation (catalog.Spec.Run), and RunBatch,
// which runs many items of a for_each step in one activity through the same path. The commands themselves
// live in their families (activities/contacts, activities/email ...), registered in activities/builtin;
// this package names none of them. It also holds the planning activity and the Kafka bridge activity.
package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/catalog"
)

// Commands runs the registered commands, each as the activity type of its name. Deps are the worker's
// dependencies of every family (contacts.Deps, email.Deps ...).
type Commands struct {
	Deps     catalog.Deps
	WorkerID string // this worker's name in task results
}

// Run runs one task of the command it names, as the single-task activity does: an earlier attempt may
// have done its side effect, so a command with one checks first.
func (c *Commands) Run(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
	spec, ok := catalog.Get(t.Command)
	if !ok {
		return catalog.TaskResult{}, unknownCommand(t.Command)
	}
	return spec.Run(ctx, c.Deps, catalog.Call{Task: t, WorkerID: c.WorkerID, Check: true})
}

// Register registers one activity per registered command, named after it, on any registry: a worker, a
// replayer or a test environment.
func (c *Commands) Register(r interface {
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}) {
	for _, spec := range catalog.Specs() {
		r.RegisterActivityWithOptions(c.activity(spec), activity.RegisterOptions{Name: spec.Name})
	}
}

// activity is the activity function of one command. The task's own command is that of the activity
// type: a plan's task always names it, and a hand-made one (temporal workflow start) may not.
func (c *Commands) activity(spec *catalog.Spec) func(context.Context, catalog.Task) (catalog.TaskResult, error) {
	return func(ctx context.Context, t catalog.Task) (catalog.TaskResult, error) {
		t.Command = spec.Name
		return spec.Run(ctx, c.Deps, catalog.Call{Task: t, WorkerID: c.WorkerID, Check: true})
	}
}

func unknownCommand(name string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("command %s is not in the catalog", name), catalog.ErrInvalidArgument, nil)
}
