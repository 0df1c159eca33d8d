package workflows

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/plan"
)

// A command that returns a long list (RetrieveContacts over a large address book) keeps it in the
// content store and returns only a contentvalue.List: the items never pass through one payload or the
// program's history. A for_each step over such a list that runs in shards hands each shard only the
// list and its range; the shard reads its items a page at a time (the ReadListPage activity) and
// evaluates their conditions and arguments itself (readShardItems). Any other step that reads the list
// (CheckEmailHistory's contacts, a for_each that does not shard) gets it whole, read in pages into the
// program (withStoredLists), as it would have had it before: correct, but with the list in the
// program's history again, so its size is bounded as before (docs/scale.md).

// versionStoredItems marks histories in which a step's output held a stored list and the program read
// it through ReadListPage. Older histories never hold one (their commands returned every item), so
// the marker only records the choice; it is asked where a stored list is first met.
const versionStoredItems = "stored-list-items"

// listPageItems is how many items of a stored list one ReadListPage returns: about 50 KB of contacts.
const listPageItems = 500

// maxShardSteps bounds the values of other steps a shard carries for its items' arguments (each shard's
// input has a copy): a step that reads more than this from other steps is not sharded over a stored
// list, and runs as before.
const maxShardSteps = 256 << 10

// listPageOptions bound ReadListPage: a page reads a chunk or two from the content store.
var listPageOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		MaximumAttempts:        5,
		NonRetryableErrorTypes: nonRetryable,
	},
	Summary: "Read a page of a stored list",
}

// wholeStepField is a for_each list that is exactly one output field of one step: ${steps.contacts.contacts}.
var wholeStepField = regexp.MustCompile(`^\$\{\s*steps\.([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}$`)

// storedItems returns the stored list a for_each step runs over, when its for_each names exactly one
// step's output field that holds one, and nothing else in the step reads that field (its arguments and
// condition see the list's items, never the list).
func (p *program) storedItems(id string) (contentvalue.List, bool) {
	step := p.plan.Step(id)
	if step.ForEach == nil || step.Construct() != "" {
		return contentvalue.List{}, false
	}
	m := wholeStepField.FindStringSubmatch(strings.TrimSpace(step.ForEach.Items))
	if m == nil {
		return contentvalue.List{}, false
	}
	out, _ := p.outputs[m[1]].(map[string]any)
	list, ok := contentvalue.ListOf(out[m[2]])
	if !ok || strings.Contains(stepText(step), "steps."+m[1]+"."+m[2]) {
		return contentvalue.List{}, false
	}
	return list, true
}

// stepText is the step's arguments and condition as text, to see which step outputs they name. JSON of
// decoded JSON is deterministic (sorted keys); workflowcheck sees the reflection inside encoding/json.
//
//workflowcheck:ignore
func stepText(step *plan.Step) string {
	b, _ := json.Marshal(step.Args) // decoded JSON, which always marshals
	return string(b) + " " + step.If
}

// shardSteps is what a shard over a stored list needs of the other steps: the output fields the step's
// arguments and condition may read (a field whose name they do not contain after a dot or in quotes is
// left out, so the list itself and a dependency's long lists stay behind). false when that is more
// than maxShardSteps.
func (p *program) shardSteps(id string) (map[string]any, bool) {
	text := stepText(p.plan.Step(id))
	steps := map[string]any{}
	for _, dep := range p.plan.Deps(id) {
		out, ok := p.outputs[dep].(map[string]any)
		if !ok {
			steps[dep] = p.outputs[dep]
			continue
		}
		kept := map[string]any{}
		for _, field := range sortedFields(out) {
			if v := out[field]; strings.Contains(text, "."+field) || strings.Contains(text, `"`+field) || strings.Contains(text, `'`+field) {
				kept[field] = v
			}
		}
		steps[dep] = kept
	}
	n, err := jsonSize(steps)
	return steps, err == nil && n <= maxShardSteps
}

// jsonSize is the length of v's JSON, which for decoded JSON is deterministic (map keys sorted).
//
//workflowcheck:ignore
func jsonSize(v any) (int, error) {
	b, err := json.Marshal(v)
	return len(b), err
}

// sortedFields and cloneFields range over a map, which is deterministic when the result is sorted or is
// itself a map; workflowcheck sees only the range.
//
//workflowcheck:ignore
func sortedFields(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

//workflowcheck:ignore
func cloneFields(m map[string]any) map[string]any { return maps.Clone(m) }

// decodeItem decodes one item of a page: JSON decoding is deterministic; workflowcheck sees its
// reflection.
//
//workflowcheck:ignore
func decodeItem(raw []byte) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}

// runsStoredShards runs a for_each step over a stored list in shards that read their own items, when
// the step would run in shards; it says whether it did.
func (p *program) runsStoredShards(ctx workflow.Context, id string, scope plan.Scope) bool {
	list, ok := p.storedItems(id)
	if !ok || !batching(ctx) || !p.sharding(ctx, id, list.Count) {
		return false
	}
	steps, small := p.shardSteps(id)
	if !small || workflow.GetVersion(ctx, versionStoredItems, workflow.DefaultVersion, 1) < 1 {
		return false
	}
	s := p.steps[id]
	s.status.State, s.status.Total = StateRunning, list.Count
	if reason := p.askApproval(ctx, id, list.Count, true); reason != "" {
		s.status.State, s.status.Reason, s.status.Skipped = StateSkipped, reason, list.Count
		return true
	}
	size := p.in.shardSize()
	var parts []shardPart
	for from := 0; from < list.Count; from += size {
		in := p.shardInput(ctx, id, len(parts)+1, list.Count)
		in.List, in.From, in.To = &list, from, min(from+size, list.Count)
		in.ItemName, in.Steps, in.Now = p.plan.Step(id).ForEach.As, steps, scope.Now
		parts = append(parts, shardPart{in: in})
	}
	p.runShards(ctx, id, parts)
	s.status.State = StateDone
	if s.status.Failed > 0 {
		s.status.State, s.status.Reason = StateFailed, fmt.Sprintf("%d of %d tasks failed", s.status.Failed, s.status.Total)
	}
	return true
}

// withStoredLists returns the step outputs a step's expressions see: p.outputs, with every stored list
// in the outputs of the steps it reads replaced by its items, read in pages (once per program).
func (p *program) withStoredLists(ctx workflow.Context, id string) (map[string]any, error) {
	steps, cloned := p.outputs, false
	for _, dep := range p.plan.Deps(id) {
		out, ok := p.outputs[dep].(map[string]any)
		if !ok {
			continue
		}
		var read map[string]any
		for _, field := range sortedFields(out) {
			list, ok := contentvalue.ListOf(out[field])
			if !ok {
				continue
			}
			items, err := p.wholeList(ctx, dep+"."+field, list)
			if err != nil {
				return nil, fmt.Errorf("step %q: read steps.%s.%s: %w", id, dep, field, err)
			}
			if read == nil {
				read = cloneFields(out)
			}
			read[field] = items
		}
		if read != nil {
			if !cloned {
				steps, cloned = cloneFields(p.outputs), true
			}
			steps[dep] = read
		}
	}
	return steps, nil
}

// wholeList reads every item of a stored list, once per program and field.
func (p *program) wholeList(ctx workflow.Context, key string, list contentvalue.List) ([]any, error) {
	if items, ok := p.lists[key]; ok {
		return items, nil
	}
	workflow.GetVersion(ctx, versionStoredItems, workflow.DefaultVersion, 1) // records that this history reads stored lists
	items, err := readList(ctx, list, 0, list.Count)
	if err != nil {
		return nil, err
	}
	if p.lists == nil {
		p.lists = map[string][]any{}
	}
	p.lists[key] = items
	return items, nil
}

// readList reads items [from, to) of a stored list, a page at a time.
func readList(ctx workflow.Context, list contentvalue.List, from, to int) ([]any, error) {
	actx := workflow.WithActivityOptions(ctx, listPageOptions)
	items := make([]any, 0, to-from)
	for at := from; at < to; at += listPageItems {
		var page contentvalue.Page
		req := contentvalue.PageRequest{List: list, From: at, Count: min(listPageItems, to-at)}
		if err := workflow.ExecuteActivity(actx, contentvalue.ReadListPage, req).Get(ctx, &page); err != nil {
			_, msg := describeError(err)
			return nil, fmt.Errorf("items %d to %d of %d: %s", at+1, at+req.Count, list.Count, msg)
		}
		if len(page.Items) != req.Count {
			return nil, fmt.Errorf("items %d to %d of %d: the store returned %d", at+1, at+req.Count, list.Count, len(page.Items))
		}
		for i, raw := range page.Items {
			v, err := decodeItem(raw)
			if err != nil {
				return nil, fmt.Errorf("item %d of %d is not JSON: %w", at+i+1, list.Count, err)
			}
			items = append(items, v)
		}
	}
	return items, nil
}

// readShardItems reads a shard's range of a stored list, page by page, and queues each item whose
// condition holds with its arguments, as the program does for items it evaluates itself (runForEach);
// the others are recorded as skipped or failed.
func (p *program) readShardItems(ctx workflow.Context, in ShardInput, s *stepRun) ([]queuedItem, error) {
	scope := plan.Scope{Steps: in.Steps, Now: in.Now, ItemName: in.ItemName}
	var queued []queuedItem
	for at := in.From; at < in.To; at += listPageItems {
		items, err := readList(ctx, *in.List, at, min(at+listPageItems, in.To))
		if err != nil {
			return nil, err
		}
		for i, item := range items {
			scope.Item = item
			n, label := at+i+1, p.itemLabel(in.Step, item, nil)
			run, err := p.plan.Condition(in.Step, scope)
			if err == nil && !run {
				s.record(ItemResult{Item: n, Label: label, State: StateSkipped, Reason: skipReason(p.plan.Step(in.Step))})
				continue
			}
			var args map[string]any
			if err == nil {
				args, err = p.plan.Args(in.Step, scope)
				label = p.itemLabel(in.Step, item, args)
			}
			if err != nil {
				s.record(ItemResult{Item: n, Label: label, State: StateFailed, Reason: err.Error()})
				continue
			}
			queued = append(queued, queuedItem{n: n, label: label, args: args})
		}
	}
	return queued, nil
}
