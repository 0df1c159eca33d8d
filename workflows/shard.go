package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// A for_each step over more items than one history holds comfortably runs in shards: child workflows
// (ForEachShard) of at most ShardSize items each, which run their items through the same batch path as
// an unsharded step (runBatches), so that no run's history grows with the program's size. This is
// Temporal's child-workflow pattern for large fan-outs (samples-go child-workflow-continue-as-new,
// batch-sliding-window): the parent holds one child per shard and a bounded summary of each.
//
// An item that a shard cannot finish (it gave up after its retries, or it needs input) is handed back to
// the parent in the shard's result, and the parent settles it as it settles an unsharded batch's items
// (settleAlone): it asks, through its own questions query and answer update, and a retry runs the item as
// a single task in the parent. So a question raised by an item of a shard is asked by the program itself,
// with no signal between the two, and an abort stops the shards still running (SignalShardAbort).
//
// While a shard runs, it signals its progress to the parent every shardProgressInterval, so that the
// parent's status query counts the items of every shard.

// versionShards marks histories in which a for_each step over more than the shard size runs in shards.
// It is only asked on that path: a program whose steps all fit keeps the commands it had before.
const versionShards = "for-each-shards"

// versionShardReport marks shard histories that store every item's result (ShardResult.Report).
const versionShardReport = "shard-report"

// ShardWorkflowType is the child workflow type of a shard.
const ShardWorkflowType = "ForEachShard"

// Signals between a program and its shards.
const (
	SignalShardProgress = "shard-progress" // shard -> program: ShardProgress
	SignalShardAbort    = "shard-abort"    // program -> shard: why the user aborted
)

// DefaultShardSize is the most items one shard runs when the input does not say. A batched item writes
// about 1 KB of history (the 10,000-contact program wrote 9.8 MB), and a shard's input carries each
// item's arguments (a few hundred bytes): 2,000 items keep a shard's history near 2-3 MB and its input
// well under Temporal's 2 MB payload limit, far from the 10,240-event and 10 MB warnings.
const DefaultShardSize = 2000

// shardWindow is how many shards of a step run at once: the next starts as soon as one ends (a sliding
// window), and they share the program's max_concurrency.
const shardWindow = 2

// shardProgressInterval is how often a running shard tells the program how far it is.
const shardProgressInterval = 10 * time.Second

// listedShardItems is the most item results (those not done first) a shard hands back to the program.
const listedShardItems = 100

// ShardInput is a shard: some items of one for_each step, with what they need to run as the program
// would run them (the plan, its recorded catalog entries, the program's workflow ID for task ids and
// idempotency keys). The items are either in Items, evaluated by the program, or a range [From, To) of
// a stored list (List), which the shard reads and evaluates itself (storeditems.go).
type ShardInput struct {
	ProgramID      string          `json:"program_id"`
	UserID         string          `json:"user_id,omitempty"`
	Plan           *plan.Plan      `json:"plan"`
	Catalog        catalog.Entries `json:"catalog,omitempty"`
	Step           string          `json:"step"`
	Shard          int             `json:"shard"` // 1-based
	Total          int             `json:"total"` // the step's items, in all shards
	Items          []ShardItem     `json:"items"`
	MaxConcurrency int             `json:"max_concurrency"`
	Mirror         bool            `json:"mirror,omitempty"`
	Asking         bool            `json:"asking,omitempty"`  // the program asks questions (versionQuestions)
	DryRun         bool            `json:"dry_run,omitempty"` // the program is a dry run: writes are previewed
	Tuning         *api.Tuning     `json:"tuning,omitempty"`  // the program's adaptive tuning (tuning.go)
	// Repeat says the program's run may repeat an earlier run of its ID (--allow-reuse, a reset): the
	// shard's own run looks new, so without it the shard would send what the earlier run's shard sent.
	Repeat bool `json:"repeat,omitempty"`

	List     *contentvalue.List `json:"list,omitempty"`      // the step's items, stored: this shard runs [From, To)
	From     int                `json:"from,omitempty"`      // 0-based, inclusive
	To       int                `json:"to,omitempty"`        // 0-based, exclusive
	ItemName string             `json:"item_name,omitempty"` // for_each.as
	Steps    map[string]any     `json:"steps,omitempty"`     // the other steps' values its items' arguments read
	Now      time.Time          `json:"now,omitzero"`        // the program's start, as its expressions see it
}

// first and count are the shard's first item (1-based) and how many it has.
func (in ShardInput) first() int {
	if in.List != nil {
		return in.From + 1
	}
	if len(in.Items) == 0 {
		return 0
	}
	return in.Items[0].N
}

func (in ShardInput) count() int {
	if in.List != nil {
		return in.To - in.From
	}
	return len(in.Items)
}

// last is the shard's last item (1-based).
func (in ShardInput) last() int {
	if in.List != nil {
		return in.To
	}
	if len(in.Items) == 0 {
		return 0
	}
	return in.Items[len(in.Items)-1].N
}

// ShardItem is one item of a shard, with its arguments evaluated by the program.
type ShardItem struct {
	N     int            `json:"n"` // 1-based position in the step's for_each list
	Label string         `json:"label"`
	Args  map[string]any `json:"args"`
}

// ShardProgress is a shard's counts so far.
type ShardProgress struct {
	Step     string `json:"step"`
	Shard    int    `json:"shard"`
	Running  int    `json:"running"`
	Done     int    `json:"done"`
	Failed   int    `json:"failed"`
	Skipped  int    `json:"skipped"`
	Attempts int32  `json:"attempts,omitempty"`
}

// ShardResult is what a shard did: its counts, the first results that were not done, and the items the
// program must settle itself (they gave up, or need input).
type ShardResult struct {
	ShardProgress
	Report    *contentvalue.List `json:"report,omitempty"` // every item's result (ItemResult without its task), stored
	Items     []ItemResult       `json:"items,omitempty"`
	NotListed int                `json:"not_listed,omitempty"`
	Unsettled []UnsettledResult  `json:"unsettled,omitempty"`
}

// UnsettledResult is an item a shard could not finish, handed back to the program to settle.
type UnsettledResult struct {
	Task       catalog.Task       `json:"task"`
	Label      string             `json:"label"`
	Result     catalog.TaskResult `json:"result"`
	NeedsInput bool               `json:"needs_input,omitempty"`
}

// ShardID is the workflow ID of shard k of a program's step.
func ShardID(programID, step string, k int) string {
	return fmt.Sprintf("%s/%s/shard-%d", programID, step, k)
}

// shardSize is the input's shard size, or the default.
func (in Input) shardSize() int {
	if in.ShardSize > 0 {
		return in.ShardSize
	}
	return DefaultShardSize
}

// sharding says whether step id's queued items run in shards: more of them than a shard holds, no step
// reading the step's outputs (a shard hands back counts, not each item's output), and a history that
// records the choice (versionShards, asked only here).
func (p *program) sharding(ctx workflow.Context, id string, queued int) bool {
	if queued <= p.in.shardSize() || len(p.plan.Dependents(id)) > 0 || !itemsAsTasks(ctx) {
		return false
	}
	return workflow.GetVersion(ctx, versionShards, workflow.DefaultVersion, 1) >= 1
}

// runQueuedShards runs a step's queued items in shards of the shard size.
func (p *program) runQueuedShards(ctx workflow.Context, id string, queued []queuedItem, total int) {
	size := p.in.shardSize()
	var parts []shardPart
	for k := 1; (k-1)*size < len(queued); k++ {
		part := queued[(k-1)*size : min(k*size, len(queued))]
		in := p.shardInput(ctx, id, k, total)
		in.Items = make([]ShardItem, len(part))
		for i, q := range part {
			in.Items[i] = ShardItem{N: q.n, Label: q.label, Args: q.args}
		}
		parts = append(parts, shardPart{in: in, queued: part})
	}
	p.runShards(ctx, id, parts)
}

// shardPart is one shard to run: its input, and its items when the program evaluated them.
type shardPart struct {
	in     ShardInput
	queued []queuedItem
}

// shardInput is what every shard k of step id gets; the caller adds its items.
func (p *program) shardInput(ctx workflow.Context, id string, k, total int) ShardInput {
	concurrency := p.in.MaxConcurrency
	if concurrency <= 0 {
		concurrency = DefaultMaxConcurrency
	}
	concurrency = max(min(concurrency, maxConcurrency)/shardWindow, 1)
	return ShardInput{ProgramID: p.workflowID, UserID: p.in.UserID, Plan: p.plan.Plan, Catalog: p.recorded, Step: id,
		Shard: k, Total: total, MaxConcurrency: concurrency, Mirror: p.events.on, Asking: p.asker.on, DryRun: p.in.DryRun, Tuning: p.tuning,
		Repeat: p.mayRepeat(ctx)}
}

// runShards runs a step's shards, shardWindow at a time, records their counts and first failures, and
// settles the items they hand back.
func (p *program) runShards(ctx workflow.Context, id string, parts []shardPart) {
	s := p.steps[id]
	if !p.shardSignals {
		p.shardSignals = true
		p.onShardProgress(ctx)
	}
	window := workflow.NewSemaphore(ctx, shardWindow)
	wg := workflow.NewWaitGroup(ctx)
	for _, part := range parts {
		if err := window.Acquire(ctx, 1); err != nil || p.asker.aborted != "" {
			reason := "not run: the program was " + p.asker.aborted
			if err != nil {
				reason = fmt.Sprintf("canceled: %v", err)
			}
			p.skipShard(s, part, reason)
			continue
		}
		in := part.in
		run := &shardRun{id: ShardID(p.workflowID, id, in.Shard), items: in.count(), progress: ShardProgress{Step: id, Shard: in.Shard, Running: in.count()}}
		s.shards = append(s.shards, run)
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			res := p.runShard(ctx, in, run)
			window.Release(1)
			p.settleShard(ctx, id, run, res)
		})
	}
	wg.Wait(ctx)
}

// skipShard records the items of a shard that did not start: each, when the program has them, else
// the first listedShardItems and a count of the others.
func (p *program) skipShard(s *stepRun, part shardPart, reason string) {
	if part.in.List == nil {
		for _, q := range part.queued {
			s.record(ItemResult{Item: q.n, Label: q.label, State: StateSkipped, Reason: reason})
		}
		return
	}
	n := part.in.count()
	for i := range min(n, listedShardItems) {
		s.items = append(s.items, ItemResult{Item: part.in.From + i + 1, Label: fmt.Sprintf("item %d", part.in.From+i+1), State: StateSkipped, Reason: reason})
	}
	s.status.Skipped += n
	s.notListed += max(n-listedShardItems, 0)
}

// shardRun is one shard of a step, as the program sees it.
type shardRun struct {
	id       string
	items    int
	finished bool
	progress ShardProgress      // what it last said, while it runs
	report   *contentvalue.List // every item's result, stored, once it ended
}

// runShard runs one shard as a child workflow; a shard that fails as a whole fails each of its items.
func (p *program) runShard(ctx workflow.Context, in ShardInput, run *shardRun) ShardResult {
	opts := workflow.ChildWorkflowOptions{
		WorkflowID:    run.id,
		StaticSummary: fmt.Sprintf("Items %d to %d of step %s", in.first(), in.last(), in.Step),
	}
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), ShardWorkflowType, in)
	done := false
	workflow.Go(ctx, func(ctx workflow.Context) { // an abort stops the shard's batches not yet started
		if workflow.Await(ctx, func() bool { return done || p.asker.aborted != "" }) == nil && !done {
			_ = child.SignalChildWorkflow(ctx, SignalShardAbort, p.asker.aborted).Get(ctx, nil)
		}
	})
	var res ShardResult
	err := child.Get(ctx, &res)
	done = true
	if err != nil {
		_, msg := describeError(err)
		res = ShardResult{ShardProgress: ShardProgress{Step: in.Step, Shard: in.Shard, Failed: in.count()}}
		for i := range min(in.count(), listedShardItems) {
			n, label := in.first()+i, fmt.Sprintf("item %d", in.first()+i)
			if in.List == nil {
				n, label = in.Items[i].N, in.Items[i].Label
			}
			res.Items = append(res.Items, ItemResult{Item: n, Label: label, State: StateFailed, Reason: "its shard failed: " + msg})
		}
		res.NotListed = max(in.count()-listedShardItems, 0)
	}
	return res
}

// settleShard adds a finished shard's counts and listed items to its step, then settles the items it
// handed back, as an unsharded batch's.
func (p *program) settleShard(ctx workflow.Context, id string, run *shardRun, res ShardResult) {
	s := p.steps[id]
	run.finished = true
	s.status.Done += res.Done
	s.status.Failed += res.Failed
	s.status.Skipped += res.Skipped
	s.status.Attempts = max(s.status.Attempts, res.Attempts)
	s.notListed += res.NotListed
	run.report = res.Report
	for _, it := range res.Items {
		if len(s.items) < listedItems {
			s.items = append(s.items, it)
		} else {
			s.notListed++
		}
	}
	unsettled := make([]unsettledItem, len(res.Unsettled))
	for i, u := range res.Unsettled {
		unsettled[i] = unsettledItem{task: u.Task, label: u.Label, result: u.Result, needsInput: u.NeedsInput}
	}
	s.status.Running += len(unsettled) // settleAlone counts them down as they end
	p.settleAlone(ctx, id, unsettled, nil)
}

// ForEachShard is the child workflow of one shard of a for_each step: it runs its items in batches as
// the program would, tells the program its progress, and returns its counts, its first results that
// were not done and the items the program must settle.
func ForEachShard(ctx workflow.Context, in ShardInput) (ShardResult, error) {
	if in.Plan == nil || (len(in.Items) == 0 && in.List == nil) {
		return ShardResult{}, temporal.NewNonRetryableApplicationError("shard input: no plan or no items", catalog.ErrInvalidArgument, nil)
	}
	if l := in.List; l != nil && (in.From < 0 || in.From >= in.To || in.To > l.Count) {
		return ShardResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("shard input: items %d to %d are not within %s", in.From+1, in.To, l), catalog.ErrInvalidArgument, nil)
	}
	var cat plan.Catalog = plan.Registered
	if in.Catalog != nil {
		cat = in.Catalog
	}
	compiled, err := plan.CompileWith(in.Plan, cat)
	if err != nil {
		return ShardResult{}, temporal.NewNonRetryableApplicationError(err.Error(), catalog.ErrInvalidArgument, err)
	}
	if compiled.Step(in.Step) == nil {
		return ShardResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("shard input: the plan has no step %q", in.Step), catalog.ErrInvalidArgument, nil)
	}
	events := &eventSink{workflowID: in.ProgramID, userID: in.UserID}
	p := &program{
		in:         Input{UserID: in.UserID, MaxConcurrency: in.MaxConcurrency, DryRun: in.DryRun},
		workflowID: in.ProgramID,
		start:      in.Now,
		state:      StateRunning,
		plan:       compiled,
		outputs:    map[string]any{},
		events:     events,
		asker:      newAsker(Input{}, events),
		handBack:   &[]unsettledItem{},
	}
	if p.start.IsZero() {
		p.start = workflow.Now(ctx)
	}
	p.asker.on = in.Asking
	p.programRepeats = in.Repeat
	p.tuning = adaptive(ctx, in.Tuning)
	p.sem = workflow.NewSemaphore(ctx, int64(max(in.MaxConcurrency, 1)))
	s := &stepRun{status: StepStatus{ID: in.Step, State: StateRunning, Total: in.Total}}
	p.steps = map[string]*stepRun{in.Step: s}
	status := func() (Status, error) {
		return Status{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, State: StateRunning, Steps: []StepStatus{s.status}}, nil
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, status); err != nil {
		return ShardResult{}, fmt.Errorf("register %s query: %w", QueryStatus, err)
	}
	abort := workflow.GetSignalChannel(ctx, SignalShardAbort)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var reason string
		if abort.Receive(ctx, &reason) && p.asker.aborted == "" {
			p.asker.aborted = reason
		}
	})
	if in.Mirror {
		events.start(ctx)
	}
	progress := func() ShardProgress {
		return ShardProgress{Step: in.Step, Shard: in.Shard, Running: s.status.Running, Done: s.status.Done, Failed: s.status.Failed, Skipped: s.status.Skipped, Attempts: s.status.Attempts}
	}
	finished := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		parent := workflow.GetInfo(ctx).ParentWorkflowExecution
		for parent != nil {
			if err := workflow.Sleep(ctx, shardProgressInterval); err != nil || finished {
				return
			}
			_ = workflow.SignalExternalWorkflow(ctx, parent.ID, parent.RunID, SignalShardProgress, progress()).Get(ctx, nil)
		}
	})

	queued := make([]queuedItem, len(in.Items))
	for i, it := range in.Items {
		queued[i] = queuedItem{n: it.N, label: it.Label, args: it.Args}
	}
	if in.List != nil {
		if queued, err = p.readShardItems(ctx, in, s); err != nil {
			return ShardResult{}, fmt.Errorf("shard %d of step %s: read its items: %w", in.Shard, in.Step, err)
		}
	}
	s.status.Running = 0
	p.runBatches(ctx, in.Step, queued, in.Total, nil)
	finished = true
	p.events.flush(ctx, DefaultEventsTimeout)

	res := ShardResult{ShardProgress: progress()}
	res.Running = 0
	for _, it := range sortedItems(s.items) {
		if it.State != StateDone && len(res.Items) < listedShardItems {
			res.Items = append(res.Items, it)
		}
	}
	res.NotListed = len(s.items) - len(res.Items) // the unsettled items are listed by the program
	if workflow.GetVersion(ctx, versionShardReport, workflow.DefaultVersion, 1) >= 1 {
		res.Report = storeReport(ctx, s.items)
	}
	for _, u := range *p.handBack {
		res.Unsettled = append(res.Unsettled, UnsettledResult{Task: u.task, Label: u.label, Result: u.result, NeedsInput: u.needsInput})
	}
	return res, nil
}

// storeReport keeps a shard's item results, without their tasks' details, in the content store, so that
// the program's result can point at every item's outcome without carrying it. A report that cannot be
// stored (a worker without a content store) is left out: the items' results are still in the shard's
// history and on task.result.
func storeReport(ctx workflow.Context, items []ItemResult) *contentvalue.List {
	req := contentvalue.StoreRequest{Items: make([]json.RawMessage, 0, len(items))}
	for _, it := range sortedItems(items) {
		it.Task = nil
		b, err := encodeItem(it)
		if err != nil {
			return nil
		}
		req.Items = append(req.Items, b)
	}
	var list contentvalue.List
	opts := listPageOptions
	opts.Summary = "Store the shard's report"
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), contentvalue.StoreList, req).Get(ctx, &list); err != nil {
		workflow.GetLogger(ctx).Warn("The shard's report was not stored", "error", err)
		return nil
	}
	return &list
}

// encodeItem is an item result as JSON: deterministic; workflowcheck sees the reflection inside
// encoding/json.
//
//workflowcheck:ignore
func encodeItem(it ItemResult) (json.RawMessage, error) { return json.Marshal(it) }

// onShardProgress keeps the progress the shards signal, for the status query.
func (p *program) onShardProgress(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalShardProgress)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var sp ShardProgress
			if !ch.Receive(ctx, &sp) {
				return
			}
			s, ok := p.steps[sp.Step]
			if !ok || sp.Shard < 1 || sp.Shard > len(s.shards) {
				continue
			}
			if run := s.shards[sp.Shard-1]; !run.finished {
				run.progress = sp
			}
		}
	})
}
