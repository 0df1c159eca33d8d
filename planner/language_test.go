package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// The programs that were planned wrong before the language: a name swallowed a time or a condition, and
// placeholders were sent literally.
func TestANameNeverSwallowsATimeOrACondition(t *testing.T) {
	tests := []struct{ program, part, why string }{
		{"Send 'Hello' to my contact Ann on Friday", "on Friday", "say at what time"},
		{"Send 'Hello' to my contact Ann tomorrow", "tomorrow", "say at what time"},
		{"Send 'Hello' to my contact Ann if possible", "if possible", ""},
		{"Send 'Hello' to my contact everyone", "my contact everyone", "not a name"},
		{"Send 'Hi {phone}' to each of my contacts", "'Hi {phone}'", "the placeholder {phone} cannot be filled"},
		{"Send 'Hi {name}' to bob@example.com", "'Hi {name}'", "has no name"},
		{"Send 'Hi' to bob@example.com at 5pm", "at 5pm", "has passed"},
		{"On the 1st of every month, send 'Invoice' to bob@example.com", "On the 1st of every month", "say at what time"},
		{"If he doesn't reply within a day, send it again", "again", "no email before it"},
		{"Send 'A' to bob@example.com, then", "then", "what to do next"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			_, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) {
				t.Fatalf("error = %v, want a NotUnderstoodError quoting %q", err, tt.part)
			}
			if nu.Part != tt.part || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("Part = %q (want %q), error %q (want it to say %q)", nu.Part, tt.part, firstLineOf(err.Error()), tt.why)
			}
		})
	}
	t.Run("TheNameStopsBeforeTheTime", func(t *testing.T) {
		p := mustPlan(t, &Rules{}, "Send 'Hello' to my contact Ann on Friday at 9", now)
		find, _ := p.Step("find")
		wait, _ := p.Step("wait")
		if find == nil || find.Args["name"] != "Ann" || wait == nil || wait.Wait.Until != "2026-11-27T09:00:00Z" {
			t.Fatalf("plan: %s", planJSON(t, p))
		}
	})
}

// A personal message is filled per contact with the contact's data as text: a name that looks like a
// template or a placeholder stays literal.
func TestPersonalMessagesFillDataAsText(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Email each of my contacts saying 'Dear {first name}, your address is {email}. ${not this}'", now)
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, email, body string
	}{
		{"Ann Lee", "ann@example.com", "Dear Ann, your address is ann@example.com. ${not this}"},
		{"${steps} Smith", "x@example.com", "Dear ${steps}, your address is x@example.com. ${not this}"},
		{"{email}", "y@example.com", "Dear {email}, your address is y@example.com. ${not this}"},
	} {
		contact := map[string]any{"name": tc.name, "email": tc.email}
		args, err := c.Args("send", plan.Scope{Now: now, Steps: map[string]any{"contacts": map[string]any{"contacts": []any{contact}}, "check": map[string]any{}}, ItemName: "contact", Item: contact})
		if err != nil {
			t.Fatal(err)
		}
		if args["body"] != tc.body {
			t.Errorf("body for %q = %q, want %q", tc.name, args["body"], tc.body)
		}
	}
	// A contact without a name fails the check, which the send waits for, before any email.
	check, ok := p.Step("check")
	if !ok || !slices.Contains(mustStep(t, p, "send").DependsOn, "check") || !strings.Contains(check.Check.Error, "{first name}") {
		t.Fatalf("plan has no check the send waits for: %s", planJSON(t, p))
	}
}

func TestStatementsRunInOrder(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'Hello' to alice@example.com, then send 'Bye' to bob@example.com", now)
	assertValid(t, p)
	c, _ := plan.Compile(p)
	if got, want := c.Order, []string{"compose", "send", "compose_2", "send_2"}; !slices.Equal(got, want) {
		t.Fatalf("order = %q, want %q", got, want)
	}
	if !slices.Contains(mustStep(t, p, "compose_2").DependsOn, "send") {
		t.Fatalf("the second statement does not wait for the first: %s", planJSON(t, p))
	}
	for _, sep := range []string{". Then send", "; send", " and then send", ". After that, send", "\nsend"} {
		program := "Send 'Hello' to alice@example.com" + sep + " 'Bye' to bob@example.com"
		program = strings.Replace(program, "send send", "send", 1)
		q := mustPlan(t, &Rules{}, program, now)
		q.Program = p.Program
		if planJSON(t, q) != planJSON(t, p) {
			t.Errorf("%q plans differently from \"then\":\n%s", program, planJSON(t, q))
		}
	}
}

func TestSchedulesArePlannedOnceAndDescribed(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	p := mustPlan(t, &Rules{Location: berlin}, "Every Monday and Thursday at 9am, send 'Status?' to bob@example.com", now)
	assertValid(t, p)
	sc := p.Schedule
	if sc == nil || sc.TimeZone != "Europe/Berlin" || sc.Program != "send 'Status?' to bob@example.com" ||
		len(sc.Calendar) != 1 || !slices.Equal(sc.Calendar[0].DaysOfWeek, []string{"monday", "thursday"}) || sc.Calendar[0].Hour != 9 {
		t.Fatalf("schedule = %+v", sc)
	}
}

func mustStep(tb testing.TB, p *plan.Plan, id string) *plan.Step {
	tb.Helper()
	s, ok := p.Step(id)
	if !ok {
		tb.Fatalf("no step %q", id)
	}
	return s
}

func firstLineOf(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// A time phrase after a wait until a time is that time's: "this week" on Friday at 9:00 runs to Friday
// 9:00. After a wait of a duration the dates are not known, and the phrase is refused.
func TestTimePhrasesAfterAWait(t *testing.T) {
	p := mustPlan(t, &Rules{}, "On Friday at 9, if I haven't emailed alice@example.com this week, send her 'Have a nice weekend'", now)
	if h := mustStep(t, p, "history"); h.Args["since"] != "2026-11-23T00:00:00Z" || h.Args["until"] != "2026-11-27T09:00:00Z" {
		t.Errorf("history range = %v .. %v, want Monday 23 November .. Friday 27 November 09:00", h.Args["since"], h.Args["until"])
	}
	// "today" after a wait until another day could be the day written or the day it runs: refused.
	if _, err := (&Rules{}).Plan(context.Background(), "Send 'Hi' to bob@example.com on Monday at 10am. Then send 'Hi' to my contacts I haven't emailed today", now); err == nil ||
		!strings.Contains(err.Error(), "(from when you wrote it) or since Monday 30 November (from when it runs)") {
		t.Errorf("today after Monday's wait: %v, want both readings named", err)
	}
	for _, tc := range []struct{ program, part, why string }{
		{"Wait 2 hours, then send 'Hi' to each of my contacts if I haven't emailed them today", "if I haven't emailed them today", "cannot know which dates"},
		{"Tomorrow at 9am send 'A' to bob@example.com. Today at 11pm send 'B' to bob@example.com", "Today at 11pm", "before the time the statement before it runs"},
	} {
		_, err := (&Rules{}).Plan(context.Background(), tc.program, now)
		var nu *NotUnderstoodError
		if !errors.As(err, &nu) || nu.Part != tc.part || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%q: error %v, want one quoting %q and saying %q", tc.program, err, tc.part, tc.why)
		}
	}
}

func TestNamedLists(t *testing.T) {
	p := mustPlan(t, &Rules{}, "List my contacts at acme.com and call them the acme people. Send 'Office closed' to the acme people.", now)
	answer, send := mustStep(t, p, "answer"), mustStep(t, p, "send_3")
	if send.ForEach == nil || "${"+strings.TrimSuffix(strings.TrimPrefix(answer.Answer.Value, "${"), "}")+"}" != send.ForEach.Items {
		t.Fatalf("the send does not go over the named list: %s", planJSON(t, p))
	}
	for _, tc := range []struct{ program, why string }{
		{"Call them friends", "no list before it"},
		{"List my contacts. Call them the send people", "word of the grammar"},
	} {
		if _, err := (&Rules{}).Plan(context.Background(), tc.program, now); err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%q: error %v, want one saying %q", tc.program, err, tc.why)
		}
	}
}

func TestQuestionsAnswerWithTheContacts(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Who haven't I emailed this week?", now)
	a := mustStep(t, p, "answer").Answer
	if a.Kind != plan.AnswerList || a.Value != "${steps.contacts.contacts.filter(contact, !(contact.email in steps.history.emailed))}" {
		t.Fatalf("answer = %+v", a)
	}
	q := mustPlan(t, &Rules{}, "List the contacts I haven't emailed this week", now)
	q.Program = p.Program
	for i := range q.Steps {
		q.Steps[i].Description, p.Steps[i].Description = "", ""
	}
	if planJSON(t, p) != planJSON(t, q) {
		t.Errorf("\"Who haven't I emailed this week?\" and \"List the contacts I haven't emailed this week\" plan differently")
	}
}

func TestRefusalsSuggestTheNearestForms(t *testing.T) {
	_, err := (&Rules{}).Plan(context.Background(), "Every Monday send 'Hi' to bob@example.com", now)
	var nu *NotUnderstoodError
	if !errors.As(err, &nu) {
		t.Fatalf("error = %v, want a NotUnderstoodError", err)
	}
	if len(nu.Nearest) == 0 || len(nu.Nearest) > maxNearest || !slices.ContainsFunc(nu.Nearest, func(f string) bool { return strings.Contains(f, "at <clock>") }) {
		t.Errorf("Nearest = %q, want a schedule form (\"... at <clock>\") among at most five", nu.Nearest)
	}
	if !strings.Contains(err.Error(), "the nearest forms are:\n  - ") {
		t.Errorf("error does not list the nearest forms:\n%s", err)
	}
}

func TestALineBreakEndsAStatementBeforeACapital(t *testing.T) {
	wrapped := mustPlan(t, &Rules{}, "Send an email to each of my contacts\nthat says 'Hi'", now)
	if len(wrapped.Steps) != 3 {
		t.Errorf("a wrapped sentence is one statement: %s", planJSON(t, wrapped))
	}
	two := mustPlan(t, &Rules{}, "Send 'A' to ann@example.com\n\nSend 'B' to bob@example.com", now)
	if _, ok := two.Step("send_2"); !ok {
		t.Errorf("two lines that start with a capital are two statements: %s", planJSON(t, two))
	}
}
