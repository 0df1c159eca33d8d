package planner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// TestSkipReasonsReadAsSentencesAfterNotSent: every skip reason the builders write is a sentence that is
// true of each item skipped, read after "not sent: ": one reason per filter an item may fail, joined by
// "or"; a name left out is said as such, never "it is not one of your contacts except those named Bob".
func TestSkipReasonsReadAsSentencesAfterNotSent(t *testing.T) {
	tests := []struct{ program, want string }{
		{"Send 'Hi' to my contacts except Bob", "it is Bob, who is left out"},
		{"Send 'Hi' to my contacts except Bob and Carol", "it is Bob or Carol, who are left out"},
		{"Send 'Hi' to my contacts at acme.com", "it is not at acme.com"},
		{"Send 'Office closed on Friday' to my contacts at acme.com except Dave", "it is not at acme.com, or it is Dave, who is left out"},
		{"Send 'Hi' to my contacts named John", "it is not named John"},
		{"Send 'Hi' to my contacts whose name starts with A", `its name does not start with "A"`},
		{"Send 'Hi' to my contacts except those at acme.com", "it is one of those at acme.com, who are left out"},
		{"Send 'Hi' to my contacts at acme.com except bob@acme.com", "it is not at acme.com, or it is bob@acme.com, who is left out"},
		{"Send 'Hi' to my contacts at acme.com if I haven't emailed them this week", "it is not at acme.com, or you emailed them since Monday 23 November"},
		{"Send 'Hi' to my contacts who I emailed last week", "you have not emailed them between Monday 16 November and Sunday 22 November"},
		{"Send 'Hi' to bob@example.com if I haven't emailed him last month", "you emailed bob@example.com between Thursday 1 October and Saturday 31 October"},
		{"For each row in orders.csv where status is late, email the address in the email column saying 'Late'", `its status is not "late"`},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			send := mustStep(t, p, "send")
			if send.SkipReason != tt.want {
				t.Errorf("skip reason = %q, want %q", send.SkipReason, tt.want)
			}
		})
	}
}

// TestAnswerLabelsHaveNoStrayComma: an answer's label names the selection as one phrase: no comma
// between "at acme.com" and "except", and the exception after the clause on the email history.
func TestAnswerLabelsHaveNoStrayComma(t *testing.T) {
	tests := []struct{ program, want string }{
		{"Which of my contacts at acme.com except Dave haven't I emailed this week?", "your contacts at acme.com you have not emailed since Monday 23 November, except Dave"},
		{"Show me my contacts at acme.com except Dave", "your contacts at acme.com except Dave"},
		{"How many of my contacts at acme.com whose name starts with A haven't I emailed this week?", `how many of your contacts at acme.com whose name starts with "A" you have not emailed since Monday 23 November`},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			a := mustStep(t, p, "answer")
			if a.Answer.Label != tt.want {
				t.Errorf("label = %q, want %q", a.Answer.Label, tt.want)
			}
		})
	}
}

// TestReadBackSaysAnAnswerOnce: the answer is said once, from its value, not its label and then the
// value again in other words.
func TestReadBackSaysAnAnswerOnce(t *testing.T) {
	tests := []struct{ program, want string }{
		{"How many of my contacts have I not emailed this month?", "Answer with the number of your contacts you have not emailed since Sunday 1 November."},
		{"Which of my contacts are at acme.com?", "Answer with the list of your contacts at acme.com."},
		{"List my contacts", "Answer with the list of your contacts."},
		{"How many of my contacts did I email last month?", "Answer with the number of your contacts you have emailed between Thursday 1 October and Saturday 31 October."},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			got, ok := ReadBackConstructIn(p, *mustStep(t, p, "answer"), now)
			if !ok || got != tt.want {
				t.Errorf("read-back = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadBackNameCheckSaysThePlaceholderInWords: the check before a send with {first name} says it in
// words, not braces, and for one recipient says "the contact", not "every contact".
func TestReadBackNameCheckSaysThePlaceholderInWords(t *testing.T) {
	tests := []struct{ program, want string }{
		{"Send 'Hi {first name}' to my contacts", "Before sending, check that every contact it goes to has a name, to fill in their first name."},
		{"Send 'Hi {name}' to my contact Ann", "Before sending, check that the contact it goes to has a name, to fill in their name."},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			got, ok := ReadBackConstructIn(p, *mustStep(t, p, "check"), now)
			if !ok || got != tt.want || strings.ContainsAny(got, "{}") {
				t.Errorf("read-back = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRefuseMarksBeforeTheProgram: marks before a program ("***", or '***' in quotes) are refused with
// a reason, not quoted bare, and not called a message.
func TestRefuseMarksBeforeTheProgram(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"*** Send 'Hi' to bob@example.com", "***", "it is not a word; leave it out"},
		{"# Send 'Hi' to bob@example.com", "#", "it is not a word; leave it out"},
		{"'***' Send 'Hi' to bob@example.com", "'***'", "the quotes hold no letters or digits"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
}

// TestReadBackSaysAnAnswerOfAnotherShapeOnce: an answer the grammar does not write (a model's) is said
// once from its value, part by part where the filter is not the planner's, and without its label.
func TestReadBackSaysAnAnswerOfAnotherShapeOnce(t *testing.T) {
	p, err := plan.Parse([]byte(`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"},
	  {"id": "answer", "command": "", "answer": {"value": "${size(steps.contacts.contacts.filter(c, c.email.lowerAscii().endsWith('@acme.com') || c.name == 'Bob'))}", "kind": "number", "label": "acme people"}},
	  {"id": "answer_2", "command": "", "answer": {"value": "${size(steps.contacts.contacts) + 1}", "kind": "number", "label": "how many"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"answer":   `Answer with the number of your contacts where the contact's email address ends with "@acme.com" (ignoring case) or the contact's name is "Bob".`,
		"answer_2": "Answer with the number of your contacts (step 1) plus 1.",
	} {
		got, ok := ReadBackConstructIn(p, *mustStep(t, p, id), now)
		if !ok || got != want {
			t.Errorf("%s: read-back = %q, want %q", id, got, want)
		}
	}
}

// TestSkipReasonsOfTheEvalSetReadAsSentences: over every program of the evaluation set, each skip
// reason the builders write reads after "not sent: ": it starts with a word that begins a sentence about
// the item (it, its, you, there, the) or names who replied, and never lists the selection ("it is not
// one of your contacts except ...") or says "since X until Y".
func TestSkipReasonsOfTheEvalSetReadAsSentences(t *testing.T) {
	files, err := filepath.Glob("../eval/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no eval programs: %v", err)
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Program    string `json:"program"`
			CannotPlan bool   `json:"cannot_plan"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.CannotPlan {
			continue
		}
		p, err := (&Rules{}).Plan(context.Background(), c.Program, now)
		if err != nil {
			continue // a program that needs a zone or a question: not this test's
		}
		for _, s := range p.Steps {
			r := s.SkipReason
			if r == "" {
				continue
			}
			seen++
			first := strings.Fields(r)[0]
			starts := first == "it" || first == "its" || first == "you" || first == "there" || first == "the" || strings.HasSuffix(r, " replied") ||
				strings.Contains(first, ".") // a file: "todo.txt does not contain ..."
			if !starts || strings.Contains(r, "one of your") || strings.Contains(r, " until ") || strings.Contains(r, "${") {
				t.Errorf("%s: %q: skip reason %q does not read as a sentence after \"not sent: \"", filepath.Base(f), c.Program, r)
			}
		}
	}
	if seen < 20 {
		t.Errorf("only %d skip reasons in the eval set; want the test to see the builders' reasons", seen)
	}
}
