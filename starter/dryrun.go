package starter

import (
	"fmt"
	"io"
	"strings"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

// maxNamed is how many items a dry run's summary names in one phrase before it counts the rest.
const maxNamed = 5

// PrintDryRun writes what a dry run found: a line saying what the program would do ("would send 'Hello
// World!' to alice@example.com and carol@example.com; would not send to bob@example.com (you emailed them
// since Monday)"), then the table a real run prints, with what each item would have had done.
func PrintDryRun(w io.Writer, res workflows.Result) {
	fmt.Fprintf(w, "Program:  %s\nWorkflow: %s\nDry run:  %s: nothing was sent or written\n", res.Program, res.WorkflowID, res.State)
	for _, line := range DryRunSummary(res) {
		fmt.Fprintln(w, "  "+line)
	}
	printSteps(w, res, dryRunVerb)
}

// DryRunSummary says, for each step whose command writes, what the program would do and would not do.
// Items whose previews differ only in what they are about are named in one phrase.
func DryRunSummary(res workflows.Result) []string {
	var lines []string
	for _, s := range res.Steps {
		spec, ok := catalog.Get(s.Command)
		if !ok || spec.SideEffect != catalog.Writes {
			continue
		}
		var phrases []string
		groups := map[string][]string{} // what the phrase says before the items -> the items
		var order []string
		add := func(head, label string) {
			if _, seen := groups[head]; !seen {
				order = append(order, head)
			}
			groups[head] = append(groups[head], label)
		}
		for _, it := range s.Items {
			switch {
			case it.Task != nil && it.Task.Preview != "":
				head, found := strings.CutSuffix(it.Task.Preview, it.Label)
				if !found || it.Label == "" {
					head, it.Label = it.Task.Preview, ""
				}
				add(head, it.Label)
			case it.State == workflows.StateSkipped:
				add(wouldNot(spec)+" \x00"+it.Reason, it.Label)
			case it.State == workflows.StateFailed:
				add("would fail for \x00"+it.Reason, it.Label)
			}
		}
		if len(s.Items) == 0 && s.State == workflows.StateSkipped {
			phrases = append(phrases, wouldNot(spec)+" anything ("+s.Reason+")")
		}
		for _, head := range order {
			phrases = append(phrases, phrase(head, groups[head]))
		}
		if s.NotListed > 0 {
			phrases = append(phrases, fmt.Sprintf("%d more items not listed", s.NotListed))
		}
		if len(phrases) > 0 {
			lines = append(lines, strings.Join(phrases, "; "))
		}
	}
	return lines
}

// phrase is a summary phrase: head, then the items it is about, then (for a skipped or failed group,
// whose head carries its reason after a NUL) why.
func phrase(head string, labels []string) string {
	head, reason, _ := strings.Cut(head, "\x00")
	named := labels
	if len(named) > maxNamed {
		named = named[:maxNamed]
	}
	var items []string
	for _, l := range named {
		if l != "" {
			items = append(items, l)
		}
	}
	more := len(labels) - len(named)
	out := strings.TrimSpace(head)
	if len(items) > 0 {
		out += " " + andList(items, more)
	}
	if reason != "" {
		out += " (" + reason + ")"
	}
	return out
}

// andList is "a", "a and b", "a, b and c", or "a, b and 3 more".
func andList(items []string, more int) string {
	if more > 0 {
		items = append(items, fmt.Sprintf("%d more", more))
	}
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// wouldNot is what a dry run would not do to a skipped item: "would not send to".
func wouldNot(spec *catalog.Spec) string {
	out := "would not " + spec.Verb
	if spec.Label.Word != "" {
		out += " " + spec.Label.Word
	}
	return out
}

// dryRunVerb is itemVerb for a dry run: a previewed item says what would have been done, and a skipped
// item of a command that writes what would not have been.
func dryRunVerb(command string, it workflows.ItemResult) (string, string) {
	if it.Task != nil && it.Task.Preview != "" {
		return it.Task.Preview, ""
	}
	spec, ok := catalog.Get(command)
	if ok && spec.SideEffect == catalog.Writes && it.State == workflows.StateSkipped {
		return "would not " + spec.Verb, it.Reason
	}
	return itemVerb(command, it)
}
