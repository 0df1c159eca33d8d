package workflows

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// The Web UI shows a workflow's current details (workflow.SetCurrentDetails) on its page as markdown. A
// program keeps them to what a person watching it needs: the plan read back, each step's progress and
// the open questions with how to answer them. They are in memory only (the UI reads them through a
// query), so keeping them adds nothing to the history and needs no version.

// maxDetailQuestions bounds the questions listed; the rest are counted.
const maxDetailQuestions = 20

// keepCurrentDetails sets the current details now and again whenever they change, until the workflow ends.
func (p *program) keepCurrentDetails(ctx workflow.Context) {
	last := ""
	for {
		now := p.currentDetails()
		if now != last {
			workflow.SetCurrentDetails(ctx, now)
			last = now
		}
		if err := workflow.Await(ctx, func() bool { return p.currentDetails() != last }); err != nil {
			return // the workflow is ending
		}
	}
}

// currentDetails renders the program's status as markdown.
func (p *program) currentDetails() string {
	return renderDetails(p.status())
}

// renderDetails renders st as markdown. It formats strings and ints and encodes one struct of strings as
// JSON, all deterministic; workflowcheck sees the reflection inside fmt and encoding/json.
//
//workflowcheck:ignore
func renderDetails(st Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**", st.State)
	if st.Program != "" {
		fmt.Fprintf(&b, ": %s", oneLine(st.Program))
	}
	b.WriteString("\n\n")
	if len(st.Steps) > 0 {
		b.WriteString("### The plan\n\n")
		for i, s := range st.Steps {
			what := s.Description
			if what == "" {
				what = s.Command
			}
			fmt.Fprintf(&b, "%d. %s (%s): %s\n", i+1, oneLine(what), code(s.ID), stepProgress(s))
		}
		b.WriteString("\n")
	}
	if len(st.Questions) > 0 {
		b.WriteString("### Open questions\n\n")
		for i, q := range st.Questions {
			if i == maxDetailQuestions {
				fmt.Fprintf(&b, "- and %d more: %s lists them\n", len(st.Questions)-i, code("eaapl status "+st.WorkflowID))
				break
			}
			fmt.Fprintf(&b, "- **%s**", oneLine(q.ID))
			if q.Item != "" {
				fmt.Fprintf(&b, " (%s)", oneLine(q.Item))
			}
			fmt.Fprintf(&b, ": %s\n", oneLine(q.Text))
			for _, o := range q.Options {
				fmt.Fprintf(&b, "  - %s %s\n", code(o.Value), oneLine(o.Label))
			}
			example := "<answer>"
			if len(q.Options) > 0 {
				example = q.Options[0].Value
			}
			input, _ := json.Marshal(Answer{QuestionID: q.ID, Answer: example})
			fmt.Fprintf(&b, "  - answer with %s, or in the Web UI: Send Update %s with %s",
				code("eaapl answer "+st.WorkflowID+" "+q.ID+" "+shellWord(example)), code(UpdateAnswer), code(string(input)))
			if q.Default != "" {
				fmt.Fprintf(&b, "; unanswered after %s, it is %s", q.Timeout, q.Default)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// stepProgress is one step's state and counts, as `eaapl status` shows them.
func stepProgress(s StepStatus) string {
	out := s.State
	if s.Total > 1 {
		out += fmt.Sprintf(", %d/%d done", s.Done, s.Total)
		for _, c := range []struct {
			n    int
			what string
		}{{s.Running, "running"}, {s.Failed, "failed"}, {s.Skipped, "skipped"}, {s.Waiting, "waiting for an answer"}} {
			if c.n > 0 {
				out += fmt.Sprintf(", %d %s", c.n, c.what)
			}
		}
	}
	switch {
	case s.Total <= 1 && strings.HasPrefix(s.Reason, s.State+" "): // "canceled while waiting until ..."
		out = oneLine(s.Reason)
	case s.Reason != "":
		out += " (" + oneLine(s.Reason) + ")"
	}
	return out
}

// markdownSpecial are the characters that would make data markdown.
var markdownSpecial = strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "<", "\\<", ">", "\\>", "#", "\\#", "|", "\\|")

// oneLine keeps data (a program's text, a contact's name) text: on one line, with markdown's characters
// escaped, so that it neither breaks the list nor becomes a link or markup.
func oneLine(s string) string {
	return markdownSpecial.Replace(strings.Join(strings.Fields(s), " "))
}

// code is s as a markdown code span, on one line; a span's fence is longer than any run of backticks in s.
func code(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + s + " " + fence
}

// shellWord quotes an answer for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@._-+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
