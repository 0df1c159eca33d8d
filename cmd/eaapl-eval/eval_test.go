package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
)

var setDir = filepath.Join("..", "..", "eval", "testdata") // the set stays in eval/, where make eval reads it

func TestTheSetHasAtLeast150ProgramsWithValidExpectedPlans(t *testing.T) {
	cases, err := loadSet(setDir) // parses, validates and canonicalises every expected plan
	if err != nil {
		t.Fatal(err)
	}
	refusals := 0
	for _, c := range cases {
		if c.CannotPlan {
			refusals++
		}
	}
	if len(cases) < 150 || refusals < 30 {
		t.Fatalf("%d programs, %d of them without a plan; want at least 150, and at least 30 refusals", len(cases), refusals)
	}
}

func TestTheRuleBasedPlannerIsNeverWrongOnTheSet(t *testing.T) {
	cases, err := loadSet(setDir)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rules, closeRules, err := rulesPlanner(setDir, evalMe) // as main runs the set: "to me" is known
	if err != nil {
		t.Fatal(err)
	}
	defer closeRules()
	counts := evaluate(context.Background(), &out, "rules", cases, rules, false)
	if counts[wrong] != 0 || counts[failed] != 0 {
		t.Fatalf("the rule-based planner got %d programs wrong:\n%s", counts[wrong], out.String())
	}
	// The seed program and the refusals at least; the share itself is what `make eval` reports.
	if counts[right] < 7 {
		t.Errorf("the rule-based planner got only %d right:\n%s", counts[right], out.String())
	}
}

// TestEvalRunsTheLLMPlannerAgainstAModelServer runs `make eval` as it runs with a model configured, against
// a fake OpenAI-compatible server that answers each program with its expected plan (its refusal for the
// programs without one), and once with a wrong plan: the report must count them right.
func TestEvalRunsTheLLMPlannerAgainstAModelServer(t *testing.T) {
	cases, err := loadSet(setDir)
	if err != nil {
		t.Fatal(err)
	}
	var answers []testenv.ModelAnswer
	for i, c := range cases {
		content := string(c.Plan)
		if c.CannotPlan {
			content = `{"cannot_plan": "no command does that"}`
		}
		if i == 0 { // a wrong message
			content = strings.Replace(content, "Hello World!", "Hello world", 1)
		}
		answers = append(answers, completion(t, content))
	}
	f := testenv.NewFakeModel(t, answers...)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "EAAPL_") || strings.HasPrefix(name, "OPENAI_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("OPENAI_BASE_URL", f.URL)

	var out bytes.Buffer
	if err := run(context.Background(), setDir, false, &out); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	want := regexp.MustCompile(fmt.Sprintf(`LLM planner \(gpt-4o-mini\): %d of %d right .*\n.* 1 wrong, 0 failed`, len(cases)-1, len(cases)))
	if !want.MatchString(report) {
		t.Errorf("report does not match %s:\n%s", want, report)
	}
	if !strings.Contains(report, "WRONG   01-hello-world") || !strings.Contains(report, "tokens: ") {
		t.Errorf("report does not show the wrong plan and the tokens:\n%s", report)
	}
	if got := len(f.Requests()); got != len(cases) {
		t.Errorf("%d requests, want %d: one per program (the wrong plan is a valid plan, so it needs no repair round)", got, len(cases))
	}
}

func completion(t *testing.T, content string) testenv.ModelAnswer {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id": "chatcmpl-eval", "object": "chat.completion", "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}},
		"usage":   map[string]any{"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
	})
	if err != nil {
		t.Fatal(err)
	}
	return testenv.ModelAnswer{Status: 200, Body: b}
}

func TestEvalSaysItSkipsTheModelWhenNoneIsConfigured(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "EAAPL_") || strings.HasPrefix(name, "OPENAI_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), setDir, false, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "rule-based planner: ") || !strings.Contains(out.String(), "LLM planner: SKIPPED") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestCanonicalComparesWhatPlansDo(t *testing.T) {
	now := evalNow
	base := `{"version": 1, "steps": [
	  {"id": "contacts", "command": "RetrieveContacts", "description": "Get your contacts."},
	  {"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "2026-11-23T00:00:00Z", "until": "2026-11-25T21:40:00Z"}, "depends_on": ["contacts"]},
	  {"id": "compose", "command": "ComposeEmail", "args": {"body": "Hello World!"}},
	  {"id": "send", "command": "SendEmail", "args": {"to": "${contact}", "subject": "${steps.compose.subject}", "body": "${steps.compose.body}"},
	   "depends_on": ["history", "compose"], "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"},
	   "if": "!(contact.email in steps.history.emailed)", "skip_reason": "emailed"}]}`
	same := []struct{ name, plan string }{
		{"OtherIDsItemNameOrderSpacingAndProse", `{"version": 1, "steps": [
		  {"id": "msg", "command": "ComposeEmail", "args": {"body": "Hello World!"}, "description": "Write it."},
		  {"id": "book", "command": "RetrieveContacts"},
		  {"id": "emailed", "command": "CheckEmailHistory", "args": {"contacts": "${ steps.book.contacts }", "since": "2026-11-23T00:00:00+00:00"}},
		  {"id": "mail", "command": "SendEmail", "args": {"to": "${c}", "subject": "${steps.msg.subject}", "body": "${steps.msg.body}"},
		   "for_each": {"items": "${steps.book.contacts}", "as": "c"}, "if": "!((c.email in steps.emailed.emailed))", "priority": "normal"}]}`},
	}
	different := []struct{ name, from, to string }{
		{"AnotherMessage", `"Hello World!"`, `"Hello world!"`},
		{"AnotherSince", `"2026-11-23T00:00:00Z"`, `"2026-11-22T00:00:00Z"`},
		{"NoCondition", `"if": "!(contact.email in steps.history.emailed)", `, ``},
		{"AnotherCommand", `"command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "2026-11-23T00:00:00Z", "until": "2026-11-25T21:40:00Z"}`, `"command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "2026-11-23T00:00:00Z", "until": "2026-11-24T00:00:00Z"}`},
	}
	want := mustCanonical(t, base, now)
	for _, tc := range same {
		t.Run("Same"+tc.name, func(t *testing.T) {
			if got := mustCanonical(t, tc.plan, now); got != want {
				t.Errorf("canonical:\n%s\nwant:\n%s", got, want)
			}
		})
	}
	for _, tc := range different {
		t.Run("Different"+tc.name, func(t *testing.T) {
			changed := strings.Replace(base, tc.from, tc.to, 1)
			if changed == base {
				t.Fatalf("the edit %q does not apply", tc.from)
			}
			if got := mustCanonical(t, changed, now); got == want {
				t.Errorf("a plan that does something else compares equal:\n%s", got)
			}
		})
	}
}

// TestCanonicalTellsAfterFromDependsOn: a step that only comes after a conditional step runs when the
// condition skips it, and one that depends on it is skipped with it, so the two plans differ.
func TestCanonicalTellsAfterFromDependsOn(t *testing.T) {
	doc := `{"version": 1, "steps": [
	  {"id": "history", "command": "CheckEmailHistory", "args": {"contacts": [{"name": "", "email": "alice@example.com"}], "since": "2026-11-23T00:00:00Z"}},
	  {"id": "send", "command": "SendEmail", "args": {"to": "alice@example.com", "subject": "Hi", "body": "Hi"}, "depends_on": ["history"], "if": "!(\"alice@example.com\" in steps.history.emailed)"},
	  {"id": "send_2", "command": "SendEmail", "args": {"to": "bob@example.com", "subject": "Yo", "body": "Yo"}, "WAITS": ["send"]}]}`
	after := mustCanonical(t, strings.Replace(doc, "WAITS", "after", 1), evalNow)
	if dependsOn := mustCanonical(t, strings.Replace(doc, "WAITS", "depends_on", 1), evalNow); after == dependsOn {
		t.Errorf("after and depends_on compare equal:\n%s", after)
	}
	if !strings.Contains(after, `"order_only"`) {
		t.Errorf("the canonical form of a plan with after does not say which steps are for order only:\n%s", after)
	}
}

func mustCanonical(t *testing.T, doc string, now time.Time) string {
	t.Helper()
	p, err := plan.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c, err := canonical(p, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCanonicalComparesConstructsAndSchedules: a wait's time, an answer's value and a schedule's calendar
// are what a plan does, so a plan that differs in them differs.
func TestCanonicalComparesConstructsAndSchedules(t *testing.T) {
	base := `{"version": 1, "steps": [
	  {"id": "wait", "wait": {"until": "2026-11-26T08:00:00Z"}, "description": "Wait."},
	  {"id": "contacts", "command": "RetrieveContacts", "depends_on": ["wait"]},
	  {"id": "answer", "answer": {"value": "${size(steps.contacts.contacts)}", "kind": "number", "label": "how many"}}],
	  "schedule": {"calendar": [{"days_of_week": ["monday"], "hour": 9, "minute": 0}], "time_zone": "UTC", "program": "How many contacts do I have?"}}`
	want := mustCanonical(t, base, evalNow)
	if got := mustCanonical(t, strings.Replace(base, `"label": "how many"`, `"label": "the count"`, 1), evalNow); got != want {
		t.Errorf("a different label (prose) compares different:\n%s", got)
	}
	for _, edit := range [][2]string{
		{`"2026-11-26T08:00:00Z"`, `"2026-11-26T09:00:00Z"`},
		{`size(steps.contacts.contacts)`, `size(steps.contacts.contacts) - 1`},
		{`"kind": "number"`, `"kind": "text"`},
		{`"hour": 9`, `"hour": 10`},
		{`["monday"]`, `["tuesday"]`},
		{`"program": "How many contacts do I have?"`, `"program": "List my contacts"`},
	} {
		if got := mustCanonical(t, strings.Replace(base, edit[0], edit[1], 1), evalNow); got == want {
			t.Errorf("changing %s to %s compares equal", edit[0], edit[1])
		}
	}
}

func TestJudgeHoldsARefusalToItsPartAndReason(t *testing.T) {
	_, err := (&planner.Rules{}).Plan(context.Background(), "Notify bob@example.com", time.Date(2026, 11, 25, 21, 40, 0, 0, time.UTC))
	if err == nil {
		t.Fatal("planned an unknown verb")
	}
	for _, tt := range []struct {
		c    evalCase
		want outcome
	}{
		{evalCase{CannotPlan: true}, right},
		{evalCase{CannotPlan: true, Part: "Notify", Why: `does not know the verb "Notify"`}, right},
		{evalCase{CannotPlan: true, Part: "Notify bob@example.com"}, wrong},
		{evalCase{CannotPlan: true, Part: "Notify", Why: "the message must be in quotes"}, wrong},
	} {
		if got, detail := judge(tt.c, nil, err); got != tt.want {
			t.Errorf("judge(part %q, why %q) = %s (%s), want %s", tt.c.Part, tt.c.Why, outcomeNames[got], detail, outcomeNames[tt.want])
		}
	}
}
