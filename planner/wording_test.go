package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/plan"
)

// stepsJSON is a plan's steps as JSON, to compare two programs' plans.
func stepsJSON(tb testing.TB, p *plan.Plan) string {
	tb.Helper()
	b, err := json.Marshal(p.Steps)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Everyday wordings of sending, choosing and asking plan exactly as the plainer form they mean.
func TestEverydayWordingsPlanAsTheFormTheyMean(t *testing.T) {
	for _, tc := range []struct{ wording, plain string }{
		{"Send an email titled 'Lunch' that says 'Noon?' to bob@example.com", "Send an email with the subject 'Lunch' that says 'Noon?' to bob@example.com"},
		{"Send 'Noon?' to bob@example.com with the title 'Lunch'", "Send 'Noon?' to bob@example.com with the subject 'Lunch'"},
		{"Send 'Noon?' to bob@example.com with subject 'Lunch'", "Send 'Noon?' to bob@example.com with the subject 'Lunch'"},
		{"Send 'Noon?' to bob@example.com subject 'Lunch'", "Send 'Noon?' to bob@example.com with the subject 'Lunch'"},
		{"Send 'Noon?' to bob@example.com, subject: 'Lunch'", "Send 'Noon?' to bob@example.com with the subject 'Lunch'"},
		{"Send a quick email to bob@example.com saying 'Hi'", "Send an email to bob@example.com saying 'Hi'"},
		{"Send a short note to bob@example.com saying 'Hi'", "Send an email to bob@example.com saying 'Hi'"},
		{"Send a brief message to my contacts at acme.com saying 'Hi'", "Send an email to my contacts at acme.com saying 'Hi'"},
		{"Send emails to my contacts that say 'Hi'", "Send an email to my contacts that says 'Hi'"},
		{"First send 'A' to ann@example.com. Next, send 'B' to bob@example.com. Afterwards, send 'C' to carl@example.com. Finally, send 'D' to dave@example.com",
			"Send 'A' to ann@example.com, then send 'B' to bob@example.com, then send 'C' to carl@example.com, then send 'D' to dave@example.com"},
		{"First, send 'A' to ann@example.com, and finally send 'B' to bob@example.com", "Send 'A' to ann@example.com, then send 'B' to bob@example.com"},
		{"Please first send 'A' to ann@example.com, then send 'B' to bob@example.com", "Send 'A' to ann@example.com, then send 'B' to bob@example.com"},
		{"First of all, send 'A' to ann@example.com", "Send 'A' to ann@example.com"},
		{"Send 'A' to ann@example.com. Then, send 'B' to bob@example.com", "Send 'A' to ann@example.com, then send 'B' to bob@example.com"},
		{"Send 'A' to ann@example.com. After that, send 'B' to bob@example.com", "Send 'A' to ann@example.com, then send 'B' to bob@example.com"},
		{"Send 'Hi' to my first 10 contacts", "Send 'Hi' to the first 10 of my contacts"},
		{"Send 'Hi' to my contacts at @acme.com or @Example.org", "Send 'Hi' to my contacts at acme.com or example.org"},
		{"Send 'Hi' to my contacts whose first name starts with A", "Send 'Hi' to my contacts whose name starts with A"},
		{"Send 'Hi' to my contacts whose first name is Ann", "Send 'Hi' to my contacts named Ann"},
		{"Give me a list of my contacts I haven't emailed this month", "List my contacts I haven't emailed this month"},
		{"How many contacts have I got?", "How many contacts do I have?"},
		{"How many contacts I've got?", "How many contacts do I have?"},
		{"How many contacts do I have at acme.com?", "How many of my contacts at acme.com are there?"},
		{"Show me everyone I haven't emailed this week", "Show me my contacts I haven't emailed this week"},
	} {
		got, want := mustPlan(t, &Rules{}, tc.wording, now), mustPlan(t, &Rules{}, tc.plain, now)
		if g, w := stepsJSON(t, got), stepsJSON(t, want); g != w {
			t.Errorf("%q planned\n%s\nwant the plan of %q:\n%s", tc.wording, g, tc.plain, w)
		}
	}
}

// "Next Monday at 9am" after a full stop stays a time: "next" is a sequence word only before a comma or a verb.
func TestNextBeforeADayStaysATime(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'A' to ann@example.com. Next Monday at 9am send 'B' to bob@example.com", now)
	if w := mustStep(t, p, "wait_2"); w.Wait == nil || w.Wait.Until != "2026-11-30T09:00:00Z" {
		t.Fatalf("wait_2 = %+v, want a wait until Monday 30 November 09:00", w.Wait)
	}
}

// The new filters choose exactly the contacts they say, run over a list of contacts.
func TestEverydayFiltersChooseTheirContacts(t *testing.T) {
	for _, tc := range []struct {
		program string
		want    []string
	}{
		{"Send 'Hi' to my contacts whose first name starts with B", []string{"bob@example.com", "bob@acme.com"}},
		{"Send 'Hi' to my contacts at @acme.com", []string{"bob@acme.com", "carol@acme.com"}},
		{"Send 'Hi' to my first 2 contacts", []string{"bob@example.com", "bob@acme.com"}},
		{"Send 'Hi' to my contacts whose first name is Dave", []string{"dave@example.org"}},
	} {
		if got := exceptSentTo(t, tc.program); !slices.Equal(got, tc.want) {
			t.Errorf("%q sends to %v, want %v", tc.program, got, tc.want)
		}
	}
	if got := answerOf(t, "How many contacts do I have at acme.com?"); fmt.Sprint(got) != "2" {
		t.Errorf("How many contacts do I have at acme.com? = %v, want 2", got)
	}
}

// "Bob <bob@example.com>": the address decides, the name is shown with it.
func TestDisplayNameGoesWithTheAddress(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'Hi' to Bob <bob@example.com>", now)
	send := mustStep(t, p, "send")
	if to, _ := send.Args["to"].(map[string]any); to["email"] != "bob@example.com" || to["name"] != "Bob" {
		t.Errorf("to = %v, want bob@example.com with the name Bob", send.Args["to"])
	}
	if send.Description != "Send it to Bob <bob@example.com>." {
		t.Errorf("description = %q", send.Description)
	}
	p = mustPlan(t, &Rules{}, "Send 'Hi' to Ann O'Neil <ann@example.com> and bob@example.com", now)
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	items, err := c.Items("send", plan.Scope{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"name": "Ann O'Neil", "email": "ann@example.com"}, map[string]any{"name": "", "email": "bob@example.com"}}
	if g, w := mustJSON(t, items), mustJSON(t, want); g != w {
		t.Errorf("items = %s, want %s", g, w)
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// What these wordings cannot say for sure is refused, quoting the part and saying why.
func TestEverydayWordingsRefusedWithWhy(t *testing.T) {
	for _, tc := range []struct{ program, part, why string }{
		{"Send 'A' to ann@example.com. First send 'B' to bob@example.com", "First", "begins only the program's first statement"},
		{"Next, send 'B' to bob@example.com", "Next", "there is none"},
		{"Send 'A' to ann@example.com. Finally.", "Finally", "comes a statement"},
		{"Send 'A' to ann@example.com. Next week send 'B' to bob@example.com", "Next week", ""},
		{"Send 'Hi' to my contacts whose last name is Smith", "whose last name is Smith", "no last name"},
		{"Send 'Hi' to my contacts whose first name starts with 'Ann L'", "whose first name starts with 'Ann L'", "a first name is one word"},
		{"Send 'Hi' to my contact Bob at acme.com", "my contact Bob at acme.com", "found by name alone"},
		{"Send 'Hi' to my first 3 contacts at acme.com", "my first 3 contacts at acme.com", "counted before or after"},
		{"Send 'Hi' to my first 3 contacts who I haven't emailed this week", "my first 3 contacts", "counted before or after"},
		{"How many of my contacts at acme.com do I have at example.org?", "at example.org", "filters in one place"},
		{"How many everyone?", "How many everyone", "say which contacts"},
		{"Have I emailed bob@example.com this week?", "Have I emailed bob@example.com this week", "not yes or no"},
		{"Did I email my contact Ann today?", "Did I", "not yes or no"},
		{"Send 'Hi' to bob@example.com (Bob)", "(Bob)", "angle brackets"},
		{"Send 'Hi' to Bob <bob@example.com> and Robert <BOB@example.com>", "Bob <bob@example.com> and Robert <BOB@example.com>", "two names"},
		{"Send 'Hi {name}' to Bob <bob@example.com>", "'Hi {name}'", "has no name, only an address"},
		{"Send 'Hi' to my contacts with the subject News saying 'Hi'", "with the subject News", "must be in quotes"},
	} {
		_, err := (&Rules{}).Plan(context.Background(), tc.program, now)
		var nu *NotUnderstoodError
		if !errors.As(err, &nu) || nu.Part != tc.part || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%q: error %v, want one quoting %q and saying %q", tc.program, err, tc.part, tc.why)
		}
	}
}
