// Package api is what the Program workflow exchanges with the activities it calls besides the commands
// themselves: their registered names and the types of their input and output. It imports no adapter
// (no SMTP, Kafka or model client), so the workflows package calls the activities through it by name and
// links none of their dependencies.
package api

import (
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The activity types, as the worker registers them (the methods' names).
const (
	PlanProgram   = "PlanProgram"   // activities.Planning.PlanProgram: PlanRequest -> PlanResult
	RunBatch      = "RunBatch"      // activities.Batches.RunBatch: BatchInput -> BatchResult
	PublishEvents = "PublishEvents" // activities.Mirror.PublishEvents: []bridge.Event -> nothing
)

// LatePublishID starts the activity ID of a PublishEvents that follows a failed first attempt (run as
// a local activity): its events are late from its first attempt on.
const LatePublishID = "publish-late-"

// PlanRequest asks for a program's plan: from its English text, or a hand-written plan to check.
type PlanRequest struct {
	Program string     `json:"program,omitempty"`
	Plan    *plan.Plan `json:"plan,omitempty"`
	Now     time.Time  `json:"now"`
	UserID  string     `json:"user_id,omitempty"`
	// Planner asks for a planner ("rules" or "llm"); the worker's default when empty.
	Planner string `json:"planner,omitempty"`
	// NoCache asks the model even when the plan cache has this program's plan.
	NoCache bool `json:"no_cache,omitempty"`
	// TimeZone is the zone time phrases are planned in; the worker's when empty.
	TimeZone string `json:"time_zone,omitempty"`
}

// PlanResult is the part of the planning activity's result that the workflow reads: the validated plan,
// and whether to mirror it. The activity's result also says how the program was planned (by which
// planner, the tokens a model used), which the workflow leaves to the history.
type PlanResult struct {
	Plan *plan.Plan `json:"plan"`
	// MirrorEvents says the workers have a Kafka bridge, so the workflow publishes its events.
	MirrorEvents bool `json:"mirror_events,omitempty"`
	// Catalog holds the catalog entries of the plan's commands as it was checked against them: the
	// workflow runs the plan against these, so a new release's catalog cannot change a running program.
	Catalog catalog.Entries `json:"catalog,omitempty"`
	// Policy is the workers' own rules for who may answer and when a step needs approval: the program's
	// input cannot change them. Nil from a worker before identities.
	Policy *Policy `json:"policy,omitempty"`
	// Tuning says how the workflow sizes its for_each steps' batches: nil or not Adaptive is the fixed
	// sizing (histories before it have none).
	Tuning *Tuning `json:"tuning,omitempty"`
}

// Policy is a worker's configuration that a program obeys: recorded in its history with the plan, so a
// replay on a worker configured otherwise decides as the original run did.
type Policy struct {
	// ApprovalThreshold is the most tasks a step with side effects runs without approval (EAAPL_APPROVAL_THRESHOLD); 0 never asks.
	ApprovalThreshold int `json:"approval_threshold"`
	// Approvers may answer any program's questions and approvals, besides its owner (EAAPL_APPROVERS).
	Approvers []string `json:"approvers,omitempty"`
	// AnswersWithoutIdentity takes answers that say no identity (the Web UI's) from anyone (EAAPL_ANSWERS_WITHOUT_IDENTITY).
	AnswersWithoutIdentity bool `json:"answers_without_identity,omitempty"`
}

// Tuning is the worker's adaptive tuning setting (EAAPL_ADAPTIVE, EAAPL_BATCH_SECONDS), recorded with the
// plan so that the workflow decides from the history, and a replay decides the same.
type Tuning struct {
	// Adaptive sizes batches, their concurrency and their timeouts from the step's finished batches.
	Adaptive bool `json:"adaptive,omitempty"`
	// BatchSeconds is how long a batch should take; the workflow's default when 0.
	BatchSeconds int `json:"batch_seconds,omitempty"`
}

// BatchInput is a batch: tasks of one command, run one after another.
type BatchInput struct {
	Items []BatchItem `json:"items"`
	// Mirror asks for each item's events (task.dispatch, task.priority, task.chain, task.result,
	// analytics.data) to go to Kafka from the worker, with the ids the workflow would give them.
	Mirror bool     `json:"mirror,omitempty"`
	Deps   []string `json:"deps,omitempty"` // the step's dependencies, for task.chain
}

// BatchItem is one task of a batch.
type BatchItem struct {
	Task    catalog.Task `json:"task"`
	Attempt int32        `json:"attempt"` // the item's attempt: 1, then one more each time the workflow retries it
	// Check says that an earlier attempt may have done the item's side effect (it is a retry, or the
	// program's run may repeat an earlier run), so SendEmail must look for the email in the mailbox first.
	Check     bool   `json:"check,omitempty"`
	LastError string `json:"last_error,omitempty"` // why its previous attempt failed
}

// BatchResult is a batch's outcome: one result per item, in order.
type BatchResult struct {
	Items []BatchItemResult `json:"items"`
	// Published says that the worker sent the items' events to Kafka; when false (the worker has no
	// Kafka), the workflow mirrors them itself. Events are those the broker had not taken when the batch
	// ended (usually none): the workflow's publisher sends them on.
	Published bool           `json:"published,omitempty"`
	Events    []bridge.Event `json:"events,omitempty"`
}

// BatchItemResult is one item's outcome: a TaskResult with status success or failure, and, for a
// failure, whether trying again may succeed (the workflow then retries the item in a later batch).
type BatchItemResult struct {
	Result    catalog.TaskResult `json:"result"`
	Retryable bool               `json:"retryable,omitempty"`
}
