package planner

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// samePlan plans both programs and fails unless their plans are the same, apart from the program text,
// the descriptions and the step ids ("send" or "send_2"): the steps are named by their order.
func samePlan(tb testing.TB, program, like string) {
	tb.Helper()
	got, want := mustPlan(tb, &Rules{}, program, now), mustPlan(tb, &Rules{}, like, now)
	assertValid(tb, got)
	if g, w := sameSteps(tb, got), sameSteps(tb, want); g != w {
		tb.Fatalf("plan of %q:\n%s\nwant the plan of %q:\n%s", program, g, like, w)
	}
}

// sameSteps is the plan's JSON without its program and descriptions, its steps named s1, s2 ... in order.
func sameSteps(tb testing.TB, p *plan.Plan) string {
	tb.Helper()
	p.Program = ""
	ids := make([]string, len(p.Steps))
	for i := range p.Steps {
		p.Steps[i].Description = ""
		ids[i] = p.Steps[i].ID
	}
	text := planJSON(tb, p)
	// The longest id first, so that "send_2" is renamed before "send".
	order := slices.Clone(ids)
	slices.SortFunc(order, func(a, b string) int { return len(b) - len(a) })
	for _, id := range order {
		n := strconv.Itoa(slices.Index(ids, id) + 1)
		text = strings.ReplaceAll(text, `"`+id+`"`, `"s`+n+`"`)
		text = strings.ReplaceAll(text, "steps."+id+".", "steps.s"+n+".")
	}
	return text
}

func TestPoliteWordsAddNothing(t *testing.T) {
	tests := []struct{ program, like string }{
		{"Please send 'Hi' to bob@example.com", "Send 'Hi' to bob@example.com"},
		{"Could you please email bob@example.com saying 'Hi'?", "Email bob@example.com saying 'Hi'"},
		{"Could you email bob@example.com saying 'Hi'", "Email bob@example.com saying 'Hi'"},
		{"Can you send 'Hi' to each of my contacts?", "Send 'Hi' to each of my contacts"},
		{"Hey, can you send everyone on my contact list a message saying 'Party'? Thanks!", "Send everyone on my contact list a message saying 'Party'"},
		{"Would you please send 'Hi' to bob@example.com", "Send 'Hi' to bob@example.com"},
		{"Just email carol@example.com: 'Call me'", "Email carol@example.com: 'Call me'"},
		{"I want to send 'Dues' to all of my contacts", "Send 'Dues' to all of my contacts"},
		{"I'd like to send 'Dues' to all of my contacts", "Send 'Dues' to all of my contacts"},
		{"I would like to send 'Dues' to all of my contacts", "Send 'Dues' to all of my contacts"},
		{"Send 'Hi' to bob@example.com please", "Send 'Hi' to bob@example.com"},
		{"Send 'Hi' to bob@example.com, please.", "Send 'Hi' to bob@example.com"},
		{"Send 'Hi' to bob@example.com, thanks", "Send 'Hi' to bob@example.com"},
		{"Send 'Hi' to bob@example.com. Thank you!", "Send 'Hi' to bob@example.com"},
		// At the start of every statement, and before the other kinds of statement.
		{"Send 'A' to bob@example.com, then please send 'B' to ann@example.com", "Send 'A' to bob@example.com, then send 'B' to ann@example.com"},
		{"Please list my contacts at acme.com", "List my contacts at acme.com"},
		{"Can you tell me how many contacts I have?", "Tell me how many contacts I have"},
		{"Please wait 10 minutes, then send 'Ready?' to bob@example.com", "Wait 10 minutes, then send 'Ready?' to bob@example.com"},
		{"Please, every Monday at 9am, send 'Hi' to bob@example.com", "Every Monday at 9am, send 'Hi' to bob@example.com"},
		{"Could you summarize notes.md and email the summary to bob@example.com? Thanks", "Summarize notes.md and email the summary to bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) { samePlan(t, tt.program, tt.like) })
	}
}

func TestOtherVerbsSendTheSameEmail(t *testing.T) {
	tests := []struct{ program, like string }{
		{"Mail bob@example.com saying 'Hi'", "Email bob@example.com saying 'Hi'"},
		{"Mail my contacts at acme.com 'Hi'", "Email my contacts at acme.com 'Hi'"},
		{"Tell ann@example.com 'Thanks for yesterday'", "Send 'Thanks for yesterday' to ann@example.com"},
		{"Tell my contacts 'Hi'", "Send 'Hi' to my contacts"},
		{"Say 'Hi there' to ann@example.com", "Send 'Hi there' to ann@example.com"},
		{"Let all my contacts know: 'Closed on Friday'", "Send 'Closed on Friday' to all my contacts"},
		{"Let bob@example.com and ann@example.com know 'Late'", "Send 'Late' to bob@example.com and ann@example.com"},
		{"Shoot a quick note to ann@example.com saying 'Running late'", "Send 'Running late' to ann@example.com"},
		{"Shoot an email to ann@example.com saying 'Running late'", "Send 'Running late' to ann@example.com"},
		{"Drop a note to ann@example.com saying 'Running late'", "Send 'Running late' to ann@example.com"},
		{"Drop ann@example.com a line saying 'Running late'", "Send 'Running late' to ann@example.com"},
		{"Shoot my contact Ann a quick note saying 'Hi'", "Send 'Hi' to my contact Ann"},
		{"Write to bob@example.com: 'See you'", "Send 'See you' to bob@example.com"},
		{"Send the message 'Welcome aboard!' to new.hire@example.com with the subject line 'Welcome'", "Send 'Welcome aboard!' to new.hire@example.com with the subject 'Welcome'"},
		{"Email bob@example.com the message 'Hi'", "Send 'Hi' to bob@example.com"},
		// "tell him" after the verb, or a statement that only says the message, is the email's message.
		{"Email bob@example.com and tell him 'Moved to 3pm'", "Send 'Moved to 3pm' to bob@example.com"},
		{"Email my contact Ann and tell her 'Hi'", "Send 'Hi' to my contact Ann"},
		{"Email my contacts and tell them 'Hi'", "Send 'Hi' to my contacts"},
		{"Email ann@example.com. Say 'Hi there'.", "Send 'Hi there' to ann@example.com"},
		{"Email ann@example.com. Tell her 'Hi there'.", "Send 'Hi there' to ann@example.com"},
		{"Email my contacts at acme.com. Tell them 'Closed'.", "Send 'Closed' to my contacts at acme.com"},
		{"Tomorrow at 8am email ann@example.com with the subject 'Hello'. Say 'Hi there'.", "Tomorrow at 8am send 'Hi there' to ann@example.com with the subject 'Hello'"},
		// "Tell" to an address of its own is an email of its own.
		{"Send 'A' to bob@example.com. Tell ann@example.com 'B'.", "Send 'A' to bob@example.com. Send 'B' to ann@example.com."},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) { samePlan(t, tt.program, tt.like) })
	}
}

func TestAnEmailOfAFileOrOfWhatAPhraseMakes(t *testing.T) {
	tests := []struct{ program, like string }{
		{"Email slides.pdf to carol@example.com", "Email carol@example.com with slides.pdf attached"},
		{"Send slides.pdf and notes.md to carol@example.com", "Email carol@example.com with slides.pdf and notes.md attached"},
		{"Email slides.pdf to carol@example.com saying 'Here'", "Send 'Here' to carol@example.com with slides.pdf attached"},
		{"Email alice@example.com a summary of meeting-notes.md", "Summarize meeting-notes.md and email the summary to alice@example.com"},
		{"Email a summary of meeting-notes.md to alice@example.com", "Summarize meeting-notes.md and email the summary to alice@example.com"},
		{"Send bob@example.com the summary of report.txt", "Summarize report.txt and send the summary to bob@example.com"},
		{"Email the trends in q3.csv to bob@example.com", "Find the trends in q3.csv and email the trends to bob@example.com"},
		{"Summarize notes.md. Email bob@example.com the summary.", "Summarize notes.md and email the summary to bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) { samePlan(t, tt.program, tt.like) })
	}

	t.Run("TheCommandRunsAfterTheWait", func(t *testing.T) {
		p := mustPlan(t, &Rules{}, "Tomorrow at 8am email alice@example.com a summary of notes.md", now)
		assertValid(t, p)
		read, ok := p.Step("read")
		if !ok {
			t.Fatalf("no read step:\n%s", planJSON(t, p))
		}
		if got, want := strings.Join(read.DependsOn, ","), "wait"; got != want {
			t.Errorf("read waits for %q, want %q:\n%s", got, want, planJSON(t, p))
		}
		send, _ := p.Step("send")
		if got, want := send.Args["body"], "${steps.summarize.summary}"; got != want {
			t.Errorf("body = %v, want %v", got, want)
		}
		if got, want := send.Args["subject"], "Summary of notes.md"; got != want {
			t.Errorf("subject = %v, want %v", got, want)
		}
	})
	t.Run("AFileAttachedAsksForTheMessage", func(t *testing.T) {
		p := mustPlan(t, &Rules{}, "Email slides.pdf to carol@example.com", now)
		compose, ok := p.Step("compose")
		if !ok || compose.Args["body"] != "" {
			t.Fatalf("want a compose step with an empty body (it asks), got:\n%s", planJSON(t, p))
		}
		send, _ := p.Step("send")
		if got, ok := send.Args["attachments"].([]any); !ok || len(got) != 1 || got[0] != "slides.pdf" {
			t.Errorf("attachments = %v, want [slides.pdf]", send.Args["attachments"])
		}
	})
}

func TestSomeoneInMyContactsIsEachContactTheConditionKeeps(t *testing.T) {
	samePlan(t, "If I haven't emailed someone in my contacts so far this week, send them 'Quick hello'",
		"For each of my contacts, if I haven't emailed them this week, send them 'Quick hello'")
	samePlan(t, "If I haven't emailed somebody in my contacts at acme.com this month, send them 'Hi'",
		"For each of my contacts at acme.com, if I haven't emailed them this month, send them 'Hi'")
	samePlan(t, "Send 'Hi' to my contacts who I haven't emailed this week so far.", "Send 'Hi' to my contacts who I haven't emailed this week")
	samePlan(t, "Send 'Hi' to my contacts who I haven't emailed so far today", "Send 'Hi' to my contacts who I haven't emailed today")
}

func TestNewFormsNearMissesAreRefusedWithAReason(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"If I haven't emailed anyone in my contacts this week, send them 'Hi'", "If I haven't emailed anyone in my contacts", "emailed none of them"},
		{"If I haven't emailed any of my contacts this week, send them 'Hi'", "If I haven't emailed any of my contacts", "emailed none of them"},
		{"If I haven't emailed someone in my contacts this week, send 'Hi' to bob@example.com", "to bob@example.com", "the email goes to them"},
		{"If I haven't emailed someone in my contacts this week, send 'Hi'", "If I haven't emailed someone in my contacts this week, send 'Hi'", "the email goes to them"},
		{"Email bob@example.com thanks", "thanks", ""},
		{"Send 'See you' to bob@example.com. Say 'Bye'.", "Say 'Bye'", "does not say whom to tell"},
		{"Say 'Hi'", "Say 'Hi'", "does not say whom to tell"},
		{"Email bob@example.com, then say 'Hi'", "say 'Hi'", "does not say whom to tell"},
		{"Email my contacts and tell him 'Hi'", "him", "one person"},
		{"Email my contacts. Tell her 'Hi'.", "her", "one person"},
		{"Email *.csv to bob@example.com", "*.csv", ""},
		// A second list to go over would replace the first (the filter at acme.com was lost before).
		{"For each of my contacts at acme.com, if I haven't emailed someone in my contacts this week, send them 'X'", "someone in my contacts", "say it once"},
		{"For each of my contacts at acme.com, for each of my contacts, send them 'X'", "for each of my contacts", "say it once"},
		{"Email bob@example.com a summary of notes.md 'Hi'", "a summary of notes.md 'Hi'", "not both"},
		{"Email bob@example.com a summary of", "a summary of", "needs its text"},
		{"Please", "Please", "does not say what to do"},
		{"Thanks!", "Thanks!", "does not say what to do"},
		{"Let bob@example.com 'Hi'", "Let bob@example.com 'Hi'", ""},
		// Without a quotation, "the message" could be the message of an email before.
		{"Send the message to bob@example.com", "the message", ""},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			if err == nil {
				t.Fatalf("planned %q, want a refusal quoting %q:\n%s", tt.program, tt.part, planJSON(t, p))
			}
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) {
				t.Fatalf("error %v is a %T, want a *NotUnderstoodError", err, err)
			}
			if got, want := nu.Part, tt.part; got != want {
				t.Errorf("Part = %q, want %q (error: %v)", got, want, err)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q does not say %q", err, tt.why)
			}
		})
	}
}
