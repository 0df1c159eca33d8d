package planner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

// refusal plans a program that must be refused and returns the NotUnderstoodError.
func refusal(t *testing.T, program string) *NotUnderstoodError {
	t.Helper()
	p, err := (&Rules{}).Plan(context.Background(), program, now)
	if err == nil {
		t.Fatalf("planned %q, want a refusal:\n%s", program, planJSON(t, p))
	}
	var nu *NotUnderstoodError
	if !errors.As(err, &nu) {
		t.Fatalf("%q: error %v is a %T, want a *NotUnderstoodError", program, err, err)
	}
	return nu
}

func TestARefusalAtAStatementsStartQuotesTheWordsAndSaysWhy(t *testing.T) {
	tests := []struct {
		program, part, why string
	}{
		// A word that could be a verb, and is none of EaaPL's: the word alone, wherever the statement starts.
		{"Notify everyone in my contacts saying 'Hi'", "Notify", `EaaPL does not know the verb "Notify"; its verbs are send, email`},
		{"Text bob@example.com 'Hi'", "Text", `EaaPL does not know the verb "Text"`},
		{"Delete all the emails I sent to bob@example.com", "Delete", `EaaPL does not know the verb "Delete"`},
		{"Forward my last email to bob@example.com", "Forward", `EaaPL does not know the verb "Forward"`},
		{"Tomorrow at 9am notify bob@example.com", "notify", `EaaPL does not know the verb "notify"`},
		{"Send 'Hi' to bob@example.com, then notify ann@example.com", "notify", `EaaPL does not know the verb "notify"`},
		{"Send 'A' to bob@example.com. Notify ann@example.com", "Notify", `EaaPL does not know the verb "Notify"`},
		{"Read todo.txt and print it", "print", `EaaPL does not know the verb "print"`},
		// A question EaaPL does not answer: the question word.
		{"What's the weather like in Paris?", "What's", "the questions EaaPL answers are about your contacts"},
		{"Who is Bob?", "Who", "the questions EaaPL answers are about your contacts"},
		{"Which files are big?", "Which files", "the questions EaaPL answers are about your contacts"},
		// Words before the verb that are not a verb: left out, not called a verb.
		{"Could you maybe email bob@example.com saying 'Hi'", "maybe", `the verb comes first: leave out the words before "email"`},
		{"We should email bob@example.com saying 'Hi'", "We should", `the verb comes first: leave out the words before "email"`},
		{"Ann, send her 'Hi'", "Ann", `the verb comes first: leave out the words before "send"`},
		{"I love you", "I love you", "EaaPL finds no verb it knows in it; its verbs are send"},
		// Contacts, an address or a message with nothing to do.
		{"Each of my contacts 'Hi'", "Each of my contacts", "it does not say what to do with them; write Send '<message>' to each of my contacts, or each of my contacts gets '<message>'"},
		{"My contacts at acme.com 'Hi'", "My contacts at acme.com", "or my contacts at acme.com get '<message>'"},
		{"bob@example.com 'Hi'", "bob@example.com 'Hi'", "write Send '<message>' to bob@example.com, or bob@example.com gets '<message>'"},
		{"'Hi' to bob@example.com", "'Hi' to bob@example.com", "put the verb first, like Send 'Hi' to bob@example.com"},
		{"bob@localhost 'Hi'", "bob@localhost", "not an email address EaaPL accepts"},
		// A word EaaPL knows, that starts other phrases than this one.
		{"Send 'Hi' to bob@example.com, then call Bob", "then call Bob", `EaaPL knows "call" only as the start of call them, call those, call it`},
		{"Get the weather", "Get the weather", `EaaPL knows "get" only as the start of get the page {url}`},
		{"Let everyone know 'Hi'", "Let everyone know 'Hi'", `EaaPL knows "let" only as the start of let <recipients> know`},
		{"Summarize my inbox and send the summary to bob@example.com", "my inbox", `"summarize {text}" needs its text: a quotation, a file name`},
		// A condition EaaPL does not know, wherever it stands.
		{"Send 'Hello' to my contact Ann if possible", "if possible", "the conditions EaaPL knows are: if I haven't emailed them <time>"},
		{"If Bob replies, send 'Hi' to ann@example.com", "If Bob replies", "the conditions EaaPL knows are"},
		// A schedule after the first statement.
		{"Send 'Hi' to bob@example.com, then every Monday at 9am send 'Hi' to bob@example.com", "then every Monday at 9am", "a schedule goes at the start of the program"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			nu := refusal(t, tt.program)
			if nu.Part != tt.part {
				t.Errorf("Part = %q, want %q (error: %v)", nu.Part, tt.part, nu)
			}
			if !strings.Contains(nu.Error(), tt.why) {
				t.Errorf("error does not say %q:\n%v", tt.why, nu)
			}
		})
	}
}

func TestARefusalCallsAWordAVerbOnlyWhenItCouldBeOne(t *testing.T) {
	// A wrong reason is worse than none: these start with no verb EaaPL knows, and none is a verb.
	for _, program := range []string{
		"Could you maybe email bob@example.com saying 'Hi'",
		"I need to send 'Hi' to bob@example.com",
		"Hey there, send 'Hi' to bob@example.com?",
		"We should email bob@example.com saying 'Hi'",
		"What's the weather like in Paris?",
		"Ann, send her 'Hi'",
		"Ann and Bob, send them 'Hi'",
		"For my friends, send 'Hi'",
		"When Bob replies, send 'Hi' to ann@example.com",
		"My friends 'Hi'",
		"Everyone 'Hi'",
		"5 emails to bob@example.com",
		"Is Bob in my contacts?",
		"Tomorrow at 9am Ann gets 'Hi'",
	} {
		t.Run(program, func(t *testing.T) {
			if nu := refusal(t, program); strings.Contains(nu.Error(), "does not know the verb") {
				t.Errorf("calls a word that is not a verb a verb:\n%v", nu)
			}
		})
	}
}

func TestTheUnknownVerbRefusalListsTheLanguagesVerbs(t *testing.T) {
	l := currentLanguage()
	msg := refusal(t, "Notify bob@example.com").Error()
	_, list, _ := strings.Cut(msg, "its verbs are ")
	list, _, _ = strings.Cut(list, ";")
	verbs := strings.Split(strings.TrimSuffix(list, ", and wait")+", wait", ", ")
	// Every verb of the registry's commands and the first word of every statement of theirs is listed.
	for _, s := range catalog.Specs() {
		for _, v := range s.Forms.Verbs {
			if !listed(verbs, strings.Fields(v)[0]) {
				t.Errorf("the verb %q of %s is not in the list %q", v, s.Name, list)
			}
		}
	}
	for _, st := range l.statements {
		if !st.iterates() && !listed(verbs, st.parts[0].word) {
			t.Errorf("the statement %q is not in the list %q", st.text, list)
		}
	}
	// Every verb listed is one: a program that starts with it is not refused for an unknown verb.
	for _, v := range verbs {
		_, err := (&Rules{}).Plan(context.Background(), v+" zzz-qq", now)
		if err != nil && strings.Contains(err.Error(), "does not know the verb") {
			t.Errorf("%q is listed as a verb, and a statement that starts with it is refused for an unknown verb: %v", v, err)
		}
	}
}

func listed(verbs []string, first string) bool {
	for _, v := range verbs {
		if strings.Fields(v)[0] == first {
			return true
		}
	}
	return false
}

func TestTheExamplesTheReasonsGiveAreUnderstood(t *testing.T) {
	// A reason that suggests a program the planner refuses sends the person round in circles.
	programs := []string{
		// whyQuestion
		"Which of my contacts haven't I emailed this week?",
		"How many of my contacts are at acme.com?",
		"Who haven't I emailed this month?",
		// "are at <domain>" after a filter
		"Which of my contacts are at acme.com?",
		"Which of my contacts at acme.com haven't I emailed this week?",
		// a message or contacts with nothing to do, words before the verb
		"Send 'Hi' to bob@example.com",
		"Send 'Hi' to each of my contacts",
		"Each of my contacts gets 'Hi'",
		"My contacts at acme.com get 'Hi'",
		"bob@example.com gets 'Hi'",
		// say who gets it
		"Everyone in my contacts gets 'Hi'",
		"My contacts at acme.com get 'Hi'",
		"My contact Ann gets 'Hi'",
		// a schedule after the first statement
		"Every Monday at 9am, send 'Hi' to bob@example.com",
		// a quoted name
		"Send 'Hi' to my contacts named 'Ann Lee'",
	}
	if !strings.Contains(whyQuestion, programs[0]) || !strings.Contains(whyQuestion, programs[1]) || !strings.Contains(whyQuestion, programs[2]) {
		t.Fatalf("whyQuestion %q no longer gives the examples tested here", whyQuestion)
	}
	for _, program := range programs {
		if _, err := (&Rules{}).Plan(context.Background(), program, now); err != nil {
			t.Errorf("a reason suggests %q, which is refused: %v", program, err)
		}
	}
}
