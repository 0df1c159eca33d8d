package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// planningOptions bound the planning activity: the rule-based planner answers at once; a model may not.
var planningOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		MaximumAttempts:        5,
		NonRetryableErrorTypes: nonRetryable,
	},
	Summary: "Plan the program",
}

// nonRetryable lists the error types no retry can fix.
var nonRetryable = []string{catalog.ErrInvalidArgument, catalog.ErrNotFound, catalog.ErrUnauthorized}

// Program is the workflow that runs an English program: it plans it (the first activity), then runs each
// step as soon as the steps it depends on are done, one task per for_each item with bounded concurrency.
// It returns the Result, or a ProgramFailed error whose details hold the Result.
func Program(ctx workflow.Context, in Input) (Result, error) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	events := &eventSink{workflowID: id, userID: in.UserID}
	p := &program{
		in:         in,
		workflowID: id,
		start:      workflow.Now(ctx),
		state:      StatePlanning,
		outputs:    map[string]any{},
		events:     events,
		asker:      newAsker(in, events),
	}
	if err := in.checkQuestionInput(); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("program input: "+err.Error(), catalog.ErrInvalidArgument, nil)
	}
	if err := p.setup(ctx); err != nil {
		return Result{}, err
	}
	return p.run(ctx)
}

// program is one run of the Program workflow: it schedules the plan's steps (this file, and batch.go for
// for_each items), and leaves asking the user to its asker (questions.go, decisions.go) and saying what
// happened to its event sink (events.go, mirror.go).
type program struct {
	in         Input
	workflowID string
	start      time.Time
	state      string
	plan       *plan.Compiled
	steps      map[string]*stepRun
	outputs    map[string]any     // step id -> output, as expressions see it
	sem        workflow.Semaphore // bounds the tasks running at once

	asker  *asker
	events *eventSink
}

// stepRun is the progress of one step.
type stepRun struct {
	status   StepStatus
	items    []ItemResult
	finished bool
}

func (p *program) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) { return p.status(), nil }); err != nil {
		return fmt.Errorf("register %s query: %w", QueryStatus, err)
	}
	if err := workflow.SetQueryHandler(ctx, QueryPlan, func() (*plan.Plan, error) {
		if p.plan == nil {
			return nil, nil
		}
		return p.plan.Plan, nil
	}); err != nil {
		return fmt.Errorf("register %s query: %w", QueryPlan, err)
	}
	if err := p.asker.setup(ctx); err != nil {
		return err
	}
	n := int64(p.in.MaxConcurrency)
	if n <= 0 {
		n = DefaultMaxConcurrency
	}
	p.sem = workflow.NewSemaphore(ctx, min(n, maxConcurrency))
	return nil
}

func (p *program) run(ctx workflow.Context) (Result, error) {
	logger := workflow.GetLogger(ctx)
	var planned api.PlanResult
	req := api.PlanRequest{Program: p.in.Program, Plan: p.in.Plan, Now: p.start, UserID: p.in.UserID, Planner: p.in.Planner, NoCache: p.in.NoCache}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, planningOptions), api.PlanProgram, req).Get(ctx, &planned); err != nil {
		p.state = StateFailed
		_, msg := describeError(err)
		return p.result(), temporal.NewNonRetryableApplicationError("the program could not be planned: "+msg, catalog.ErrInvalidArgument, err)
	}
	compiled, err := plan.Compile(planned.Plan)
	if err != nil {
		p.state = StateFailed
		return p.result(), temporal.NewNonRetryableApplicationError(err.Error(), catalog.ErrInvalidArgument, err)
	}
	p.plan = compiled
	p.steps = make(map[string]*stepRun, len(compiled.Order))
	for _, s := range compiled.Plan.Steps {
		p.steps[s.ID] = &stepRun{status: StepStatus{ID: s.ID, Command: s.Command, Description: s.Description, State: StatePending}}
	}
	p.state = StateRunning
	logger.Info("Program planned", "steps", len(compiled.Order))
	if workflow.GetVersion(ctx, versionKafkaBridge, workflow.DefaultVersion, 1) >= 1 && planned.MirrorEvents {
		p.events.start(ctx)
	}
	p.asker.on = workflow.GetVersion(ctx, versionQuestions, workflow.DefaultVersion, 1) >= 1
	for _, id := range compiled.Order {
		p.events.dependency(ctx, id, "pending", p.plan.Deps(id), p.plan.Dependents(id))
	}

	for _, id := range compiled.Order {
		workflow.Go(ctx, func(ctx workflow.Context) { p.runStep(ctx, id) })
	}
	if err := workflow.Await(ctx, p.allFinished); err != nil {
		p.state = StateFailed
		return p.result(), err
	}

	p.state = StateCompleted
	for _, id := range compiled.Order {
		if p.steps[id].status.State == StateFailed || p.asker.aborted != "" {
			p.state = StateFailed
		}
	}
	res := p.result()
	logger.Info("Program finished", "state", res.State, "summary", res.Summary)
	if p.state == StateFailed {
		p.events.alert(ctx, "failed", "HIGH", "program "+p.workflowID+" failed: "+res.Summary, true)
	}
	p.events.flush(ctx, p.in.eventsTimeout())
	if p.state == StateFailed {
		return Result{}, temporal.NewNonRetryableApplicationError("the program failed: "+res.Summary, ErrProgramFailed, nil, res)
	}
	return res, nil
}

func (p *program) allFinished() bool {
	for _, s := range p.steps {
		if !s.finished {
			return false
		}
	}
	return true
}

// eventsTimeout is how long the program waits at its end for its events to reach Kafka.
func (in Input) eventsTimeout() time.Duration {
	if d, err := time.ParseDuration(in.EventsTimeout); err == nil && d > 0 {
		return d
	}
	return DefaultEventsTimeout
}

// dependencyReason says why a step did not run: a step it depends on failed or was skipped.
func dependencyReason(dep, state string) string {
	if state == StateFailed {
		return fmt.Sprintf("it depends on step %q, which failed", dep)
	}
	return fmt.Sprintf("it depends on step %q, which was %s", dep, state)
}

// runStep waits for the step's dependencies, then runs its task, or one task per for_each item.
func (p *program) runStep(ctx workflow.Context, id string) {
	s := p.steps[id]
	defer func() { s.finished = true }()
	if err := workflow.Await(ctx, func() bool { return p.depsFinished(id) }); err != nil {
		s.fail(fmt.Sprintf("canceled: %v", err))
		return
	}
	defer func() { p.events.dependency(ctx, id, s.status.State, p.plan.Deps(id), p.plan.Dependents(id)) }()
	for _, dep := range p.plan.Deps(id) {
		if st := p.steps[dep].status.State; st != StateDone {
			s.status.State, s.status.Reason = StateSkipped, dependencyReason(dep, st)
			return
		}
	}
	p.events.dependency(ctx, id, "in_progress", p.plan.Deps(id), p.plan.Dependents(id))
	scope := plan.Scope{Steps: p.outputs, Now: p.start}
	step := p.plan.Step(id)
	if step.ForEach == nil {
		p.runSingle(ctx, id, scope)
		return
	}
	p.runForEach(ctx, id, scope, step.ForEach.As)
}

func (p *program) runSingle(ctx workflow.Context, id string, scope plan.Scope) {
	s := p.steps[id]
	s.status.Total = 1
	run, err := p.plan.Condition(id, scope)
	if err != nil {
		s.fail(err.Error())
		return
	}
	if !run {
		s.status.State, s.status.Reason = StateSkipped, skipReason(p.plan.Step(id))
		s.status.Skipped = 1
		return
	}
	args, err := p.plan.Args(id, scope)
	if err != nil {
		s.fail(err.Error())
		return
	}
	if err := p.sem.Acquire(ctx, 1); err != nil {
		s.fail(fmt.Sprintf("canceled: %v", err))
		return
	}
	s.status.State, s.status.Running = StateRunning, 1
	item := p.runTaskAsking(ctx, id, 0, p.plan.Command(id).Summary(args), args)
	p.sem.Release(1)
	s.record(item)
	switch item.State {
	case StateDone:
		p.outputs[id] = item.Task.Output
		s.status.State = StateDone
	case StateSkipped:
		s.status.State, s.status.Reason = StateSkipped, item.Reason
	default:
		s.status.State, s.status.Reason = StateFailed, item.Reason
	}
}

func (p *program) runForEach(ctx workflow.Context, id string, scope plan.Scope, as string) {
	s := p.steps[id]
	items, err := p.plan.Items(id, scope)
	if err != nil {
		s.fail(err.Error())
		return
	}
	s.status.State, s.status.Total = StateRunning, len(items)
	if reason := p.approve(ctx, id, scope, items); reason != "" {
		s.status.State, s.status.Reason, s.status.Skipped = StateSkipped, reason, len(items)
		return
	}
	s.items = make([]ItemResult, 0, len(items))
	outputs := make([]any, len(items))
	wg := workflow.NewWaitGroup(ctx)
	scope.ItemName = as
	// Batching (batch.go): the items are queued here and run in batches after the loop.
	batched := batching(ctx)
	var queued []queuedItem
	for i, item := range items {
		scope.Item = item
		n, label := i+1, labelOf(item)
		run, err := p.plan.Condition(id, scope)
		if err == nil && !run {
			s.record(ItemResult{Item: n, Label: label, State: StateSkipped, Reason: skipReason(p.plan.Step(id))})
			continue
		}
		var args map[string]any
		if err == nil {
			args, err = p.plan.Args(id, scope)
		}
		if err != nil {
			s.record(ItemResult{Item: n, Label: label, State: StateFailed, Reason: err.Error()})
			continue
		}
		if batched {
			queued = append(queued, queuedItem{n: n, label: label, args: args})
			continue
		}
		// Acquire before scheduling, so that no more than the bound are ever pending.
		if err := p.sem.Acquire(ctx, 1); err != nil {
			s.record(ItemResult{Item: n, Label: label, State: StateFailed, Reason: fmt.Sprintf("canceled: %v", err)})
			continue
		}
		s.status.Running++
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			res := p.runTaskAsking(ctx, id, n, label, args)
			p.sem.Release(1)
			s.record(res)
			if res.State == StateDone {
				outputs[n-1] = res.Task.Output
			}
		})
	}
	if batched {
		p.runBatches(ctx, id, queued, len(items), outputs)
	}
	wg.Wait(ctx)
	p.outputs[id] = outputs
	s.status.State = StateDone
	if s.status.Failed > 0 {
		s.status.State, s.status.Reason = StateFailed, fmt.Sprintf("%d of %d tasks failed", s.status.Failed, s.status.Total)
	}
}

// runTask runs one task as an activity and reports how it ended, with the activity's error when it
// failed. run counts the times the task is run (a question's answer runs it again): from the second on
// its id says which run it is, and its idempotency key stays the first's, so an email is still sent once.
func (p *program) runTask(ctx workflow.Context, id string, item int, label string, args map[string]any, run int) (ItemResult, error) {
	cmd := p.plan.Command(id)
	step := p.plan.Step(id)
	task := p.task(id, item, args)
	if run > 1 { // the idempotency key stays the first run's
		task.TaskID = fmt.Sprintf("%s-run%d", task.TaskID, run)
	}
	taskID := task.TaskID
	p.events.dispatch(ctx, task, p.plan.Deps(id))
	retry := p.plan.RetryPolicy(id)
	ctx = workflow.WithActivityOptions(ctx, activityOptions(cmd, step, retry, taskID, cmd.Summary(args)))
	var res catalog.TaskResult
	if err := workflow.ExecuteActivity(ctx, cmd.Name, task).Get(ctx, &res); err != nil {
		typ, msg := describeError(err)
		res = catalog.TaskResult{TaskID: taskID, Status: catalog.StatusFailure, Error: &catalog.TaskError{Type: typ, Message: msg}}
		addFailureFeedback(&res, err)
		if gaveUp(err) && res.Attempt == 0 {
			res.Attempt = retry.MaximumAttempts // the failure does not say; giving up after the last one, it was that
		}
		p.events.result(ctx, res)
		return ItemResult{Item: item, Label: label, State: StateFailed, Reason: msg, Task: &res}, err
	}
	p.events.result(ctx, res)
	return ItemResult{Item: item, Label: label, State: StateDone, Task: &res}, nil
}

// activityOptions are a task's timeouts and retries: the catalog's, with the step's retry overrides.
func activityOptions(cmd catalog.Command, step *plan.Step, retry catalog.RetryPolicy, taskID, summary string) workflow.ActivityOptions {
	o := workflow.ActivityOptions{
		ActivityID:          taskID,
		StartToCloseTimeout: time.Duration(cmd.Timeout),
		HeartbeatTimeout:    time.Duration(cmd.HeartbeatTimeout),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        retry.InitialInterval,
			BackoffCoefficient:     retry.BackoffCoefficient,
			MaximumInterval:        retry.MaximumInterval,
			MaximumAttempts:        retry.MaximumAttempts,
			NonRetryableErrorTypes: nonRetryable,
		},
		Summary: summary,
	}
	if step.Priority == plan.PriorityHigh {
		o.Priority = temporal.Priority{PriorityKey: 1}
	}
	return o
}

// describeError turns an activity's failure into its type and one sentence for people.
func describeError(err error) (typ, msg string) {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	var actErr *temporal.ActivityError
	var canceledErr *temporal.CanceledError
	switch {
	case errors.As(err, &appErr):
		typ, msg = appErr.Type(), appErr.Message()
	case errors.As(err, &timeoutErr):
		typ, msg = "Timeout", fmt.Sprintf("timed out (%s)", strings.ToLower(strings.TrimPrefix(timeoutErr.TimeoutType().String(), "TimeoutType")))
	case errors.As(err, &canceledErr):
		typ, msg = "Canceled", "canceled"
	default:
		typ, msg = "Error", err.Error()
	}
	if errors.As(err, &actErr) && actErr.RetryState() == enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED {
		msg += " (gave up after the last retry)"
	}
	return typ, msg
}

// skipReason says why a step or item did not run: the plan's words, or its condition.
func skipReason(s *plan.Step) string {
	if s.SkipReason != "" {
		return s.SkipReason
	}
	return fmt.Sprintf("its condition %q is false", s.If)
}

// labelOf names a for_each item in results: a contact by its address.
func labelOf(item any) string {
	if m, ok := item.(map[string]any); ok {
		if email, ok := m["email"].(string); ok {
			return email
		}
	}
	return fmt.Sprint(item)
}

func (s *stepRun) fail(reason string) {
	s.status.State, s.status.Reason = StateFailed, reason
}

// record adds a finished item to the step's results and counts.
func (s *stepRun) record(item ItemResult) {
	if item.Task != nil {
		s.status.Running--
		s.status.Attempts = max(s.status.Attempts, item.Task.Attempt)
	}
	switch item.State {
	case StateDone:
		s.status.Done++
	case StateSkipped:
		s.status.Skipped++
	case StateFailed:
		s.status.Failed++
	}
	s.items = append(s.items, item)
}

func (p *program) depsFinished(id string) bool {
	for _, d := range p.plan.Deps(id) {
		if !p.steps[d].finished {
			return false
		}
	}
	return true
}

func (p *program) status() Status {
	st := Status{WorkflowID: p.workflowID, Program: p.in.Program, State: p.state}
	if p.plan == nil {
		return st
	}
	if st.Program == "" {
		st.Program = p.plan.Plan.Program
	}
	for _, s := range p.plan.Plan.Steps {
		st.Steps = append(st.Steps, p.steps[s.ID].status)
	}
	st.Questions = p.asker.openQuestions()
	return st
}

func (p *program) result() Result {
	st := p.status()
	res := Result{WorkflowID: st.WorkflowID, Program: st.Program, State: st.State}
	var summary []string
	for _, s := range st.Steps {
		run := p.steps[s.ID]
		items, notListed := listed(sortedItems(run.items))
		res.Steps = append(res.Steps, StepResult{ID: s.ID, Command: s.Command, Description: s.Description, State: s.State, Reason: s.Reason, Items: items, NotListed: notListed})
		switch {
		case p.plan.Step(s.ID).ForEach != nil && s.State != StateSkipped:
			summary = append(summary, fmt.Sprintf("%s: %d done, %d skipped, %d failed", s.ID, s.Done, s.Skipped, s.Failed))
		case (s.State == StateFailed || s.State == StateSkipped) && p.asker.aborted != "" && s.Reason == p.asker.aborted:
			summary = append(summary, s.ID+" "+s.State) // the abort leads the summary; once is enough
		case s.State == StateFailed || s.State == StateSkipped:
			summary = append(summary, fmt.Sprintf("%s %s: %s", s.ID, s.State, s.Reason))
		}
	}
	if p.asker.aborted != "" {
		summary = append([]string{p.asker.aborted}, summary...)
	}
	res.Summary = strings.Join(summary, "; ")
	if res.Summary == "" {
		res.Summary = fmt.Sprintf("%d steps done", len(st.Steps))
		if len(st.Steps) == 1 {
			res.Summary = "1 step done"
		}
	}
	return res
}

// listedItems is the most items a step lists in the program's result. A done item without its task's
// details (detailedItems) is about 80 bytes, so up to listedItems of them keep the result well under
// Temporal's 2 MB payload limit. Above it a step lists the items that were not done first (their reasons
// are what a user reads), up to listedItems in all, and counts the others; every item's result stays in
// the history (the batches' results) and on task.result, and the step's summary counts them all.
const listedItems = 10000

// listed returns the items a step's result lists, in order, and how many it leaves out.
func listed(items []ItemResult) ([]ItemResult, int) {
	if len(items) <= listedItems {
		return items, 0
	}
	out := make([]ItemResult, 0, listedItems)
	for _, done := range []bool{false, true} {
		for _, it := range items {
			if (it.State == StateDone) == done && len(out) < listedItems {
				out = append(out, it)
			}
		}
	}
	return sortedItems(out), len(items) - len(out)
}

// sortedItems orders a step's items by position: tasks finish in any order.
func sortedItems(items []ItemResult) []ItemResult {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b ItemResult) int { return a.Item - b.Item })
	return out
}
