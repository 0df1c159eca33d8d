package starter

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

// PrintProgress writes one line per step whose state or counts changed since prev.
func PrintProgress(w io.Writer, prev, cur workflows.Status) {
	before := map[string]workflows.StepStatus{}
	for _, s := range prev.Steps {
		before[s.ID] = s
	}
	for i, s := range cur.Steps {
		if b, ok := before[s.ID]; ok && b == s {
			continue
		}
		fmt.Fprintf(w, "  %d. %-16s %-18s %s\n", i+1, s.ID, s.Command, stepCounts(s))
	}
}

func stepCounts(s workflows.StepStatus) string {
	out := s.State
	if s.Total > 1 || s.Skipped > 0 {
		out = fmt.Sprintf("%s: %d/%d done", s.State, s.Done, s.Total)
		if s.Running > 0 {
			out += fmt.Sprintf(", %d running", s.Running)
		}
		if s.Skipped > 0 {
			out += fmt.Sprintf(", %d skipped", s.Skipped)
		}
		if s.Failed > 0 {
			out += fmt.Sprintf(", %d failed", s.Failed)
		}
	}
	if s.Waiting > 0 {
		out += fmt.Sprintf(", %d waiting for an answer", s.Waiting)
	}
	switch {
	case strings.HasPrefix(s.Reason, s.State+" "): // "waiting until Friday 27 November 09:00:00 UTC"
		out = s.Reason + strings.TrimPrefix(out, s.State)
	case s.Reason != "":
		out += " (" + s.Reason + ")"
	}
	return out
}

// PrintStatus writes a program's status as a table of steps.
func PrintStatus(w io.Writer, st workflows.Status) {
	fmt.Fprintf(w, "Program:  %s\nWorkflow: %s\nState:    %s\n", st.Program, st.WorkflowID, st.State)
	PrintProgress(w, workflows.Status{}, st)
	for _, q := range st.Questions {
		PrintQuestion(w, st.WorkflowID, q)
	}
}

// PrintResult writes what a program did: each step, and for a for_each step each item (each contact)
// with what was done and, when nothing was, why.
func PrintResult(w io.Writer, res workflows.Result) {
	fmt.Fprintf(w, "Program:  %s\nWorkflow: %s\nResult:   %s: %s\n", res.Program, res.WorkflowID, res.State, res.Summary)
	if res.Answer != nil {
		fmt.Fprintf(w, "\nAnswer:   %s\n\n", res.Answer.Text)
	}
	printSteps(w, res, itemVerb)
}

// PrintEnded writes what a program that has ended did, as PrintResult (or PrintDryRun) does, after the
// state it ended in (completed, failed, canceled ...).
func PrintEnded(w io.Writer, res workflows.Result, state string) {
	fmt.Fprintf(w, "State:    %s\n", state)
	if IsDryRun(res) {
		PrintDryRun(w, res)
		return
	}
	PrintResult(w, res)
}

// printSteps writes a result's table: a line per step, then per item what verb says became of it.
func printSteps(w io.Writer, res workflows.Result, verb func(command string, it workflows.ItemResult) (string, string)) {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	for i, s := range res.Steps {
		// A single task needs no line of its own unless it is about someone: "SendEmail to dave@...". What
		// its command says about it (RetrieveContacts' skipped rows) goes beside the step.
		if len(s.Items) == 1 && s.Items[0].Item == 0 && s.Items[0].Label == s.Command {
			reason := s.Reason
			if _, detail := itemVerb(s.Command, s.Items[0]); reason == "" {
				reason = detail
			}
			fmt.Fprintf(tw, "%d. %s\t%s\t%s\t%s\n", i+1, s.ID, s.Command, s.State, stateReason(s.State, reason))
			continue
		}
		fmt.Fprintf(tw, "%d. %s\t%s\t%s\t%s\n", i+1, s.ID, s.Command, s.State, stateReason(s.State, s.Reason))
		for _, it := range s.Items {
			v, detail := verb(s.Command, it)
			fmt.Fprintf(tw, "   \t%s\t%s\t%s\n", it.Label, v, detail)
		}
		if s.NotListed > 0 {
			// The last cell of its line, so that its length does not widen the column of addresses.
			fmt.Fprintf(tw, "   \t(%d more, not listed; every task's result is on task.result)\n", s.NotListed)
		}
	}
	tw.Flush()
	// A cell followed by a tab is padded to its column's width, so a line whose last cells are empty
	// would end in spaces.
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// stateReason is a reason as it reads beside its state: "canceled  while waiting until ...", not
// "canceled  canceled while waiting until ...".
func stateReason(state, reason string) string {
	if rest, ok := strings.CutPrefix(reason, state+" "); ok {
		return rest
	}
	return reason
}

// itemVerb says what happened to an item in words a user expects (sent, not sent: the command's
// Outcome), and a detail to show beside it (the reason, or what the command says: a Message-ID).
func itemVerb(command string, it workflows.ItemResult) (verb, detail string) {
	verb = it.State
	if spec, ok := catalog.Get(command); ok && spec.Outcome != nil {
		var output map[string]any
		if it.Task != nil {
			output = it.Task.Output
		}
		verb, detail = spec.Outcome(it.State, output)
	}
	if it.Reason != "" {
		detail = it.Reason
	}
	return verb, detail
}
