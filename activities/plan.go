package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
)

// Planner turns English into a plan, and says how it did (which planner, the tokens a model used). now is
// the program's start time, from which time phrases resolve. *planner.Agent is the one the workers use.
type Planner interface {
	Plan(ctx context.Context, program string, now time.Time, opts planner.Options) (*plan.Plan, planner.Report, error)
}

// Planning is the Planner Agent as an activity: the first task of every program.
type Planning struct {
	Planner Planner
	// Events, when set, mirrors programs onto the Kafka bridge: a rejected program is reported on
	// security.events from here, and PlanResult tells the workflow to mirror its steps.
	Events   Publisher
	WorkerID string
	// Policy is the worker's approval threshold and approvers, which the workflow obeys (api.Policy).
	Policy api.Policy
	// Tuning is recorded with every plan: how the workflow sizes its batches (api.Tuning).
	Tuning *api.Tuning
}

// PlanRequest asks for a program's plan (activities/api, shared with the workflow).
type PlanRequest = api.PlanRequest

// PlanResult is a validated plan. The workflow reads it as an api.PlanResult: the fields they share must
// keep their JSON names.
type PlanResult struct {
	Plan *plan.Plan `json:"plan"`
	// MirrorEvents says the workers have a Kafka bridge, so the workflow publishes its events.
	MirrorEvents bool `json:"mirror_events,omitempty"`
	// Catalog holds the catalog entries of the plan's commands as it was checked against them: the
	// workflow runs the plan against these, so a new release's catalog cannot change a running program.
	Catalog catalog.Entries `json:"catalog,omitempty"`
	// Policy is the worker's approval threshold and approvers (api.Policy).
	Policy *api.Policy `json:"policy,omitempty"`
	// Planning says how an English program was planned: by which planner and model, from the cache or
	// not, and the tokens it cost. Nil for a hand-written plan.
	Planning *planner.Report `json:"planning,omitempty"`
	Tuning   *api.Tuning     `json:"tuning,omitempty"`
}

// PlanProgram plans a program, or checks a given plan, and validates the result against the catalog. A
// program the planner cannot understand and a plan that does not validate are non-retryable errors of
// type InvalidArgument: no retry can fix them.
func (p *Planning) PlanProgram(ctx context.Context, req PlanRequest) (PlanResult, error) {
	start := time.Now()
	res, err := p.plan(ctx, req)
	if err != nil {
		p.reportRejection(ctx, req, err)
		if appErr := (*temporal.ApplicationError)(nil); errors.As(err, &appErr) && appErr.NonRetryable() {
			// A model that failed for good has still cost tokens. Failures a retry may fix (rate
			// limits, server errors) cost none and are not reported.
			p.reportPlanning(ctx, res.Planning, start, "failed")
		}
		return PlanResult{}, err
	}
	res.MirrorEvents = p.Events != nil
	policy := p.Policy
	res.Policy = &policy
	res.Tuning = p.Tuning
	p.reportPlanning(ctx, res.Planning, start, "success")
	return res, nil
}

// plan returns the plan; on failure, the result still holds the planner's report (the tokens spent).
func (p *Planning) plan(ctx context.Context, req PlanRequest) (PlanResult, error) {
	var res PlanResult
	pl := req.Plan
	if pl == nil {
		if strings.TrimSpace(req.Program) == "" {
			return PlanResult{}, temporal.NewNonRetryableApplicationError(
				"the program is empty: write what to do, e.g. \"Send 'Hello World!' to each of my contacts\"",
				catalog.ErrInvalidArgument, nil)
		}
		if p.Planner == nil {
			return PlanResult{}, temporal.NewNonRetryableApplicationError("this worker has no planner configured", catalog.ErrInvalidArgument, nil)
		}
		opts := planner.Options{Planner: req.Planner, NoCache: req.NoCache}
		if req.TimeZone != "" {
			loc, err := time.LoadLocation(req.TimeZone)
			if err != nil {
				return PlanResult{}, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("the program's time zone %q is not an IANA zone such as Europe/Berlin: %v", req.TimeZone, err), catalog.ErrInvalidArgument, nil)
			}
			opts.Location = loc
		}
		var err error
		var rep planner.Report
		pl, rep, err = p.Planner.Plan(ctx, req.Program, req.Now, opts)
		if activity.IsActivity(ctx) && rep.Planner != "" {
			activity.GetLogger(ctx).Info("Planning finished", "planner", rep.Planner, "model", rep.Model, "cached", rep.Cached,
				"rounds", rep.Rounds, "total_tokens", rep.Usage.TotalTokens, "cache_error", rep.CacheError, "error", err)
		}
		res.Planning = &rep
		if err != nil {
			return res, planError(err)
		}
	}
	if err := plan.Validate(pl); err != nil {
		return res, planError(err)
	}
	res.Plan = pl
	res.Catalog = catalog.EntriesFor(pl.Commands()...)
	return res, nil
}

// planError keeps a planner's transient failures (a model that is down) retryable and makes the rest final.
func planError(err error) error {
	var retryable interface{ Temporary() bool }
	if errors.As(err, &retryable) && retryable.Temporary() {
		return fmt.Errorf("plan: %w", err)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), catalog.ErrInvalidArgument, err)
}

// reportRejection publishes a rejected program on security.events. Best effort: a broker that is down
// must not turn a clear planning error into a retried one.
func (p *Planning) reportRejection(ctx context.Context, req PlanRequest, err error) {
	var appErr *temporal.ApplicationError
	if p.Events == nil || !errors.As(err, &appErr) || !appErr.NonRetryable() {
		return
	}
	id := req.Program
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		id = info.WorkflowExecution.ID + "/" + info.ActivityID
	}
	ev, encErr := bridge.NewEvent(id+"/rejected", bridge.SecurityEvent{
		EventID:     id + "/rejected",
		Timestamp:   time.Now().UTC().Format(time.RFC3339Nano),
		EventType:   "program_rejected",
		UserID:      req.UserID,
		WorkerID:    p.WorkerID,
		Description: appErr.Message(),
		Severity:    "LOW",
	})
	if encErr != nil {
		return
	}
	pubCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if pubErr := p.Events.Publish(pubCtx, ev); pubErr != nil && activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Warn("could not report a rejected program on security.events", "error", pubErr)
	}
}

// PlanningTaskID is the task id of the planning activity on the Kafka topics; the hyphen keeps it apart
// from every step id.
const PlanningTaskID = "program-plan"

// reportPlanning publishes the metrics of a planning task the LLM planner did on analytics.data: the
// model, whether the cache answered, and the tokens it used (the rule-based planner uses none, and its
// plans are not reported). The workflow mirrors the other tasks; this one is sent from
// here because the workflow learns whether there is a bridge only from this activity's result. Best
// effort, like reportRejection: a broker that is down must not fail a plan.
func (p *Planning) reportPlanning(ctx context.Context, rep *planner.Report, start time.Time, status string) {
	if p.Events == nil || rep == nil || rep.Planner != planner.KindLLM || !activity.IsActivity(ctx) {
		return
	}
	info := activity.GetInfo(ctx)
	id := info.WorkflowExecution.ID + "/" + bridge.TopicAnalyticsData + "/" + PlanningTaskID
	ev, err := bridge.NewEvent(id, bridge.AnalyticsData{
		DataPointID: id,
		Timestamp:   time.Now().UTC().Format(time.RFC3339Nano),
		WorkerID:    p.WorkerID,
		TaskID:      PlanningTaskID,
		Metrics: map[string]any{
			"status":            status,
			"execution_time_ms": time.Since(start).Milliseconds(),
			"attempts":          info.Attempt,
			"workflow_id":       info.WorkflowExecution.ID,
			"planner":           rep.Planner,
			"model":             rep.Model,
			"cached":            rep.Cached,
			"rounds":            rep.Rounds,
			"prompt_tokens":     rep.Usage.PromptTokens,
			"completion_tokens": rep.Usage.CompletionTokens,
			"total_tokens":      rep.Usage.TotalTokens,
		},
		ResourceUsage: map[string]any{"tokens": rep.Usage.TotalTokens},
	})
	if err != nil {
		return
	}
	pubCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.Events.Publish(pubCtx, ev); err != nil {
		activity.GetLogger(ctx).Warn("could not report the planning task on analytics.data", "error", err)
	}
}
