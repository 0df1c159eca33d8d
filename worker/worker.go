// Package worker builds a Temporal worker that runs EaaPL programs: the Program workflow, the planning
// activity and one activity per catalog command, with their dependencies made from the configuration.
package worker

import (
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// Dependencies are what the activities use: made once per worker process.
type Dependencies struct {
	Activities *activities.Activities
	Planning   *activities.Planning
	Mirror     *activities.Mirror
	Batches    *activities.Batches
}

// NewDependencies makes the activities' dependencies from the configuration: the contacts file, the
// mailbox that holds email history, the SMTP sender and the planner.
// events, when not nil, is the Kafka bridge's publisher.
func NewDependencies(cfg config.Config, events activities.Publisher) (Dependencies, error) {
	loc, err := cfg.Location()
	if err != nil {
		return Dependencies{}, fmt.Errorf("EAAPL_TIMEZONE: %w", err)
	}
	sender, err := activities.NewSMTP(activities.SMTPConfig{
		Addr:     cfg.SMTPAddr,
		Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword,
		TLS:      cfg.SMTPTLS,
	})
	if err != nil {
		return Dependencies{}, fmt.Errorf("smtp: %w", err)
	}
	deps := Dependencies{
		Activities: &activities.Activities{
			Contacts: activities.FileContacts{Path: cfg.Contacts},
			Mailbox:  activities.NewMailpit(cfg.MailboxURL, &http.Client{Timeout: 30 * time.Second}),
			Sender:   sender,
			From:     mail.Address{Name: cfg.UserName, Address: cfg.UserEmail},
			WorkerID: Identity(cfg),
		},
		Planning: &activities.Planning{Planner: &planner.Rules{Location: loc}, Events: events, WorkerID: Identity(cfg)},
		Mirror:   &activities.Mirror{Publisher: events, WorkerID: Identity(cfg)},
	}
	deps.Batches = &activities.Batches{Activities: deps.Activities, Events: events}
	return deps, nil
}

// Identity is this worker's name in Temporal and in task results.
func Identity(cfg config.Config) string {
	if cfg.WorkerID != "" {
		return cfg.WorkerID
	}
	host, err := os.Hostname()
	if err != nil {
		host = "worker"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// ActivitySlots is how many activities one worker runs at once.
const ActivitySlots = 1000

// New returns a worker on the configured task queue with the Program workflow and all activities
// registered, and the given interceptors. The caller runs it (Run or Start) and stops it.
func New(c client.Client, cfg config.Config, deps Dependencies, interceptors ...interceptor.WorkerInterceptor) sdkworker.Worker {
	w := sdkworker.New(c, cfg.TaskQueue, sdkworker.Options{
		Identity:                           Identity(cfg),
		MaxConcurrentActivityExecutionSize: ActivitySlots,
		Interceptors:                       interceptors,
	})
	Register(w, deps)
	return w
}

// Register registers the workflow and activities on any registry: a worker, a replayer or a test
// environment.
func Register(r interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivity(a any)
}, deps Dependencies) {
	r.RegisterWorkflowWithOptions(workflows.Program, workflow.RegisterOptions{Name: workflows.WorkflowType})
	r.RegisterWorkflowWithOptions(workflows.PublishEventBacklog, workflow.RegisterOptions{Name: workflows.BacklogWorkflowType})
	r.RegisterActivity(deps.Activities)
	r.RegisterActivity(deps.Planning)
	r.RegisterActivity(deps.Mirror)
	r.RegisterActivity(deps.Batches)
}
