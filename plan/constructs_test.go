package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// constructsPlan uses every construct: wait, send, await a reply, check, answer, and a schedule.
const constructsPlan = `{"version": 1, "steps": [
  {"id": "wait", "wait": {"until": "2026-11-27T09:00:00Z"}},
  {"id": "contacts", "command": "RetrieveContacts", "depends_on": ["wait"]},
  {"id": "check", "check": {"that": "steps.contacts.contacts.all(c, c.name.trim() != '')", "error": "a contact has no name"}},
  {"id": "compose", "command": "ComposeEmail", "args": {"body": "Hi"}},
  {"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"}, "depends_on": ["check"]},
  {"id": "await_reply", "await_reply": {"to": "${steps.send.message_id}", "from": "bob@example.com", "within": "24h0m0s"}},
  {"id": "again", "command": "SendEmail", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"}, "if": "!steps.await_reply.replied"},
  {"id": "pause", "wait": {"for": "10m0s"}, "depends_on": ["again"]},
  {"id": "answer", "answer": {"value": "${size(steps.contacts.contacts.filter(c, c.email.lowerAscii().endsWith('@acme.com')).slice(0, 1))}", "kind": "number", "label": "contacts"}}
], "schedule": {"calendar": [{"days_of_week": ["monday"], "hour": 9, "minute": 0}], "time_zone": "Europe/Berlin", "program": "Send 'Hi' to bob@example.com"}}`

// withoutSchedule is constructsPlan as the plan of one run.
var withoutSchedule = constructsPlan[:strings.Index(constructsPlan, `], "schedule"`)+1] + "}"

func TestConstructsCompile(t *testing.T) {
	full, err := plan.Parse([]byte(constructsPlan))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := full.Constructs(), []string{"wait", "await_reply", "check", "answer", "schedule"}; !slices.Equal(got, want) {
		t.Errorf("Constructs() = %q, want %q", got, want)
	}
	c := mustCompile(t, withoutSchedule)
	// The steps a construct reads are its dependencies, as for a command.
	if got := c.Deps("await_reply"); !slices.Equal(got, []string{"send"}) {
		t.Errorf("await_reply waits for %q, want [send]", got)
	}
	if got := c.Deps("again"); !slices.Contains(got, "await_reply") {
		t.Errorf("again waits for %q, want await_reply among them", got)
	}
	if got := c.Deps("check"); !slices.Equal(got, []string{"contacts"}) {
		t.Errorf("check waits for %q, want [contacts]", got)
	}
	if got, want := c.Step("wait").Construct(), "wait"; got != want {
		t.Errorf("Construct() = %q, want %q", got, want)
	}
	if got := c.Step("send").Construct(); got != "" {
		t.Errorf("a command step's Construct() = %q, want empty", got)
	}
}

func TestConstructsAreValidated(t *testing.T) {
	tests := []struct{ name, from, to, want string }{
		{"WaitWithBoth", `{"until": "2026-11-27T09:00:00Z"}`, `{"until": "2026-11-27T09:00:00Z", "for": "1h"}`, "either until"},
		{"WaitBadTime", `"2026-11-27T09:00:00Z"}`, `"Friday"}`, "not an RFC 3339 time"},
		{"WaitTooLong", `"for": "10m0s"`, `"for": "90000h"`, "longer than the longest wait"},
		{"WaitNegative", `"for": "10m0s"`, `"for": "-1m"`, "more than nothing"},
		{"CommandAndConstruct", `{"id": "pause", "wait"`, `{"id": "pause", "command": "ComposeEmail", "wait"`, "not both"},
		{"ConstructWithForEach", `"wait": {"for": "10m0s"}, `, `"wait": {"for": "10m0s"}, "for_each": {"items": "${[1]}", "as": "x"}, `, "cannot have a for_each"},
		{"ReplyBadFrom", `"from": "bob@example.com"`, `"from": "bob"`, "not an email address"},
		{"ReplyBadWithin", `"within": "24h0m0s"`, `"within": "a day"`, "not a duration"},
		{"ReplyUnknownStep", `${steps.send.message_id}`, `${steps.sent.message_id}`, `no step "sent"`},
		{"CheckNotBool", `"that": "steps.contacts.contacts.all(c, c.name.trim() != '')"`, `"that": "'yes'"`, "must be true or false"},
		{"CheckNoError", `"error": "a contact has no name"`, `"error": " "`, "needs the sentence"},
		{"AnswerKind", `"kind": "number"`, `"kind": "table"`, "not a kind of answer"},
		{"AnswerUnknownOutput", `steps.contacts.contacts.filter`, `steps.contacts.people.filter`, `no output "people"`},
		{"ReadsUnknownConstructOutput", `!steps.await_reply.replied`, `!steps.await_reply.answered`, `no output "answered"`},
		{"ScheduleBadZone", `"time_zone": "Europe/Berlin"`, `"time_zone": "Mars/Olympus"`, "not an IANA time zone"},
		{"ScheduleBadHour", `"hour": 9`, `"hour": 24`, "not an hour"},
		{"ScheduleBadDay", `["monday"]`, `["mon"]`, "not a day"},
		{"ScheduleNoProgram", `"program": "Send 'Hi' to bob@example.com"`, `"program": ""`, "needs the program"},
		{"ScheduleNoCalendar", `"calendar": [{"days_of_week": ["monday"], "hour": 9, "minute": 0}]`, `"calendar": []`, "from 1 to 31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plan.Parse([]byte(edit(t, constructsPlan, tt.from, tt.to)))
			if err == nil {
				err = plan.Validate(p)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// A plan with a schedule is never run itself: an interpreter that compiles it gets an error, so that the
// steps of one run cannot run at once when the schedule was meant.
func TestAPlanWithAScheduleDoesNotCompile(t *testing.T) {
	if _, err := parseAndCompile(constructsPlan); err == nil || !strings.Contains(err.Error(), "is not run itself") {
		t.Fatalf("Compile of a plan with a schedule: error %v, want one saying it is not run itself", err)
	}
	p, err := plan.Parse([]byte(constructsPlan))
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Validate(p); err != nil {
		t.Fatalf("Validate of a plan with a schedule: %v", err)
	}
}

func TestAPlanThatWaitsForAReplyAsksTheReplyFinder(t *testing.T) {
	p, err := plan.Parse([]byte(withoutSchedule))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Commands(), plan.ReplyFinder) {
		t.Fatalf("Commands() = %v; want %s, which the wait asks, so that the catalog records it", p.Commands(), plan.ReplyFinder)
	}
	c, err := plan.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if cmd, ok := c.ReplyCommand("await_reply"); !ok || cmd.Name != plan.ReplyFinder || cmd.Timeout == 0 {
		t.Fatalf("ReplyCommand(await_reply) = %+v, %v; want the %s entry", cmd, ok, plan.ReplyFinder)
	}
	if _, ok := c.ReplyCommand("again"); ok {
		t.Error("ReplyCommand of a SendEmail step is set")
	}
	// A catalog recorded without it (as a plan's own commands only) cannot run the wait: named, not skipped.
	cat := catalog.EntriesFor(slices.DeleteFunc(p.Commands(), func(n string) bool { return n == plan.ReplyFinder })...)
	if _, err := plan.CompileWith(p, cat); err == nil || !strings.Contains(err.Error(), plan.ReplyFinder) || !strings.Contains(err.Error(), "await_reply") {
		t.Fatalf("CompileWith a catalog without %s = %v; want an error naming the step and the command", plan.ReplyFinder, err)
	}
}

// TestStepNamesAreNoCommands names each construct step of constructsPlan as the result table shows it,
// and checks that no construct's name is a command's: the table looks a command's name up in the registry.
func TestStepNamesAreNoCommands(t *testing.T) {
	p, err := plan.Parse([]byte(withoutSchedule))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"wait": plan.NameWaitUntil, "contacts": "RetrieveContacts", "check": plan.NameCheck, "send": "SendEmail",
		"await_reply": plan.ReplyFinder, "pause": plan.NameWait, "answer": plan.NameAnswer}
	for _, s := range p.Steps {
		if w, ok := want[s.ID]; ok {
			if got := s.CommandName(); got != w {
				t.Errorf("step %s is named %q, want %q", s.ID, got, w)
			}
		}
	}
	for _, name := range []string{plan.NameWait, plan.NameWaitUntil, plan.NameCheck, plan.NameAnswer} {
		if _, ok := plan.Registered.Lookup(name); ok {
			t.Errorf("%q names a construct and is also a command", name)
		}
		if _, ok := catalog.Get(name); ok {
			t.Errorf("%q names a construct and is also a registered command", name)
		}
	}
}
