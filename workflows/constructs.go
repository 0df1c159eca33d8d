package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The constructs (plan/constructs.go) are steps the interpreter does itself: a wait is a durable timer,
// a wait for a reply polls the reply command between durable timers (reply.go), a check stops the
// program before its later steps, an answer becomes the program's Result.Answer.

// versionConstructs marks histories in which construct steps run here; before it a construct step ran
// the stand-in command Compile gave it (and failed, as no such activity exists).
const versionConstructs = "constructs"

// maxAnswerItems is the most items of a list answer the result carries, so that it stays well under
// Temporal's payload limit; Answer.NotListed counts the rest.
const maxAnswerItems = 1000

// ProgramAnswer is the program's answer to a question ("How many ...", "List ..."): its value, and the value
// in English.
type ProgramAnswer struct {
	Kind      string `json:"kind"`  // plan.AnswerNumber, plan.AnswerList or plan.AnswerText
	Label     string `json:"label"` // what the value is: "contacts you have not emailed since Monday 23 November"
	Value     any    `json:"value"`
	Text      string `json:"text"`                 // the answer as a sentence: "3 contacts you have not emailed ..."
	NotListed int    `json:"not_listed,omitempty"` // items of a list left out of Value and Text
}

// runsConstruct reports whether the step is a construct this history runs here.
func (p *program) runsConstruct(ctx workflow.Context, id string) bool {
	return p.plan.Step(id).Construct() != "" && workflow.GetVersion(ctx, versionConstructs, workflow.DefaultVersion, 1) >= 1
}

// runConstruct runs a construct step: its if, then the construct.
func (p *program) runConstruct(ctx workflow.Context, id string, scope plan.Scope) {
	s := p.steps[id]
	step := p.plan.Step(id)
	s.status.Total = 1
	run, err := p.plan.Condition(id, scope)
	if err != nil {
		s.fail(err.Error())
		return
	}
	if !run {
		s.status.State, s.status.Reason, s.status.Skipped = StateSkipped, skipReason(step), 1
		s.byCondition = true
		return
	}
	var output map[string]any
	note := "" // what the step says once done
	switch step.Construct() {
	case plan.ConstructWait:
		output, note, err = p.wait(ctx, id)
	case plan.ConstructAwaitReply:
		output, err = p.awaitReply(ctx, id, scope)
	case plan.ConstructCheck:
		err = p.check(id, scope)
	case plan.ConstructAnswer:
		output, err = p.answer(id, scope)
	default:
		err = fmt.Errorf("this worker cannot do an %s step yet", step.Construct())
	}
	var canceled *stepCanceled
	switch {
	case errors.As(err, &canceled):
		s.cancel(canceled.doing)
		return
	case err != nil:
		s.fail(err.Error())
		s.status.Failed = 1
		return
	}
	p.outputs[id] = output
	reason := note
	if step.Construct() == plan.ConstructAwaitReply {
		reason = s.status.Reason // what came of the wait: "bob@example.com replied (In-Reply-To)"
	}
	s.status.State, s.status.Reason, s.status.Done = StateDone, reason, 1
}

// wait sleeps on a durable timer until the wait's time, or for its duration from now (when the steps it
// depends on are done). The status query says what it waits until.
//
// A time that has passed when the step begins ("then at 5pm send ..." after a send that ran past 5pm)
// is not waited for: the steps after it run at once, as close to the time asked for as they can be now;
// waiting for the next 5pm would do them a day late, and dropping them would not do what was asked. The
// step says so in its note ("Wednesday 2 December 17:00:00 UTC had passed when this step began, at
// 17:20:05 UTC: ..."), so that no step runs late silently. Under a minute late is on time ("at 5pm" is
// the minute), and says nothing.
func (p *program) wait(ctx workflow.Context, id string) (output map[string]any, note string, err error) {
	w := p.plan.Step(id).Wait
	now := workflow.Now(ctx)
	var until time.Time
	if w.Until != "" {
		t, err := time.Parse(time.RFC3339, w.Until)
		if err != nil {
			return nil, "", fmt.Errorf("wait.until: %w", err) // Compile checked it; an old plan may not have been
		}
		until = t
	} else {
		d, err := time.ParseDuration(w.For)
		if err != nil {
			return nil, "", fmt.Errorf("wait.for: %w", err)
		}
		until = now.Add(d)
	}
	s := p.steps[id]
	s.status.State, s.status.Reason = StateWaiting, "waiting until "+until.UTC().Format(waitTimeLayout)
	if d := until.Sub(now); d > 0 {
		timer := workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: p.waitSummary(id, until)})
		if err := timer.Get(ctx, nil); err != nil {
			if temporal.IsCanceledError(err) {
				return nil, "", &stepCanceled{doing: s.status.Reason}
			}
			return nil, "", err
		}
	} else if late := -d; late >= time.Minute {
		note = lateNote(until, now)
		workflow.GetLogger(ctx).Warn("A wait's time had passed when it began", "step", id, "until", until, "began", now)
	}
	return map[string]any{"until": workflow.Now(ctx).UTC().Format(time.RFC3339)}, note, nil
}

// waitTimeLayout is how a wait's time reads: "Wednesday 2 December 17:00:00 UTC".
const waitTimeLayout = "Monday 2 January 15:04:05 MST"

// lateNote says that a wait's time had passed when the step began, and what came of it.
func lateNote(until, began time.Time) string {
	began = began.UTC()
	at := began.Format("15:04:05 MST")
	if y, m, d := began.Date(); y != until.UTC().Year() || m != until.UTC().Month() || d != until.UTC().Day() {
		at = began.Format(waitTimeLayout)
	}
	return fmt.Sprintf("%s had passed when this step began, at %s: it did not wait, and the steps after it ran at once, %s late",
		until.UTC().Format(waitTimeLayout), at, catalog.DescribeDuration(began.Sub(until).Truncate(time.Second)))
}

// waitSummary names a timer for what it waits for: "Wait until Friday 27 November 09:00:00 UTC to:
// Write the message "Good morning"; Send it to bob@example.com" (the steps after it, up to three).
func (p *program) waitSummary(id string, until time.Time) string {
	summary := "Wait until " + until.UTC().Format("Monday 2 January 15:04:05 MST")
	var next []string
	for step := id; len(next) < 3; {
		after := p.plan.Dependents(step)
		if len(after) == 0 {
			break
		}
		step = after[0]
		what := step
		if d := p.plan.Step(step).Description; d != "" {
			what = strings.TrimSuffix(d, ".")
		}
		next = append(next, what)
	}
	if len(next) > 0 {
		summary += " to: " + strings.Join(next, "; ")
	}
	return summary
}

// check evaluates the check's condition: false fails the step with the check's sentence, and the steps
// after it are skipped, as they depend on it.
func (p *program) check(id string, scope plan.Scope) error {
	c := p.plan.Step(id).Check
	v, err := p.plan.ConstructValue(id, "that", scope)
	if err != nil {
		return err
	}
	ok, isBool := v.(bool)
	if !isBool {
		return fmt.Errorf("check %q is %T, not true or false", c.That, v)
	}
	if !ok {
		return fmt.Errorf("%s%s", c.Error, p.failingItems(id, scope))
	}
	return nil
}

// maxNamedItems is the most items a failed check names.
const maxNamedItems = 5

// failingItems names the items that failed a check over a list: " (dan@example.com)".
func (p *program) failingItems(id string, scope plan.Scope) string {
	items, err := p.plan.FailingItems(id, scope)
	if err != nil || len(items) == 0 {
		return ""
	}
	names := make([]string, 0, maxNamedItems)
	for _, it := range items[:min(len(items), maxNamedItems)] {
		names = append(names, itemText(it))
	}
	text := strings.Join(names, ", ")
	if len(items) > maxNamedItems {
		text += fmt.Sprintf(" and %d more", len(items)-maxNamedItems)
	}
	return " (" + text + ")"
}

// answer evaluates the answer's value and keeps it for the program's result.
func (p *program) answer(id string, scope plan.Scope) (map[string]any, error) {
	a := p.plan.Step(id).Answer
	v, err := p.plan.ConstructValue(id, "value", scope)
	if err != nil {
		return nil, err
	}
	ans := &ProgramAnswer{Kind: a.Kind, Label: a.Label, Value: v}
	switch a.Kind {
	case plan.AnswerNumber:
		ans.Text = fmt.Sprintf("%s: %v", sentenceCase(a.Label), v)
	case plan.AnswerList:
		items, isList := v.([]any)
		if !isList {
			return nil, fmt.Errorf("answer.value %s is %T, not a list", a.Value, v)
		}
		if len(items) > maxAnswerItems {
			ans.NotListed = len(items) - maxAnswerItems
			items = items[:maxAnswerItems]
			ans.Value = items
		}
		ans.Text = listText(a.Label, items, ans.NotListed)
	default:
		ans.Text = fmt.Sprint(v)
	}
	p.answered = ans
	return map[string]any{"value": v}, nil
}

// listText writes a list answer: "Your contacts at example.com (2): Alice <alice@example.com>, bob@example.com".
func listText(label string, items []any, notListed int) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = itemText(it)
	}
	text := fmt.Sprintf("%s (%d)", sentenceCase(label), len(items)+notListed)
	if len(names) > 0 {
		text += ": " + strings.Join(names, ", ")
	}
	if notListed > 0 {
		text += fmt.Sprintf(" and %d more", notListed)
	}
	return text
}

// itemText names one item of a list answer: a contact by name and address, anything else as it prints.
func itemText(it any) string {
	m, ok := it.(map[string]any)
	if !ok {
		return fmt.Sprint(it)
	}
	email, _ := m["email"].(string)
	name, _ := m["name"].(string)
	switch {
	case email != "" && strings.TrimSpace(name) != "":
		return fmt.Sprintf("%s <%s>", name, email)
	case email != "":
		return email
	}
	return fmt.Sprint(it)
}

// sentenceCase starts a label with a capital letter.
func sentenceCase(s string) string {
	if s == "" {
		return "The answer"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
