package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/identity"
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

// versionLocalPlanning marks histories whose PlanProgram runs as a local activity, in the worker running
// the workflow task: no task queue round trip and one workflow task fewer (about 100-150 ms of a
// one-email program). A model's planning may take a minute; the SDK keeps the workflow task alive.
const versionLocalPlanning = "local-planning"

// localPlanningOptions are planningOptions for the local activity.
var localPlanningOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: planningOptions.StartToCloseTimeout,
	RetryPolicy:         planningOptions.RetryPolicy,
	Summary:             planningOptions.Summary,
}

// versionRecordedCatalog marks histories whose plan is compiled against the catalog entries recorded
// with it (PlanResult.Catalog); older ones compile against the worker's catalog, as they did.
const versionRecordedCatalog = "recorded-catalog"

// versionIdentities marks histories recorded after identities: the program's owner is the identity
// that started it, only the owner and the worker's approvers may answer, and the approval threshold is
// the worker's (api.Policy), not the input's. Older histories replay as they ran: anyone could answer.
const versionIdentities = "identities"

// versionOrderOnly marks histories whose plan's after (order-only dependencies) lets a step run after a
// step a condition skipped. It is asked only of a plan with an after, so histories of plans without one
// (all those recorded before) have no marker and run as they ran; without it, after is waited for as
// depends_on is.
const versionOrderOnly = "order-only-after"

// hasOrderOnly reports whether a plan has a step with an after.
func hasOrderOnly(c *plan.Compiled) bool {
	return slices.ContainsFunc(c.Order, func(id string) bool { return len(c.OrderOnly(id)) > 0 })
}

// defaultApprovalThreshold applies when the planning worker sent no policy (a worker before identities).
const defaultApprovalThreshold = 100

// nonRetryable lists the error types no retry can fix.
var nonRetryable = []string{catalog.ErrInvalidArgument, catalog.ErrNotFound, catalog.ErrUnauthorized}

// Program is the workflow that runs an English program: it plans it (the first activity), then runs each
// step as soon as the steps it depends on are done, one task per for_each item with bounded concurrency.
// It returns the Result, or a ProgramFailed error whose details hold the Result.
func Program(ctx workflow.Context, in Input) (Result, error) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	if len(in.Program) > MaxProgramBytes {
		return Result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("program input: the program %s is longer than %d bytes", Excerpt(in.Program), MaxProgramBytes), catalog.ErrInvalidArgument, nil)
	}
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
	if in.ShardSize < 0 {
		return Result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("program input: shard_size %d must be 0 (the default, %d) or more", in.ShardSize, DefaultShardSize), catalog.ErrInvalidArgument, nil)
	}
	if err := in.checkQuestionInput(); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("program input: "+err.Error(), catalog.ErrInvalidArgument, nil)
	}
	if workflow.GetVersion(ctx, versionIdentities, workflow.DefaultVersion, 1) >= 1 {
		// The owner is who started the program, as its start's header says; not the input's user_id,
		// which any client may write.
		owner := identity.OfWorkflow(ctx)
		p.asker.authorize, p.asker.owner = true, owner
		p.asker.inAdvance = in.Approved && owner != ""
		p.threshold, events.audit = defaultApprovalThreshold, true
		if owner != "" {
			events.userID = owner
		}
	}
	if err := p.setup(ctx); err != nil {
		return Result{}, err
	}
	return p.run(ctx)
}

// program is one run of the Program workflow. It schedules the plan's steps (this file; task.go runs one
// task, batch.go a for_each step's items in batches; results.go keeps what they did), and leaves asking
// the user to its asker (questions.go, decisions.go) and saying what happened to its event sink
// (events.go, mirror.go).
type program struct {
	in         Input
	workflowID string
	start      time.Time
	state      string
	plan       *plan.Compiled
	steps      map[string]*stepRun
	outputs    map[string]any     // step id -> output, as expressions see it
	sem        workflow.Semaphore // bounds the tasks running at once

	asker     *asker
	events    *eventSink
	threshold int // the approval threshold it obeys: the worker's (versionIdentities), else the input's
	planSHA   string
	answered  *ProgramAnswer // the answer step's, for the result (constructs.go)
	// afterIsOrderOnly: a step in a step's after that a condition skipped does not skip it (versionOrderOnly).
	afterIsOrderOnly bool

	recorded     catalog.Entries  // the catalog entries the plan was compiled against, for the shards
	shardSignals bool             // the shards' progress signal is received (shard.go)
	handBack     *[]unsettledItem // in a shard: the items its batches could not finish, for the program
	lists        map[string][]any // stored lists read whole, by "step.field" (storeditems.go)
	tuning       *api.Tuning      // nil: for_each batches have the fixed sizes (tuning.go)
	// programRepeats: in a shard, its program's run may repeat an earlier run (ShardInput.Repeat).
	programRepeats bool
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
	if err := workflow.SetQueryHandler(ctx, QueryAudit, func() (Audit, error) { return p.audit(), nil }); err != nil {
		return fmt.Errorf("register %s query: %w", QueryAudit, err)
	}
	if !p.asker.authorize {
		p.threshold = p.in.ApprovalThreshold
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
	req := api.PlanRequest{Program: p.in.Program, Plan: p.in.Plan, Now: p.start, UserID: p.events.userID, Planner: p.in.Planner, NoCache: p.in.NoCache, TimeZone: p.in.TimeZone}
	var planning workflow.Future
	if workflow.GetVersion(ctx, versionLocalPlanning, workflow.DefaultVersion, 1) >= 1 {
		planning = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localPlanningOptions), api.PlanProgram, req)
	} else {
		planning = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, planningOptions), api.PlanProgram, req)
	}
	if err := planning.Get(ctx, &planned); err != nil {
		if ctx.Err() != nil {
			// Canceled while it was being planned: nothing ran, and the program ends canceled, with its
			// result, as one canceled later does. Before, it failed ("could not be planned: canceled");
			// only the closing command differs, which replay does not compare, so no version.
			p.state = StateCanceled
			workflow.SetCurrentDetails(ctx, p.currentDetails())
			return Result{}, temporal.NewCanceledError(p.result())
		}
		p.state = StateFailed
		_, msg := describeError(err)
		return p.result(), temporal.NewNonRetryableApplicationError("the program could not be planned: "+msg, catalog.ErrInvalidArgument, err)
	}
	// A program runs against the catalog entries its plan was checked against, recorded with the plan,
	// so that a new release's catalog cannot change a running program (histories before them: the
	// worker's catalog).
	cat := plan.Registered
	if workflow.GetVersion(ctx, versionRecordedCatalog, workflow.DefaultVersion, 1) >= 1 && planned.Catalog != nil {
		cat = planned.Catalog
		p.recorded = planned.Catalog
	}
	compiled, err := plan.CompileWith(planned.Plan, cat)
	if err != nil {
		p.state = StateFailed
		return p.result(), temporal.NewNonRetryableApplicationError(err.Error(), catalog.ErrInvalidArgument, err)
	}
	p.plan = compiled
	if p.asker.authorize {
		if pol := planned.Policy; pol != nil {
			p.threshold, p.asker.approvers, p.asker.anonymous = pol.ApprovalThreshold, pol.Approvers, pol.AnswersWithoutIdentity
		}
		p.planSHA = planHash(planned.Plan)
	}
	if hasOrderOnly(compiled) {
		p.afterIsOrderOnly = workflow.GetVersion(ctx, versionOrderOnly, workflow.DefaultVersion, 1) >= 1
	}
	p.steps = make(map[string]*stepRun, len(compiled.Order))
	for _, s := range compiled.Plan.Steps {
		p.steps[s.ID] = &stepRun{status: StepStatus{ID: s.ID, Command: s.CommandName(), Description: s.Description, State: StatePending}}
	}
	p.state = StateRunning
	logger.Info("Program planned", "steps", len(compiled.Order))
	workflow.Go(ctx, p.keepCurrentDetails)
	if workflow.GetVersion(ctx, versionKafkaBridge, workflow.DefaultVersion, 1) >= 1 && planned.MirrorEvents {
		p.events.start(ctx)
	}
	p.asker.on = workflow.GetVersion(ctx, versionQuestions, workflow.DefaultVersion, 1) >= 1
	if p.asker.authorize {
		p.events.started(ctx, p.asker.owner, programHash(p.in.Program), p.planSHA)
	}
	p.tuning = adaptive(ctx, planned.Tuning)
	for _, id := range compiled.Order {
		p.events.dependency(ctx, id, "pending", p.plan.Deps(id), p.plan.Dependents(id))
	}

	for _, id := range compiled.Order {
		workflow.Go(ctx, func(ctx workflow.Context) { p.runStep(ctx, id) })
	}
	if err := workflow.Await(ctx, p.allFinished); err != nil {
		// Canceled (eaapl cancel, the Web UI's Cancel): what was done stays done, the step that ran or
		// waited is canceled and the steps after it are not run; the result goes with the cancellation,
		// so that `eaapl run` and `eaapl status` show it.
		p.state = StateCanceled
		p.markCanceled()
		workflow.SetCurrentDetails(ctx, p.currentDetails())
		return Result{}, temporal.NewCanceledError(p.result())
	}

	p.state = StateCompleted
	for _, id := range compiled.Order {
		if p.steps[id].status.State == StateFailed || p.asker.aborted != "" {
			p.state = StateFailed
		}
	}
	workflow.SetCurrentDetails(ctx, p.currentDetails()) // its final state, before the details' loop sees it
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

// audit is the audit query's answer.
func (p *program) audit() Audit {
	a := Audit{
		WorkflowID: p.workflowID, Owner: p.asker.owner, Started: p.start, ProgramSHA: programHash(p.in.Program),
		PlanSHA: p.planSHA, Approvers: p.asker.approvers, ApprovalThreshold: p.threshold, State: p.state, Refused: p.asker.refused,
	}
	for _, q := range p.asker.questions {
		a.Questions = append(a.Questions, *q)
	}
	return a
}

// programHash is the SHA-256 of a program's text, hex; "" for a hand-written plan.
func programHash(text string) string {
	if text == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// planHash is the SHA-256 of a plan's JSON (encoding/json writes maps in key order, so it is stable;
// workflowcheck sees its encoder cache, which changes no output).
//
//workflowcheck:ignore
func planHash(pl *plan.Plan) string {
	b, err := json.Marshal(pl)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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

// dependencyReason says why a step did not run: a step it depends on (or only comes after) failed or was
// skipped.
func dependencyReason(dep, state string, after bool) string {
	how := "depends on"
	if after {
		how = "comes after"
	}
	if state == StateFailed {
		return fmt.Sprintf("it %s step %q, which failed", how, dep)
	}
	return fmt.Sprintf("it %s step %q, which was %s", how, dep, state)
}

// runStep waits for the step's dependencies, then runs its task, or one task per for_each item.
func (p *program) runStep(ctx workflow.Context, id string) {
	s := p.steps[id]
	defer func() { s.finished = true }()
	if err := workflow.Await(ctx, func() bool { return p.depsFinished(id) }); err != nil {
		s.cancel("") // canceled before it began: not run
		return
	}
	defer func() { p.events.dependency(ctx, id, s.status.State, p.plan.Deps(id), p.plan.Dependents(id)) }()
	skippedBy, byCondition := "", true // the first step that skips this one; whether all that do were skipped by conditions
	for _, dep := range p.plan.Deps(id) {
		d := p.steps[dep]
		switch st := d.status.State; {
		case st == StateDone:
			continue
		case (st == StateCanceled || st == StateNotRun) && skippedBy == "": // the program was canceled
			s.status.State, s.status.Reason = StateNotRun, notRunReason
			return
		case st == StateSkipped && d.byCondition && p.orderOnly(id, dep):
			continue // a step it only comes after, which a condition skipped: it ended, for order
		}
		if skippedBy == "" {
			skippedBy = dep
		}
		byCondition = byCondition && d.status.State == StateSkipped && d.byCondition
	}
	if skippedBy != "" {
		s.status.State, s.status.Reason = StateSkipped, dependencyReason(skippedBy, p.steps[skippedBy].status.State, p.orderOnly(id, skippedBy))
		s.byCondition = byCondition
		return
	}
	p.events.dependency(ctx, id, "in_progress", p.plan.Deps(id), p.plan.Dependents(id))
	scope := plan.Scope{Steps: p.outputs, Now: p.start}
	step := p.plan.Step(id)
	if p.runsStoredShards(ctx, id, scope) { // over a stored list, in shards that read it (storeditems.go)
		return
	}
	steps, err := p.withStoredLists(ctx, id)
	if err != nil {
		s.fail(err.Error())
		return
	}
	scope.Steps = steps
	if p.runsConstruct(ctx, id) {
		p.runConstruct(ctx, id, scope)
		return
	}
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
		s.status.Skipped, s.byCondition = 1, true
		return
	}
	args, err := p.plan.Args(id, scope)
	if err != nil {
		s.fail(err.Error())
		return
	}
	if err := p.sem.Acquire(ctx, 1); err != nil {
		s.cancel("") // canceled before its task began: not run
		return
	}
	s.status.State, s.status.Running = StateRunning, 1
	item := p.runTaskAsking(ctx, id, 0, p.plan.Command(id).TaskLabel(args), args)
	p.sem.Release(1)
	s.record(item)
	switch {
	case item.State == StateDone:
		p.outputs[id] = item.Task.Output
		s.status.State = StateDone
	case item.State == StateSkipped:
		s.status.State, s.status.Reason = StateSkipped, item.Reason
	case ctx.Err() != nil: // the program was canceled while the task ran
		s.cancel("it ran")
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
		n, label := i+1, p.itemLabel(id, item, nil)
		run, err := p.plan.Condition(id, scope)
		if err == nil && !run {
			label = p.skippedLabel(id, item, scope, label)
			s.record(ItemResult{Item: n, Label: label, State: StateSkipped, Reason: skipReason(p.plan.Step(id))})
			continue
		}
		var args map[string]any
		if err == nil {
			args, err = p.plan.Args(id, scope)
			label = p.itemLabel(id, item, args)
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
	switch {
	case batched && p.sharding(ctx, id, len(queued)):
		p.runQueuedShards(ctx, id, queued, len(items)) // no step reads its outputs (shard.go)
	case batched:
		p.runBatches(ctx, id, queued, len(items), outputs)
	}
	wg.Wait(ctx)
	p.outputs[id] = outputs
	s.status.State = StateDone
	switch {
	case ctx.Err() != nil && s.status.Done+s.status.Skipped < s.status.Total: // the program was canceled while its tasks ran
		s.cancel(fmt.Sprintf("it ran: %d of %d tasks done", s.status.Done, s.status.Total))
	case s.status.Failed > 0:
		s.status.State, s.status.Reason = StateFailed, fmt.Sprintf("%d of %d tasks failed", s.status.Failed, s.status.Total)
	}
}

// skipReason says why a step or item did not run: the plan's words, or its condition.
func skipReason(s *plan.Step) string {
	if s.SkipReason != "" {
		return s.SkipReason
	}
	return fmt.Sprintf("its condition %q is false", s.If)
}

// itemLabel names a for_each item in results: by its command's label argument ("alice@example.com"),
// else as the item's type names it (a contact by its address).
func (p *program) itemLabel(id string, item any, args map[string]any) string {
	if label := p.plan.Command(id).ItemLabel(args); label != "" {
		return label
	}
	return catalog.LabelOf(p.plan.ItemType(id), item)
}

// skippedLabel names an item its condition skips as a run item would be named: by its label argument
// ("alice@example.com" for a table's row), when its arguments can be evaluated; else as before.
func (p *program) skippedLabel(id string, item any, scope plan.Scope, label string) string {
	if args, err := p.plan.Args(id, scope); err == nil {
		return p.itemLabel(id, item, args)
	}
	return label
}

// orderOnly reports whether step id waits for dep only for order (its after), in a history that records
// order-only dependencies (versionOrderOnly).
func (p *program) orderOnly(id, dep string) bool {
	return p.afterIsOrderOnly && slices.Contains(p.plan.OrderOnly(id), dep)
}

func (p *program) depsFinished(id string) bool {
	for _, d := range p.plan.Deps(id) {
		if !p.steps[d].finished {
			return false
		}
	}
	return true
}
