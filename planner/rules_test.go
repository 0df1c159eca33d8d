package planner

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo

	"github.com/eaapl/eaapl/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.plan.json from the planner's output")

// now is the start time of the test programs: Wednesday 25 November 2026, 21:40 UTC, as in
// examples/hello-world.plan.json.
var now = time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC)

func TestPlanMatchesHelloWorldExample(t *testing.T) {
	const program = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"
	data, err := os.ReadFile(filepath.Join("..", "examples", "hello-world.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := plan.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	got := mustPlan(t, &Rules{}, program, now)
	assertValid(t, got)
	if g, w := planJSON(t, got), planJSON(t, want); g != w {
		t.Fatalf("plan of the seed program:\n%s\nwant examples/hello-world.plan.json:\n%s", g, w)
	}
}

func TestPlan(t *testing.T) {
	// Each case names the golden plan (testdata/<golden>.plan.json, without its program field) that the
	// program must produce.
	tests := []struct {
		program, golden string
	}{
		// The contacts not emailed this week.
		{"Send an email to each of my contacts if I haven't emailed them this week that says 'Hi'", "unemailed-this-week"},
		{"send an email to each of my contacts that says 'Hi' if I haven't emailed them this week.", "unemailed-this-week"},
		{`Send a message to all my contacts if I have not emailed them this week saying "Hi"`, "unemailed-this-week"},
		{"Email everyone in my contacts who I haven't emailed this week saying 'Hi'", "unemailed-this-week"},
		{"Send an email to every contact that I haven't emailed this week with the message ‘Hi’", "unemailed-this-week"},
		{"Send “Hi” to all of my contacts unless I emailed them this week", "unemailed-this-week"},
		{"For each of my contacts, if I haven't emailed them this week, send them an email saying 'Hi'", "unemailed-this-week"},
		{"For each of my contacts send them an email saying 'Hi' if I haven’t emailed them this week", "unemailed-this-week"},
		{"If I haven't emailed them this week, send an email to each of my contacts saying 'Hi'.", "unemailed-this-week"},
		{"  SEND   AN EMAIL TO EACH OF MY CONTACTS IF I HAVEN'T EMAILED THEM THIS WEEK THAT SAYS 'Hi'  ", "unemailed-this-week"},
		{"Send each of my contacts an email saying 'Hi' unless I've emailed them this week", "unemailed-this-week"},
		{"Send an e-mail to everybody in my address book that I did not email this week that says 'Hi'", "unemailed-this-week"},
		{"Send an email to my contacts if I have not yet emailed them this week, saying: 'Hi'", "unemailed-this-week"},
		{"Email every contact I haven't written to this week 'Hi'", "unemailed-this-week"},

		// Every contact.
		{"Send an email to each of my contacts that says 'Hi'", "all-contacts"},
		{"Email everyone in my contacts saying 'Hi'", "all-contacts"},
		{"Send 'Hi' to all my contacts", "all-contacts"},
		{`send email to all of my contacts with the message "Hi".`, "all-contacts"},
		{"For each of my contacts, send them an email saying 'Hi'", "all-contacts"},
		{"Send an email saying 'Hi' to every contact", "all-contacts"},
		{"Email each contact in my address book 'Hi'!", "all-contacts"},
		{"For every contact, email them with the text 'Hi'", "all-contacts"},
		{"Send a note to everyone on my contact list which says 'Hi'", "all-contacts"},
		{"Send my contacts a message that reads 'Hi'", "all-contacts"},
		{"Send an email to each of my contacts to say 'Hi'", "all-contacts"},
		{"Send an email to all contacts saying 'Hi'", "all-contacts"},

		// One address.
		{"Send 'Lunch?' to bob@example.com", "one-address"},
		{"Email bob@example.com saying 'Lunch?'.", "one-address"},
		{`Send an email to bob@example.com that says "Lunch?"`, "one-address"},
		{"Send an email to bob@example.com and bob@example.com saying 'Lunch?'", "one-address"},

		// Several addresses.
		{"Send 'Hi' to ann@example.com and carl@example.org", "two-addresses"},
		{"Email ann@example.com, carl@example.org saying 'Hi'", "two-addresses"},
		{"Send an email to ann@example.com, and carl@example.org that says 'Hi'", "two-addresses"},

		// A subject.
		{"Send an email to each of my contacts with the subject 'News' that says 'Hi'", "subject"},
		{"Email all my contacts with the subject line 'News' and the message 'Hi'", "subject"},
		{"Send 'Hi' to every contact with subject “News”", "subject"},
		{"Send an email to each of my contacts saying 'Hi', with the subject: 'News'", "subject"},

		// A contact by name: FindContact asks when several contacts or none have it.
		{"Send 'Hi' to my contact John Smith", "contact-by-name"},
		{"Send my contact John Smith an email saying 'Hi'", "contact-by-name"},
		{"email my contact John Smith 'Hi'.", "contact-by-name"},

		// No message: ComposeEmail asks for it.
		{"Send an email to each of my contacts", "no-message"},
		{"Email everyone in my contacts.", "no-message"},
		{"Send it to my contact John", "contact-by-name-no-message"},

		// Other time phrases.
		{"Send an email to each of my contacts if I haven't emailed them today that says 'Hi'", "unemailed-today"},
		{"Send an email to each of my contacts if I haven't emailed them in the last 7 days that says 'Hi'", "unemailed-last-7-days"},
		{"Email all my contacts who I haven't emailed in the past seven days saying 'Hi'", "unemailed-last-7-days"},
		{"Email all my contacts that I haven't emailed within the last 7 days saying 'Hi'", "unemailed-last-7-days"},
		{"Send an email to each of my contacts if I didn't email them this month that says 'Hi'", "unemailed-this-month"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			got := mustPlan(t, &Rules{}, tt.program, now)
			if got.Program != tt.program {
				t.Fatalf("Program = %q, want the program as written, %q", got.Program, tt.program)
			}
			assertValid(t, got)
			assertGolden(t, got, tt.golden)
		})
	}
}

func TestPlanKeepsMessageTextLiteral(t *testing.T) {
	tests := []struct {
		program       string
		body, subject string // as the plan's expressions evaluate them
	}{
		{"Send 'Don't forget!' to bob@example.com", "Don't forget!", ""},
		{`Send "She said 'hi'" to bob@example.com`, "She said 'hi'", ""},
		{"Send ‘It’s done’ to bob@example.com", "It’s done", ""},
		{"Send 'Line one\nLine two' to bob@example.com", "Line one\nLine two", ""},
		{"Send 'Costs ${price}' to bob@example.com", "Costs ${price}", ""},
		{"Send '$${x} and ${steps.contacts}' to bob@example.com", "$${x} and ${steps.contacts}", ""},
		{`Send 'He said "${now}"' to bob@example.com with the subject '${1 + 1}'`, `He said "${now}"`, "${1 + 1}"},
		{"Send '  Hi  ' to bob@example.com", "  Hi  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p := mustPlan(t, &Rules{}, tt.program, now)
			c, err := plan.Compile(p)
			if err != nil {
				t.Fatalf("plan does not validate: %v", err)
			}
			args, err := c.Args("compose", plan.Scope{Now: now, Steps: map[string]any{}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := args["body"], tt.body; got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
			if got, want := args["subject"], tt.subject; want != "" && got != want || want == "" && got != nil {
				t.Errorf("subject = %v, want %q", got, want)
			}
		})
	}
}

func TestPlanSendsToEachOfSeveralAddresses(t *testing.T) {
	p := mustPlan(t, &Rules{}, "Send 'Hi' to ann@example.com, bob@example.com and carl@example.org", now)
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatalf("plan does not validate: %v", err)
	}
	items, err := c.Items("send", plan.Scope{Now: now, Steps: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"name": "", "email": "ann@example.com"},
		map[string]any{"name": "", "email": "bob@example.com"},
		map[string]any{"name": "", "email": "carl@example.org"},
	}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("send's items = %v, want %v", items, want)
	}
}

func TestPlanResolvesTimePhrases(t *testing.T) {
	newYork := mustZone(t, "America/New_York")
	tokyo := mustZone(t, "Asia/Tokyo")
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		name   string
		zone   *time.Location // nil: UTC
		now    time.Time
		phrase string
		since  string
		until  string
		day    string // as the descriptions name the start
	}{
		{"ThisWeek", nil, now, "this week", "2026-11-23T00:00:00Z", "2026-11-25T21:40:00Z", "Monday 23 November"},
		{"Today", nil, now, "today", "2026-11-25T00:00:00Z", "2026-11-25T21:40:00Z", "Wednesday 25 November"},
		{"ThisMonth", nil, now, "this month", "2026-11-01T00:00:00Z", "2026-11-25T21:40:00Z", "Sunday 1 November"},
		{"LastSevenDays", nil, now, "in the last 7 days", "2026-11-18T21:40:00Z", "2026-11-25T21:40:00Z", "21:40 on Wednesday 18 November"},
		{"PastThreeDaysInWords", nil, now, "in the past three days", "2026-11-22T21:40:00Z", "2026-11-25T21:40:00Z", "21:40 on Sunday 22 November"},
		{"LastDay", nil, now, "in the last day", "2026-11-24T21:40:00Z", "2026-11-25T21:40:00Z", "21:40 on Tuesday 24 November"},
		{"LastOneDay", nil, now, "in the last 1 day", "2026-11-24T21:40:00Z", "2026-11-25T21:40:00Z", "21:40 on Tuesday 24 November"},
		{"ThisWeekOnMonday", nil, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "this week", "2026-11-23T00:00:00Z", "2026-11-23T00:00:00Z", "Monday 23 November"},
		{"ThisWeekOnSunday", nil, time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC), "this week", "2026-11-23T00:00:00Z", "2026-11-29T23:59:00Z", "Monday 23 November"},
		{"ThisWeekAcrossNewYear", nil, time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC), "this week", "2026-12-28T00:00:00Z", "2027-01-01T09:00:00Z", "Monday 28 December 2026"},
		{"SecondsRoundedUpSoNowIsCovered", nil, now.Add(12*time.Second + time.Millisecond), "today", "2026-11-25T00:00:00Z", "2026-11-25T21:40:13Z", "Wednesday 25 November"},
		{"ThisWeekInNewYork", newYork, now, "this week", "2026-11-23T00:00:00-05:00", "2026-11-25T16:40:00-05:00", "Monday 23 November"},
		// 03:00 UTC on Monday is still Sunday evening in New York: the week there began on the 16th.
		{"ThisWeekInNewYorkOnSundayEvening", newYork, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), "this week", "2026-11-16T00:00:00-05:00", "2026-11-22T22:00:00-05:00", "Monday 16 November"},
		// 21:40 UTC on Wednesday is already Thursday morning in Tokyo.
		{"TodayInTokyo", tokyo, now, "today", "2026-11-26T00:00:00+09:00", "2026-11-26T06:40:00+09:00", "Thursday 26 November"},
		// Berlin moved to summer time on Sunday 29 March 2026: Monday 00:00 is +02:00, a week ago +01:00.
		{"ThisWeekInBerlinAfterDST", berlin, time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), "this week", "2026-03-30T00:00:00+02:00", "2026-03-31T14:00:00+02:00", "Monday 30 March"},
		{"LastSevenDaysInBerlinAcrossDST", berlin, time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), "in the last 7 days", "2026-03-24T13:00:00+01:00", "2026-03-31T14:00:00+02:00", "13:00 on Tuesday 24 March"},
		{"ThisMonthInBerlin", berlin, time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), "this month", "2026-03-01T00:00:00+01:00", "2026-03-31T14:00:00+02:00", "Sunday 1 March"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			program := "Send an email to each of my contacts if I haven't emailed them " + tt.phrase + " that says 'Hi'"
			p := mustPlan(t, &Rules{Location: tt.zone}, program, tt.now)
			assertValid(t, p)
			history, ok := p.Step("history")
			if !ok {
				t.Fatalf("the plan has no history step: %s", planJSON(t, p))
			}
			if got, want := history.Args["since"], tt.since; got != want {
				t.Errorf("since = %v, want %s", got, want)
			}
			if got, want := history.Args["until"], tt.until; got != want {
				t.Errorf("until = %v, want %s", got, want)
			}
			if got, want := history.Description, "Find which of them you have emailed since "+tt.day+"."; got != want {
				t.Errorf("history description = %q, want %q", got, want)
			}
			send, _ := p.Step("send")
			if got, want := send.Description, "Send it to each contact you have not emailed since "+tt.day+"."; got != want {
				t.Errorf("send description = %q, want %q", got, want)
			}
		})
	}
}

func TestPlanRejectsWhatItDoesNotUnderstand(t *testing.T) {
	tests := []struct {
		program string
		part    string // quoted in the error
		why     string // in the error, when the planner can say more than "cannot understand"
	}{
		{"Send an email to each of my contacts if it rains that says 'Hi'", "if it rains", "the conditions EaaPL knows are: if I haven't emailed them <time>"},
		{"Send a text to each of my contacts saying 'Hi'", "a text", ""},
		{"Send an email to my friends saying 'Hi'", "to my friends", "say whom to email"},
		{"Send an email to each of my contacts saying Hi", "saying Hi", "the message must be in quotes"},
		{"Send an email to each of my contacts with the subject News saying 'Hi'", "with the subject News", "the subject must be in quotes"},
		{"Send an email to each of my contacts if I haven't emailed them this year saying 'Hi'", "this year", "a time must be"},
		{"Send an email to each of my contacts if I haven't emailed them since last week saying 'Hi'", "since last week", "since the start of last week or since it ended"},
		{"Send an email to each of my contacts if I haven't emailed them saying 'Hi'", "if I haven't emailed them", "since when"},
		{"If I haven't emailed them, send an email to each of my contacts saying 'Hi'", "If I haven't emailed them", "since when"},
		{"Send an email to each of my contacts if I haven't emailed them in the last 0 days saying 'Hi'", "0 days", "from 1 to 3650"},
		{"Send an email to each of my contacts if I haven't emailed them in the last 4000 days saying 'Hi'", "4000 days", "from 1 to 3650"},
		{"Send them an email saying 'Hi'", "them", "does not say who they are"},
		{"Send 'Hi' to bob@localhost", "bob@localhost", "not an email address"},
		{"Send 'Hi' to ann@example.com and bob@@example.com", "bob@@example.com", "not an email address"},
		{"Send 'Hi' to bob@example.com who I haven't emailed this week", "who I haven't emailed this week", "only with your contacts"},
		{"Send 'Hi' to bob@example.com and ann@example.com if I haven't emailed them this week", "if I haven't emailed them this week", "write a statement for each address"},
		{"Send 'Hi' to each of my contacts and bob@example.com", "and bob@example.com", ""},
		{"Send 'Hi' to each of my contacts saying 'Hello'", "saying 'Hello'", `already gives the message "Hi"`},
		{"Send 'Hi' to bob@example.com to ann@example.com", "to ann@example.com", "already says whom"},
		{"For each of my contacts, send an email to all my contacts saying 'Hi'", "to all my contacts", "write \"them\" instead"},
		{"Send 'Hi' to my contacts with the subject 'A' with the subject 'B'", "with the subject 'B'", `already gives the subject "A"`},
		{"Send 'Hi' to my contacts if I haven't emailed them today unless I emailed them this week", "unless I emailed them this week", "already has a condition"},
		{"Send an email to each of my contacts in the last 7 days saying 'Hi'", "in the last 7 days", ""},
		{"Send an email to each of my contacts saying 'Hi", "'Hi", "never closed"},
		{"Send an email to each of my contacts saying 'Hi'. Then call Bob.", "Then call Bob", ""},
		{"Send an email to each of my contacts saying 'Hi' and", "and", ""},
		{"For each of my contacts", "For each of my contacts", "does not say what to do"},
		{"Each of my contacts 'Hi'", "Each of my contacts", "it does not say what to do with them"},
		{"Send an email to each of my contacts saying ''", "saying ''", "the message is empty"},
		{"Send an email to each of my contacts saying 'Hi' with the subject 'A\nB'", "with the subject 'A\nB'", "one line"},
		{"Send an email to each of my contacts saying 'Hi' with the subject ' '", "with the subject ' '", "the subject is empty"},
		{"Send an email to each of my contacts and send an email to bob@example.com saying 'Hi'", "and send an email", ""},
		{"Email bob@example.com 'Hi' if", "if", "the conditions EaaPL knows are"},
		{"Send an email to everyone saying 'Hi'", "to everyone", "say whom to email"},
		{"Send an email to each of my contacts saying 'the boys' game is on'", "game is on'", "put the message in double quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			if err == nil {
				t.Fatalf("planned %q, want an error quoting %q:\n%s", tt.program, tt.part, planJSON(t, p))
			}
			var nu *NotUnderstoodError
			if !errors.As(err, &nu) {
				t.Fatalf("error %v is a %T, want a *NotUnderstoodError", err, err)
			}
			if got, want := nu.Part, tt.part; got != want {
				t.Errorf("Part = %q, want %q (error: %v)", got, want, err)
			}
			if nu.Program != tt.program {
				t.Errorf("Program = %q, want %q", nu.Program, tt.program)
			}
			if !slices.Equal(nu.Supported, Forms()) {
				t.Errorf("Supported = %q, want Forms()", nu.Supported)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cannot understand "+strconv.Quote(tt.part)) {
				t.Errorf("error %q does not start by quoting %q", msg, tt.part)
			}
			if !strings.Contains(msg, tt.why) {
				t.Errorf("error %q does not say %q", msg, tt.why)
			}
			if !strings.Contains(msg, "eaapl plan --help") || strings.Count(msg, "\n  - ") > maxNearest {
				t.Errorf("error lists more than the %d nearest forms, or does not point to eaapl plan --help:\n%s", maxNearest, msg)
			}
		})
	}
}

func TestPlanRejectsIncompletePrograms(t *testing.T) {
	tests := []struct {
		program string
		err     string
	}{
		{"", errEmpty.Error()},
		{" \n\t ", errEmpty.Error()},
		{"Send an email saying 'Hi'", "the program says what to say but not whom to email: add to each of my contacts, or an address such as to bob@example.com"},
		{"Send an email.", `the program says neither whom to email nor what to say: write, for example, "Send an email to each of my contacts that says 'Hello World!'"`},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			p, err := (&Rules{}).Plan(context.Background(), tt.program, now)
			if err == nil {
				t.Fatalf("planned %q, want error %q:\n%s", tt.program, tt.err, planJSON(t, p))
			}
			if got := err.Error(); got != tt.err {
				t.Fatalf("error = %q, want %q", got, tt.err)
			}
			var nu *NotUnderstoodError
			if errors.As(err, &nu) {
				t.Fatalf("error is a *NotUnderstoodError, want a plain one: the program is understood, just incomplete")
			}
		})
	}
	t.Run("RejectsLongPrograms", func(t *testing.T) {
		program := "Send 'Hi' to bob@example.com" + strings.Repeat(" if I haven't emailed them", 40)
		_, err := (&Rules{}).Plan(context.Background(), program, now)
		if err == nil || !strings.HasPrefix(err.Error(), "the program is too long") {
			t.Fatalf("error = %v, want one saying the program is too long", err)
		}
	})
	t.Run("EmptyIsErrEmpty", func(t *testing.T) {
		_, err := (&Rules{}).Plan(context.Background(), "   ", now)
		if !errors.Is(err, errEmpty) || !strings.HasPrefix(err.Error(), "the program is empty") {
			t.Fatalf("error = %v, want %v", err, errEmpty)
		}
	})
}

func TestPlanNeedsStartTimeAndLiveContext(t *testing.T) {
	const program = "Send 'Hi' to bob@example.com"
	t.Run("RejectsZeroNow", func(t *testing.T) {
		if _, err := (&Rules{}).Plan(context.Background(), program, time.Time{}); err == nil {
			t.Fatal("planned with a zero start time, want an error")
		}
	})
	t.Run("RejectsCanceledContext", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := (&Rules{}).Plan(ctx, program, now); !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("NilRulesIsUTC", func(t *testing.T) {
		var r *Rules
		p, err := r.Plan(context.Background(), "Email my contacts who I haven't emailed today saying 'Hi'", now)
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := p.Step("history"); h.Args["since"] != "2026-11-25T00:00:00Z" {
			t.Fatalf("since = %v, want 2026-11-25T00:00:00Z", h.Args["since"])
		}
	})
}

func TestFormExamplesAreUnderstood(t *testing.T) {
	for _, form := range AllForms() {
		t.Run(form.Example, func(t *testing.T) {
			if form.Example == "" {
				t.Fatalf("the form %q has no example", form.Pattern)
			}
			assertValid(t, mustPlan(t, &Rules{}, form.Example, now))
		})
	}
}

func TestFormsReturnsACopy(t *testing.T) {
	f := Forms()
	if len(f) == 0 {
		t.Fatal("Forms() is empty")
	}
	f[0] = "changed"
	if Forms()[0] == "changed" {
		t.Fatal("changing the result of Forms() changed the forms")
	}
}

func mustPlan(tb testing.TB, r *Rules, program string, now time.Time) *plan.Plan {
	tb.Helper()
	p, err := r.Plan(context.Background(), program, now)
	if err != nil {
		tb.Fatalf("Plan(%q): %v", program, err)
	}
	return p
}

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// assertValid checks the plan against the command catalog, as the workflow will before running it.
func assertValid(tb testing.TB, p *plan.Plan) {
	tb.Helper()
	if err := plan.Validate(p); err != nil {
		tb.Fatalf("plan does not validate: %v\n%s", err, planJSON(tb, p))
	}
}

// assertGolden compares the plan, without its program text, to testdata/<name>.plan.json.
func assertGolden(tb testing.TB, p *plan.Plan, name string) {
	tb.Helper()
	path := filepath.Join("testdata", name+".plan.json")
	bare := *p
	bare.Program = ""
	got := planJSON(tb, &bare)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	want, err := plan.Parse(data)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if w := planJSON(tb, want); got != w {
		tb.Fatalf("plan of %q:\n%s\nwant %s:\n%s", p.Program, got, path, w)
	}
}

// planJSON writes a plan the same way whether it was built in code or read from a file.
func planJSON(tb testing.TB, p *plan.Plan) string {
	tb.Helper()
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(data) + "\n"
}

// TestPlanKeepsWhatTheSentenceSays: a name's words are joined by one space, a lower-case word on the next
// line is not taken into a name (a name is written with capitals), and a time of day after a duration
// wait is kept when the wait surely ends before it.
func TestPlanKeepsWhatTheSentenceSays(t *testing.T) {
	p, err := (&Rules{Location: time.UTC}).Plan(context.Background(), "Send 'Hi' to my contact Ann   Lee", now)
	if err != nil {
		t.Fatal(err)
	}
	if find, _ := p.Step("find"); find.Args["name"] != "Ann Lee" {
		t.Errorf("find's name is %q, want \"Ann Lee\"", find.Args["name"])
	}
	_, err = (&Rules{Location: time.UTC}).Plan(context.Background(), "Send 'Hi' to my contact Ann\nsmith", now)
	var nu *NotUnderstoodError
	if !errors.As(err, &nu) || nu.Part != "smith" || !strings.Contains(err.Error(), "not part of the name Ann") {
		t.Errorf("Ann\\nsmith: %v, want smith refused as not part of the name Ann", err)
	}
	p, err = (&Rules{Location: time.UTC}).Plan(context.Background(), "Wait 2 hours. Send 'Hi' to bob@example.com tomorrow at 9am", now)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := p.Step("wait_2"); w.Wait == nil || w.Wait.Until != "2026-11-26T09:00:00Z" {
		t.Errorf("the second wait is %+v, want until 2026-11-26T09:00:00Z", w.Wait)
	}
}
