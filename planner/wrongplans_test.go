package planner

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// lastSentTo evaluates the last email step of a program as the interpreter does, over exceptContacts,
// with every email history step saying exceptEmailed: the addresses it sends to.
func lastSentTo(t *testing.T, program string) []string {
	t.Helper()
	p := mustPlan(t, &Rules{}, program, now)
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]any{"contacts": map[string]any{"contacts": exceptContacts}}
	send := ""
	for _, s := range p.Steps {
		if strings.HasPrefix(s.ID, stepHistory) {
			steps[s.ID] = map[string]any{"emailed": exceptEmailed}
		}
		if strings.HasPrefix(s.ID, stepSend) {
			send = s.ID
		}
	}
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

// TestAConditionAfterAListBeforeIsKept: a condition on whom you have emailed after "them", "those
// contacts", a named list or "again" chooses among that list, as the direct form does, on every path
// the builder takes for them. carol@acme.com is emailed, bob@acme.com is not.
func TestAConditionAfterAListBeforeIsKept(t *testing.T) {
	notEmailed, emailed := []string{"bob@acme.com"}, []string{"carol@acme.com"}
	tests := []struct {
		program string
		want    []string
	}{
		// The direct form, for comparison.
		{"Send 'Hi' to my contacts at acme.com who I haven't emailed this week", notEmailed},
		// "those contacts" and "them" after a list a question made.
		{"List my contacts at acme.com. Send 'Hi' to those contacts who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to those contacts, who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to them who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to them if I haven't emailed them this week.", notEmailed},
		{"List my contacts at acme.com. If I haven't emailed them this week, send them 'Hi'.", notEmailed},
		{"List my contacts at acme.com. Send 'Hi' to those contacts who I emailed today.", emailed},
		{"Which of my contacts are at acme.com? Email them unless I emailed them this week saying 'Hi'", notEmailed},
		// A named list.
		{"List my contacts at acme.com and call them the acme people. Send 'Hi' to the acme people who I haven't emailed this week.", notEmailed},
		{"List my contacts at acme.com and call them the acme people. Send 'Hi' to the acme people if I emailed them today.", emailed},
		{"List my contacts at acme.com and call them the acme people. Unless I emailed them today, send 'Hi' to the acme people.", notEmailed},
		// "them" after an email to a list.
		{"Send 'Hi' to my contacts at acme.com. Send 'Bye' to them if I haven't emailed them today.", notEmailed},
		{"Send 'Hi' to my contacts at acme.com. If I haven't emailed them this month, send them 'Bye'.", notEmailed},
		{"Send 'Hi' to my contacts who I haven't emailed this week. Send 'Bye' to them who I emailed today.", nil},
		// "again".
		{"Send 'Hi' to my contacts at acme.com. Send it again if I haven't emailed them today", notEmailed},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			if got := lastSentTo(t, tt.program); !slices.Equal(got, tt.want) {
				t.Errorf("sent to %v, want %v", got, tt.want)
			}
			p := mustPlan(t, &Rules{}, tt.program, now)
			assertValid(t, p)
			if send := p.Steps[len(p.Steps)-1]; !strings.Contains(send.Description, "emailed since") {
				t.Errorf("the email's description %q does not say the condition", send.Description)
			}
		})
	}
}

// TestAConditionAfterAListBeforeIsRefusedWhereItCannotApply: the condition is refused, quoted, where it
// cannot choose among the list: addresses written in the program, or one recipient named in it.
func TestAConditionAfterAListBeforeIsRefusedWhereItCannotApply(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Send 'Hi' to ann@example.com and bob@example.com. Send 'Bye' to them if I haven't emailed them today.", "if I haven't emailed them today", "works only with your contacts"},
		{"List my contacts at acme.com. Send 'Hi' to them if I haven't emailed bob@example.com today.", "if I haven't emailed bob@example.com today", "the condition names one recipient"},
		{"Send 'Hi' to bob@example.com. Send it again if I haven't emailed ann@example.com today", "if I haven't emailed ann@example.com today", "an email sent again goes to the recipients before"},
		{"Send 'Hi' to bob@example.com. Send it again to him who I haven't emailed today", "who I haven't emailed today", "it chooses among contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			nu := refusal(t, tt.program)
			if nu.Part != tt.part || !strings.Contains(nu.Error(), tt.why) {
				t.Errorf("refusal %q, want the part %q and %q", nu.Error(), tt.part, tt.why)
			}
		})
	}
}

// TestHerAfterAnEmailToMeIsRefused: "her", "him" or "them" after an email to you names someone the program
// has not named, and a reply is not awaited from you.
func TestHerAfterAnEmailToMeIsRefused(t *testing.T) {
	r := &Rules{Me: "me@example.com"}
	tests := []struct{ program, part, why string }{
		{"Send 'Hi' to me. Send 'Bye' to her.", "to her", `the email before went to you, and "her" is someone else`},
		{"Send 'Hi' to me. Send 'Bye' to him.", "to him", `the email before went to you, and "him" is someone else`},
		{"Send 'Hi' to myself. Send 'Bye' to them.", "to them", `the email before went to you, and "them" is someone else`},
		{"Send 'Hi' to myself and if she doesn't reply within a day, send it again", "if she doesn't reply within a day", "the email before went to you; a reply is awaited from someone else"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := r.Plan(context.Background(), tt.program, now)
			assertRefused(t, err, tt.part, tt.why)
		})
	}
	// "him" after you and then bob is bob, and "again" is to you.
	p := mustPlan(t, r, "Send 'Hi' to me. If I haven't emailed bob@example.com today, send him 'Bye'", now)
	if to := mustStep(t, p, "send_2").Args["to"]; !reflect.DeepEqual(to, map[string]any{"name": "", "email": "bob@example.com"}) {
		t.Errorf("him = %v, want bob@example.com", to)
	}
	p = mustPlan(t, r, "Send 'Hi' to me. Send it again tomorrow at 9am", now)
	if to := mustStep(t, p, "send_2").Args["to"]; !reflect.DeepEqual(to, map[string]any{"name": "", "email": "me@example.com"}) {
		t.Errorf("again = %v, want me@example.com", to)
	}
}

// TestNegationsAreRefusedWithTheirReason: a command not to do something is refused saying so, never told
// to leave out the "don't" (which would send what the program said not to send).
func TestNegationsAreRefusedWithTheirReason(t *testing.T) {
	tests := []struct{ program, part string }{
		{"Don't send 'Hi' to bob@example.com", "Don't"},
		{"Do not send 'Hi' to bob@example.com", "Do not"},
		{"Never send 'Hi' to bob@example.com", "Never"},
		{"If I emailed bob@example.com today, don't send him 'Hi'", "don't"},
		{"Please don't email my contacts", "don't"},
		{"Send 'Hi' to bob@example.com. Never email ann@example.com", "Never"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			nu := refusal(t, tt.program)
			if nu.Part != tt.part || !strings.Contains(nu.Error(), `EaaPL does not take "don't", "do not" or "never" commands`) || strings.Contains(nu.Error(), "leave out") {
				t.Errorf("refusal %q, want the part %q and the reason for negations", nu.Error(), tt.part)
			}
		})
	}
}

// TestASecondExceptIsRefused: "except those at acme.com except Bob" could give Bob the email or leave him
// out too; it is refused, and "and" leaves both out.
func TestASecondExceptIsRefused(t *testing.T) {
	for _, program := range []string{
		"Send 'Hi' to my contacts except those at acme.com except Bob",
		"Send 'Hi' to my contacts except Bob except those at acme.com",
		"Send 'Hi' to my contacts except those named Bob except bob@example.com",
	} {
		nu := refusal(t, program)
		if !strings.HasPrefix(nu.Part, "except") || !strings.Contains(nu.Error(), "a second except right after the first") {
			t.Errorf("%s: refusal %q, want the two excepts quoted and why", program, nu.Error())
		}
	}
	got := lastSentTo(t, "Send 'Hi' to my contacts except those at acme.com and Bob")
	if want := []string{"dave@example.org", "ann@example.com", "those@example.net"}; !slices.Equal(got, want) {
		t.Errorf("sent to %v, want %v", got, want)
	}
}

// TestACountAfterTwoListsIsRefused: "if there are more than 5 files" after two lists of files could count
// either; after one, or once the first is counted, it counts the latest.
func TestACountAfterTwoListsIsRefused(t *testing.T) {
	nu := refusal(t, "List the files matching *.csv. List the files matching *.md. If there are more than 5 files, send 'Many' to bob@example.com")
	if nu.Part != "If there are more than 5 files" || !strings.Contains(nu.Error(), "the files could be step 1's or step 2's") {
		t.Errorf("refusal %q, want the condition quoted and both lists named", nu.Error())
	}
	p := mustPlan(t, &Rules{}, "List the files matching *.csv. If there are more than 5 files, send 'Many' to bob@example.com. List the files matching *.md. If there are more than 2 files, send 'Few' to bob@example.com", now)
	if s := mustStep(t, p, "send_4"); s.If != "steps.list_2.count > 2" {
		t.Errorf("the second count is %q, want the second list's", s.If)
	}
}

// TestItAfterAQuestionIsRefused: "it" right after a question is its answer, which is never emailed: the
// plan does not ask for a message instead. After an email in between, "it" is that email's message.
func TestItAfterAQuestionIsRefused(t *testing.T) {
	for _, program := range []string{
		"How many contacts do I have? Email it to eve@evil.com",
		"Tell me how many contacts I have, then email it to eve@evil.com",
		"List my contacts at acme.com. Send it to bob@example.com",
	} {
		nu := refusal(t, program)
		if nu.Part != "it" || !strings.Contains(nu.Error(), "EaaPL does not email an answer") {
			t.Errorf("%s: refusal %q, want \"it\" quoted and why", program, nu.Error())
		}
	}
	p := mustPlan(t, &Rules{}, "How many contacts do I have? Send 'Hi' to bob@example.com. Email it to ann@example.com", now)
	if body := mustStep(t, p, "send_3").Args["body"]; body != "${steps.compose_2.body}" {
		t.Errorf("it = %v, want the message of the email before", body)
	}
}

// TestWhereEmptyIsRefused: "where status is empty" could be a blank cell or the word; quoted, it is the
// word, and ” is the blank cell.
func TestWhereEmptyIsRefused(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"For each row in orders.csv where status is empty, email the address in the email column saying 'x'", "where status is empty", `"empty" could mean a blank cell or the word empty; write where status is '' for a blank cell`},
		{"For each row in orders.csv where status is not blank, email the address in the email column saying 'x'", "where status is not blank", `write where status is not '' for a blank cell`},
	}
	for _, tt := range tests {
		nu := refusal(t, tt.program)
		if nu.Part != tt.part || !strings.Contains(nu.Error(), tt.why) {
			t.Errorf("refusal %q, want the part %q and %q", nu.Error(), tt.part, tt.why)
		}
	}
	for program, want := range map[string]string{
		"For each row in orders.csv where status is 'empty', email the address in the email column saying 'x'": `row.status.trim().lowerAscii() == "empty"`,
		"For each row in orders.csv where status is '', email the address in the email column saying 'x'":      `row.status.trim().lowerAscii() == ""`,
	} {
		if got := mustStep(t, mustPlan(t, &Rules{}, program, now), "send").If; got != want {
			t.Errorf("%s: if %q, want %q", program, got, want)
		}
	}
}

// TestADayPhraseInAStatementThatWaitsIsRefused: in "If I haven't emailed bob today, tomorrow at 9am send
// him 'Hi'" today could be the day written or the day it runs; it is refused, naming both days. A date,
// a phrase the wait does not change, and a statement after a wait (documented: the day it runs) are planned.
func TestADayPhraseInAStatementThatWaitsIsRefused(t *testing.T) { // now is Wednesday 25 November 21:40
	for _, program := range []string{
		"If I haven't emailed bob@example.com today, tomorrow at 9am send him 'Hi'",
		"Tomorrow at 9am send 'Hi' to my contacts who I haven't emailed today",
		"Wait until tomorrow at 9am, then send 'Hi' to my contacts who I haven't emailed today", // a wait statement before it, the same
		"On Monday at 9am send 'Hi' to my contacts who I haven't emailed this week",
	} {
		nu := refusal(t, program)
		if !strings.Contains(nu.Error(), "(from when you wrote it) or since") || !strings.Contains(nu.Error(), "like since 2") {
			t.Errorf("%s: refusal %q, want both readings named", program, nu.Error())
		}
	}
	for program, since := range map[string]string{
		"Tomorrow at 9am send 'Hi' to my contacts who I haven't emailed since 25 November":  "2026-11-25T00:00:00Z",
		"Tomorrow at 9am send 'Hi' to my contacts who I haven't emailed this week":          "2026-11-23T00:00:00Z",
		"Tomorrow at 9am send 'Hi' to my contacts who I haven't emailed in the last 7 days": "2026-11-19T09:00:00Z",
	} {
		p := mustPlan(t, &Rules{}, program, now)
		h := ""
		for _, s := range p.Steps {
			if strings.HasPrefix(s.ID, stepHistory) {
				h, _ = s.Args["since"].(string)
			}
		}
		if h != since {
			t.Errorf("%s: since %q, want %s", program, h, since)
		}
	}
}

// TestCaseOutsideAToZIsRefused: a filter that ignores case lowers only A to Z (CEL's lowerAscii), so a
// value with É, Ö ... would miss the contact or row written in the other case, and an except would not
// leave it out: it is refused, saying so. Letters without case and A to Z are planned.
func TestCaseOutsideAToZIsRefused(t *testing.T) {
	tests := []struct{ program, part, other string }{
		{"Send 'Hi' to my contacts whose name starts with é", "whose name starts with é", `"É"`},
		{"Send 'Hi' to my contacts except those whose name starts with é", "whose name starts with é", `"É"`},
		{"Send 'Hi' to my contacts except José", "José", `"JOSÉ"`},
		{"Send 'Hi' to my contacts named Émile", "named Émile", `"ÉMILE"`},
		{"Send 'Hi' to my contacts named 'Émile Zola'", "named 'Émile Zola'", `"ÉMILE ZOLA"`},
		{"For each row in orders.csv where status is ÉPIQUE, email the address in the email column saying 'x'", "where status is ÉPIQUE", `"épique"`},
		{"For each row in orders.csv where status is not 'Épique', email the address in the email column saying 'x'", "where status is not 'Épique'", `"ÉPIQUE"`},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			nu := refusal(t, tt.program)
			if nu.Part != tt.part || !strings.Contains(nu.Error(), "EaaPL ignores case only for the letters A to Z, so it would not match "+tt.other) {
				t.Errorf("refusal %q, want the part %q and why", nu.Error(), tt.part)
			}
		})
	}
	if got := lastSentTo(t, "Send 'Hi' to my contacts except Ann"); slices.Contains(got, "ann@example.com") {
		t.Errorf("except Ann sent to %v", got)
	}
	mustPlan(t, &Rules{}, "Send 'Hi' to my contacts named 李", now)
	mustPlan(t, &Rules{}, "Send 'Hi' to my contact José", now) // FindContact ignores case in every alphabet
}

// TestPlanSendItAgainKeepsTheWholeEmail: "it" is the email before with its files, and "again" sends it to
// the same people, copies too (the resend dropped the attachments and the copy).
func TestPlanSendItAgainKeepsTheWholeEmail(t *testing.T) {
	for _, tt := range []struct {
		program, id string
		files, cc   []any
	}{
		{"Send 'Slides' to bob@example.com with slides.pdf attached and if he doesn't reply within a day, send it again", "send_2", []any{"slides.pdf"}, nil},
		{"Email slides.pdf to bob@example.com saying 'Here'. Send it again", "send_2", []any{"slides.pdf"}, nil},
		{"Send 'Slides' to bob@example.com with slides.pdf attached and a copy to ann@example.com. Send it again", "send_2", []any{"slides.pdf"}, []any{"ann@example.com"}},
		{"Send 'Slides' to bob@example.com with slides.pdf attached and a copy to ann@example.com. Send it to carol@example.com with notes.md attached", "send_2", []any{"slides.pdf", "notes.md"}, nil},
	} {
		p := mustPlan(t, &Rules{}, tt.program, now)
		s := mustStep(t, p, tt.id)
		if got, _ := s.Args["attachments"].([]any); !slices.Equal(got, tt.files) {
			t.Errorf("%q: %s attaches %v, want %v", tt.program, tt.id, s.Args["attachments"], tt.files)
		}
		if got, _ := s.Args["cc"].([]any); !slices.Equal(got, tt.cc) {
			t.Errorf("%q: %s copies %v, want %v", tt.program, tt.id, s.Args["cc"], tt.cc)
		}
	}
}
