package workflows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eaapl/eaapl/activities/contentvalue"
)

// What the program did so far, for the status query and the result: each step's progress and items.

// stepRun is the progress of one step.
type stepRun struct {
	status   StepStatus
	items    []ItemResult
	finished bool
	// byCondition: it was skipped by a condition, its own if or that of a step it depends on, not by a
	// failure; a step that only comes after it (plan.Step.After) still runs.
	byCondition bool
	shards      []*shardRun // a sharded step's shards (shard.go)
	notListed   int         // a sharded step's items its shards did not list
	tuner       *tuner      // a batched step's (tuning.go); off when the program is not tuned
}

// progress is the step's status with the progress its running shards last signalled.
func (s *stepRun) progress() StepStatus {
	st := s.status
	for _, run := range s.shards {
		if !run.finished {
			st.Running += run.progress.Running
			st.Done += run.progress.Done
			st.Failed += run.progress.Failed
			st.Skipped += run.progress.Skipped
			st.Attempts = max(st.Attempts, run.progress.Attempts)
		}
	}
	return st
}

func (s *stepRun) fail(reason string) {
	s.status.State, s.status.Reason = StateFailed, reason
}

// notRunReason is why a step that had not begun when the program was canceled never ran.
const notRunReason = "the program was canceled before this step began"

// canceledWhilePlanning is the summary of a program canceled before it had a plan.
const canceledWhilePlanning = "the program was canceled while it was being planned: nothing was run"

// cancel marks the step as stopped by the program's cancellation, saying what it was doing: "canceled
// while waiting until Wednesday 2 December 17:00:00 UTC". A step that had not begun is not run instead.
func (s *stepRun) cancel(doing string) {
	if s.status.State == StatePending {
		s.status.State, s.status.Reason = StateNotRun, notRunReason
		return
	}
	s.status.State, s.status.Reason = StateCanceled, "canceled while "+doing
}

// stepCanceled is the error of a step whose wait the program's cancellation ended: what it was doing.
type stepCanceled struct{ doing string }

func (e *stepCanceled) Error() string { return "canceled while " + e.doing }

// markCanceled settles, when the program is canceled, every step that has not finished: the program
// ends now, and its result and status must not show a step still running, waiting or pending.
func (p *program) markCanceled() {
	for _, id := range p.plan.Order {
		s := p.steps[id]
		if s.finished {
			continue
		}
		st := s.progress()
		switch {
		case s.status.State == StatePending:
			s.cancel("")
		case strings.HasPrefix(s.status.Reason, "waiting "):
			s.cancel(s.status.Reason)
		case st.Total > 1:
			s.cancel(fmt.Sprintf("it ran: %d of %d tasks done", st.Done, st.Total))
		default:
			s.cancel("it ran")
		}
		s.finished = true
	}
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

func (p *program) status() Status {
	st := Status{WorkflowID: p.workflowID, Program: p.in.Program, State: p.state}
	if p.plan == nil {
		return st
	}
	if st.Program == "" {
		st.Program = p.plan.Plan.Program
	}
	for _, s := range p.plan.Plan.Steps {
		st.Steps = append(st.Steps, p.steps[s.ID].progress())
	}
	st.Questions = p.asker.openQuestions()
	return st
}

func (p *program) result() Result {
	st := p.status()
	res := Result{WorkflowID: st.WorkflowID, Program: st.Program, State: st.State, Answer: p.answered}
	var summary []string
	notRun := 0
	for _, s := range st.Steps {
		run := p.steps[s.ID]
		items, notListed := listed(sortedItems(run.items))
		notListed += run.notListed
		res.Steps = append(res.Steps, StepResult{ID: s.ID, Command: s.Command, Description: s.Description, State: s.State, Reason: s.Reason, Items: items, NotListed: notListed, Reports: run.reports()})
		switch {
		case s.State == StateCanceled:
			summary = append(summary, s.ID+" "+s.Reason)
		case s.State == StateNotRun:
			notRun++
		case p.plan.Step(s.ID).ForEach != nil && s.State != StateSkipped:
			summary = append(summary, fmt.Sprintf("%s: %d done, %d skipped, %d failed", s.ID, s.Done, s.Skipped, s.Failed))
		case (s.State == StateFailed || s.State == StateSkipped) && p.asker.aborted != "" && s.Reason == p.asker.aborted:
			summary = append(summary, s.ID+" "+s.State) // the abort leads the summary; once is enough
		case s.State == StateFailed || s.State == StateSkipped:
			summary = append(summary, fmt.Sprintf("%s %s: %s", s.ID, s.State, s.Reason))
		case s.State == StateDone && s.Reason != "" && p.plan.Step(s.ID).Wait != nil: // its time had passed
			summary = append(summary, s.ID+": "+s.Reason)
		}
	}
	switch {
	case notRun == 1:
		summary = append(summary, "1 step not run")
	case notRun > 1:
		summary = append(summary, fmt.Sprintf("%d steps not run", notRun))
	}
	switch {
	case p.state == StateCanceled && p.plan == nil:
		summary = []string{canceledWhilePlanning}
	case p.state == StateCanceled:
		summary = append([]string{"the program was canceled"}, summary...)
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

// reports are a sharded step's stored reports, in the order of its shards.
func (s *stepRun) reports() []contentvalue.List {
	var out []contentvalue.List
	for _, run := range s.shards {
		if run.report != nil {
			out = append(out, *run.report)
		}
	}
	return out
}
