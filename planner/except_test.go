package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// The contacts the selection tests run over, as RetrieveContacts gives them, and the addresses the email
// history says were emailed in any period.
var (
	exceptContacts = []any{
		map[string]any{"name": "Bob Example", "email": "bob@example.com"},
		map[string]any{"name": "Bob Smith", "email": "bob@acme.com"},
		map[string]any{"name": "Carol Jones", "email": "carol@acme.com"},
		map[string]any{"name": "Dave", "email": "dave@example.org"},
		map[string]any{"name": "Ann Lee", "email": "ann@example.com"},
		map[string]any{"name": "Those People", "email": "those@example.net"},
	}
	exceptEmailed = []any{"bob@example.com", "carol@acme.com"}
)

// exceptPlan plans and compiles program, with the step outputs of exceptContacts and exceptEmailed.
func exceptPlan(t *testing.T, program string) (*plan.Plan, *plan.Compiled, map[string]any) {
	t.Helper()
	p := mustPlan(t, &Rules{}, program, now)
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, c, map[string]any{"contacts": map[string]any{"contacts": exceptContacts}, "history": map[string]any{"emailed": exceptEmailed}}
}

// exceptSentTo evaluates a plan's email step (the last step) as the interpreter does, over exceptContacts:
// the addresses it sends to.
func exceptSentTo(t *testing.T, program string) []string {
	t.Helper()
	p, c, steps := exceptPlan(t, program)
	send := p.Steps[len(p.Steps)-1].ID
	items, err := c.Items(send, plan.Scope{Now: now, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, it := range items {
		ok, err := c.Condition(send, plan.Scope{Now: now, Steps: steps, ItemName: "contact", Item: it})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			to = append(to, it.(map[string]any)["email"].(string))
		}
	}
	return to
}

// answerOf evaluates the answer of a question over exceptContacts.
func answerOf(t *testing.T, program string) any {
	t.Helper()
	p, c, steps := exceptPlan(t, program)
	v, err := c.ConstructValue(p.Steps[len(p.Steps)-1].ID, "value", plan.Scope{Now: now, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A filter word after "except" leaves out the group it describes; it never narrows the whole list (it
// did: "except those at acme.com" sent only to acme.com, minus a contact named "Those").
func TestExceptLeavesOutExactlyTheGroupItDescribes(t *testing.T) {
	const (
		bobEx, bobAcme, carol, dave, ann, those = "bob@example.com", "bob@acme.com", "carol@acme.com", "dave@example.org", "ann@example.com", "those@example.net"
	)
	for _, tc := range []struct {
		program string
		want    []string
	}{
		{"Send 'Hi' to my contacts except those named Bob", []string{carol, dave, ann, those}},
		{"Send 'Hi' to all my contacts except those at acme.com", []string{bobEx, dave, ann, those}},
		{"Send 'Hi' to my contacts except people at acme.com", []string{bobEx, dave, ann, those}},
		{"Send 'Hi' to my contacts except anyone at acme.com", []string{bobEx, dave, ann, those}},
		{"Send 'Hi' to my contacts except everyone at acme.com", []string{bobEx, dave, ann, those}},
		{"Send 'Hi' to my contacts except the ones at acme.com", []string{bobEx, dave, ann, those}},
		{"Send 'Hi' to my contacts except Bob and those at acme.com", []string{dave, ann, those}},
		{"Send 'Hi' to my contacts except those named Bob at acme.com", []string{bobEx, carol, dave, ann, those}},
		{"Send 'Hi' to my contacts except those at acme.com or example.org", []string{bobEx, ann, those}},
		{"Send 'Hi' to my contacts except those whose name starts with B", []string{carol, dave, ann, those}},
		{"Send 'Hi' to my contacts at acme.com except those named Bob", []string{carol}},
		{"Send 'Hi' to all my contacts except for Bob", []string{carol, dave, ann, those}},
		{"Send 'Hi' to all my contacts excluding Bob and Carol", []string{dave, ann, those}},
		{"Send 'Hi' to my contacts except those who I emailed this week", []string{bobAcme, dave, ann, those}},
		{"Send 'Hi' to my contacts except those I emailed this week", []string{bobAcme, dave, ann, those}},
		{"Send 'Hi' to my contacts except those who I haven't emailed this week", []string{bobEx, carol}},
		{"Send 'Hi' to my contacts except Dave and those who I emailed this week", []string{bobAcme, ann, those}},
		{"My contacts except Bob get 'Party!'", []string{carol, dave, ann, those}},
		{"Send 'Hi' to my contacts except Bob, thanks", []string{carol, dave, ann, those}},
		{"Please send 'Hi' to my contacts except those at acme.com, thanks", []string{bobEx, dave, ann, those}},
		// The neighbours that were right stay right.
		{"Send 'Hi' to all my contacts except Bob", []string{carol, dave, ann, those}},
		{"Send 'Hi' to my contacts at acme.com except Bob", []string{carol}},
		{"Send 'Hi' to all my contacts except bob@example.com and Carol", []string{bobAcme, dave, ann, those}},
		{"Send 'Hi' to my contacts named Bob except Bob Smith", []string{bobEx}},
	} {
		t.Run(tc.program, func(t *testing.T) {
			if got := exceptSentTo(t, tc.program); !slices.Equal(got, tc.want) {
				t.Errorf("sent to %q, want %q", got, tc.want)
			}
		})
	}
}

// A name ends before the words that are not part of it, so a question keeps its negation and a count
// its name: "named Bob haven't I emailed" was the name "Bob haven't", and "haven't" became "have".
func TestAQuestionsNameEndsBeforeItsVerb(t *testing.T) {
	for _, tc := range []struct {
		program string
		want    any
	}{
		{"How many of my contacts named Bob haven't I emailed this week?", float64(1)}, // Bob Smith
		{"How many contacts named Bob do I have?", float64(2)},
		{"How many of my contacts named Bob Example do I have?", float64(1)},
		{"How many of my contacts except Bob haven't I emailed this week?", float64(3)}, // Dave, Ann, Those
		{"How many of my contacts at acme.com except Bob haven't I emailed today?", float64(0)},
		{"How many of my contacts named Bob did I email last week?", float64(1)}, // Bob Example
		{"How many contacts except Bob and Carol do I have?", float64(3)},
		{"How many of my contacts except those at acme.com do I have?", float64(4)},
		{"Tell me how many contacts named Bob I have", float64(2)},
	} {
		t.Run(tc.program, func(t *testing.T) {
			if got := answerOf(t, tc.program); got != tc.want {
				t.Errorf("answer %v (%T), want %v", got, got, tc.want)
			}
		})
	}
}

// What cannot be read one way is refused with the part quoted and a reason: a word after a name that
// is not part of it, a filter that could describe the one left out or the whole list, and "except"
// followed by what is not whom to leave out.
func TestExceptAndNamesRefuseWhatTheyCannotRead(t *testing.T) {
	for _, tc := range []struct{ program, part, why string }{
		{"Send 'Hi' to all my contacts except Bob now", "now", "not part of the name Bob"},
		{"Send 'Hi' to all my contacts except Bob too", "too", "not part of the name Bob"},
		{"Send 'Hi' to all my contacts except Bob as well", "as well", "not part of the name Bob"},
		{"Send 'Hi' to all my contacts except Bob first", "first", "not part of the name Bob"},
		{"Send 'Hi' to all my contacts except Bob immediately", "immediately", "not part of the name Bob"},
		{"Send 'Hi' to all my contacts except Bob and Carol as usual", "as usual", "not part of the name Carol"},
		{"Email all my contacts except Bob now saying 'Hi'", "now", "not part of the name Bob"},
		{"Send 'Hi' to my contact Bob ASAP", "ASAP", "not part of the name Bob"},
		{"List my contacts named Bob right away", "right away", "not part of the name Bob"},
		{"Send 'Hi' to all my contacts except Bob at acme.com", "except Bob at acme.com", "describes"},
		{"Send 'Hi' to all my contacts at acme.com except Bob at example.org", "except Bob at example.org", "describes"},
		{"Send 'Hi' to my contacts except Bob at acme.com or example.org", "except Bob at acme.com or example.org", "describes"},
		{"Send 'Hi' to my contacts except Bob whose name starts with A", "except Bob whose name starts with A", "describes"},
		{"Send 'Hi' to my contacts except Bob named Carol", "except Bob named Carol", "describes"},
		{"Send 'Hi' to my contacts except Bob, who I emailed today", "except Bob, who I emailed today", "says something about Bob"},
		{"Send 'Hi' to my contacts except Bob who I emailed this week", "except Bob who I emailed this week", "says something about Bob"},
		{"Send 'Hi' to my contacts except bob@example.com at acme.com", "except bob@example.com at acme.com", "describes"},
		{"Send 'Hi' to my contacts except not Bob", "except not", "would bring them back"},
		{"Send 'Hi' to my contacts except those at acme.com and example.org", "and example.org", "example.org is a domain, not whom to leave out"},
		{"Send 'Hi' to my contacts except Bob and example.org", "and example.org", "example.org is a domain"},
		{"Send 'Hi' to my contacts except those at acme.com, who I emailed today", "except those at acme.com, who I emailed today", "belongs to \"those at acme.com\""},
		{"Send 'Hi' to my contacts except those at acme.com, named Bob", "except those at acme.com, named Bob", "belongs to \"those at acme.com\""},
		{"Send 'Hi' to my contacts except my contact Bob", "except my contact Bob", "except Bob (every contact named Bob)"},
		{"Send 'Hi' to my contacts except the first 2", "except the first 2", "leaving out the first N is not supported"},
		{"Send 'Hi' to my contacts except those", "those", "say which ones to leave out"},
		{"Send 'Hi' to my contacts except those at acme.com who I emailed today", "those at acme.com who I emailed today", "not both"},
		{"Send 'Hi' to my contacts except those who I emailed this week if I haven't emailed them today", "who I emailed this week", "already has a condition"},
	} {
		t.Run(tc.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tc.program, now)
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) {
				t.Fatalf("error = %v, want a NotUnderstoodError quoting %q", err, tc.part)
			}
			why := strings.ReplaceAll(err.Error(), "says which Bob to leave out or which contacts get the email", "describes")
			why = strings.ReplaceAll(why, "says which bob@example.com to leave out or which contacts get the email", "describes")
			if nu.Part != tc.part || !strings.Contains(why, tc.why) {
				t.Errorf("Part = %q (want %q), error %q (want it to say %q)", nu.Part, tc.part, firstLineOf(err.Error()), tc.why)
			}
		})
	}
}

// An email address is never a file: "Save 'Hi' to bob@example.com" is refused, and "Write 'Hi' to
// bob@example.com" is the email verb write (docs/english.md), which sends it.
func TestAnAddressIsNeverAFile(t *testing.T) {
	for _, program := range []string{
		"Save 'Hi' to bob@example.com",
		"Write 'Hi' to the file bob@example.com",
		"Read bob@example.com and email it to ann@example.com",
		"Summarize bob@example.com and email the summary to ann@example.com",
	} {
		t.Run(program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), program, now)
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) || nu.Part != "bob@example.com" || !strings.Contains(err.Error(), "is an email address, not a file") {
				t.Fatalf("error = %v, want bob@example.com refused as an address, not a file", err)
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Write 'Hi' to bob@example.com", now)
	send := mustStep(t, p, "send")
	if len(p.Steps) != 2 || send.Command != "SendEmail" || send.Args["to"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("Write 'Hi' to bob@example.com: %s, want the message sent to bob@example.com", planJSON(t, p))
	}
}

// A result named by its words after two steps made one, neither used yet, could be either: refused like
// "it"; once the first is used, the words name the latest.
func TestTheSummaryAfterTwoSummariesIsRefused(t *testing.T) {
	_, err := (&Rules{}).Plan(context.Background(), "Summarize todo.txt. Summarize notes.md. Email the summary to bob@example.com", now)
	var nu *NotUnderstoodError
	if !errors.As(err, &nu) || nu.Part != "the summary" || !strings.Contains(err.Error(), "could be step 2's or step 4's") {
		t.Fatalf("error = %v, want \"the summary\" refused as step 2's or step 4's", err)
	}
	p := mustPlan(t, &Rules{}, "Summarize todo.txt and email the summary to ann@example.com. Summarize notes.md and email the summary to bob@example.com", now)
	if last := p.Steps[len(p.Steps)-1]; last.Args["body"] != "${steps.summarize_2.summary}" {
		t.Fatalf("the second email sends %v, want the second summary: %s", last.Args["body"], planJSON(t, p))
	}
}

// A condition on a label the classify step cannot give could never hold: refused, naming the labels.
func TestALabelConditionNamesOnlyTheClassifysLabels(t *testing.T) {
	for _, program := range []string{
		"Classify mail.txt as urgent or normal. If the label is important, send 'Look' to bob@example.com",
		"Classify mail.txt as urgent or normal. If the label is not important, send 'Look' to bob@example.com",
		"Classify mail.txt as urgent or normal. If the label contains 'urg', send 'Look' to bob@example.com",
	} {
		t.Run(program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), program, now)
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) || !strings.Contains(err.Error(), `the label can only be "urgent" or "normal"`) {
				t.Fatalf("error = %v, want the labels named", err)
			}
		})
	}
	p := mustPlan(t, &Rules{}, "Classify mail.txt as urgent or normal. If the label is Urgent, send 'Look' to bob@example.com", now)
	if send := p.Steps[len(p.Steps)-1]; !strings.Contains(send.If, `== "urgent"`) {
		t.Fatalf("if = %q, want the label compared with urgent", send.If)
	}
}
