package planner_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
)

const helloWorld = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"

// start is the programs' start time: Wednesday 25 November 2026, 21:40 UTC, as in
// examples/hello-world.plan.json.
var start = time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC)

// fakeModel starts a fake OpenAI-compatible server answering from testdata/llm/<name>.json and returns an
// LLM planner that talks to it through the real go-openai client.
func fakeModel(t *testing.T, name string, timeout time.Duration) (*planner.LLM, *testenv.FakeModel) {
	t.Helper()
	f := testenv.NewFakeModel(t, testenv.ReadModelAnswers(t, filepath.Join("testdata", "llm", name+".json"))...)
	client := planner.NewClient(planner.LLMConfig{APIKey: "sk-test", BaseURL: f.URL, Model: "gpt-4o-mini", Timeout: timeout})
	return &planner.LLM{Client: client, Model: "gpt-4o-mini"}, f
}

// chatRequest is the part of a chat completions request the tests look at.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

func decodeRequest(t *testing.T, body string) chatRequest {
	t.Helper()
	var r chatRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("request is not JSON: %v\n%s", err, body)
	}
	return r
}

// wantHelloWorld is examples/hello-world.plan.json without its descriptions, which the model writes in
// its own words.
func wantHelloWorld(t *testing.T) *plan.Plan {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "hello-world.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return withoutProse(p)
}

func withoutProse(p *plan.Plan) *plan.Plan {
	c := *p
	c.Steps = append([]plan.Step(nil), p.Steps...)
	for i := range c.Steps {
		c.Steps[i].Description, c.Steps[i].SkipReason = "", ""
	}
	return &c
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLLMPlansFromAGoodAnswer(t *testing.T) {
	llm, f := fakeModel(t, "good", 10*time.Second)
	p, rep, err := llm.Plan(context.Background(), helloWorld, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := asJSON(t, withoutProse(p)), asJSON(t, wantHelloWorld(t)); got != want {
		t.Fatalf("plan:\n%s\nwant (the example, times resolved from the start):\n%s", got, want)
	}
	if got, want := rep, (planner.Report{Planner: "llm", Model: "gpt-4o-mini", Rounds: 1, Usage: planner.Usage{PromptTokens: 1650, CompletionTokens: 310, TotalTokens: 1960}}); got != want {
		t.Errorf("report = %+v, want %+v", got, want)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := decodeRequest(t, reqs[0])
	if r.Model != "gpt-4o-mini" || len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[1].Role != "user" {
		t.Fatalf("request: model %q, %d messages; want gpt-4o-mini with a system and a user message", r.Model, len(r.Messages))
	}
	if r.ResponseFormat == nil || r.ResponseFormat.Type != "json_schema" || !json.Valid(r.ResponseFormat.JSONSchema.Schema) {
		t.Errorf("response_format = %+v, want json_schema with the plan's schema", r.ResponseFormat)
	}
	for _, command := range []string{"RetrieveContacts", "CheckEmailHistory", "ComposeEmail", "SendEmail"} {
		if !strings.Contains(r.Messages[0].Content, command) || !strings.Contains(string(r.ResponseFormat.JSONSchema.Schema), command) {
			t.Errorf("the prompt or the schema does not give the catalog's command %s", command)
		}
	}
	if !strings.Contains(r.Messages[1].Content, helloWorld) {
		t.Errorf("user message %q does not hold the program", r.Messages[1].Content)
	}
}

func TestLLMReadsAPlanInACodeFence(t *testing.T) {
	llm, _ := fakeModel(t, "fenced", 10*time.Second)
	p, _, err := llm.Plan(context.Background(), helloWorld, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := asJSON(t, withoutProse(p)), asJSON(t, wantHelloWorld(t)); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestLLMRepairsAnInvalidPlanInASecondRound(t *testing.T) {
	llm, f := fakeModel(t, "repaired", 10*time.Second)
	p, rep, err := llm.Plan(context.Background(), helloWorld, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := asJSON(t, withoutProse(p)), asJSON(t, wantHelloWorld(t)); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if rep.Rounds != 2 || rep.Usage.TotalTokens != 1650+305+2010+310 {
		t.Errorf("report = %+v, want 2 rounds and the tokens of both", rep)
	}
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	r := decodeRequest(t, reqs[1])
	if len(r.Messages) != 4 || r.Messages[2].Role != "assistant" || r.Messages[3].Role != "user" {
		t.Fatalf("repair request has %d messages, want system, user, the model's answer and the error", len(r.Messages))
	}
	if !strings.Contains(r.Messages[2].Content, `"SendMail"`) {
		t.Errorf("the repair round does not show the model its answer: %q", r.Messages[2].Content)
	}
	if repair := r.Messages[3].Content; !strings.Contains(repair, `step "send": command: unknown command "SendMail"`) {
		t.Errorf("the repair round does not show the model its error: %q", repair)
	}
}

func TestLLMFailsClearlyWhenTheRepairFailsToo(t *testing.T) {
	llm, f := fakeModel(t, "invalid-twice", 10*time.Second)
	_, rep, err := llm.Plan(context.Background(), helloWorld, start, false)
	var invalid *planner.InvalidPlanError
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v, want an InvalidPlanError", err)
	}
	// The error quotes the second round's fault: a time phrase the planner does not know.
	for _, want := range []string{"after a repair round", `step "history": args.since: "last Monday" is not a time`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if isTemporary(err) {
		t.Error("an invalid plan is reported as temporary; a retry would ask the model again for nothing")
	}
	if len(f.Requests()) != 2 || rep.Rounds != 2 {
		t.Errorf("%d requests and %d rounds, want exactly 2: one repair round only", len(f.Requests()), rep.Rounds)
	}
}

func TestLLMFailsClearlyOnAnswersThatAreNotJSON(t *testing.T) {
	llm, f := fakeModel(t, "not-json", 10*time.Second)
	_, _, err := llm.Plan(context.Background(), helloWorld, start, false)
	var invalid *planner.InvalidPlanError
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v, want an InvalidPlanError", err)
	}
	if want := `the answer is not a JSON object: "I would get your contacts and email them."`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not quote the answer: want %q", err, want)
	}
	if r := decodeRequest(t, f.Requests()[1]); !strings.Contains(r.Messages[3].Content, "not a JSON object") {
		t.Errorf("repair message %q does not say the answer was not JSON", r.Messages[3].Content)
	}
}

func TestLLMModelErrorsSayWhetherARetryHelps(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		temporary bool
	}{
		{"rate-limited", 429, true},
		{"server-error", 500, true},
		{"bad-key", 401, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			llm, f := fakeModel(t, tc.name, 10*time.Second)
			_, _, err := llm.Plan(context.Background(), helloWorld, start, false)
			var me *planner.ModelError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a ModelError", err)
			}
			if me.Status != tc.status || isTemporary(err) != tc.temporary {
				t.Errorf("status %d, temporary %v; want %d, %v (%v)", me.Status, isTemporary(err), tc.status, tc.temporary, err)
			}
			if len(f.Requests()) != 1 {
				t.Errorf("%d requests, want 1: retries are the activity's, with backoff", len(f.Requests()))
			}
		})
	}
}

func TestLLMSucceedsAfterARateLimit(t *testing.T) {
	// The planner does not retry; the planning activity's retry policy does, by calling it again.
	llm, f := fakeModel(t, "rate-limited", 10*time.Second)
	if _, _, err := llm.Plan(context.Background(), helloWorld, start, false); !isTemporary(err) {
		t.Fatalf("first attempt: err = %v, want a temporary error", err)
	}
	p, rep, err := llm.Plan(context.Background(), helloWorld, start, false)
	if err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if len(p.Steps) != 4 || rep.Rounds != 1 || len(f.Requests()) != 2 {
		t.Errorf("second attempt: %d steps, %d rounds, %d requests in all; want 4, 1, 2", len(p.Steps), rep.Rounds, len(f.Requests()))
	}
}

func TestLLMTimeoutIsTemporary(t *testing.T) {
	llm, _ := fakeModel(t, "timeout", 200*time.Millisecond) // the server answers after 3s
	began := time.Now()
	_, _, err := llm.Plan(context.Background(), helloWorld, start, false)
	var me *planner.ModelError
	if !errors.As(err, &me) || !isTemporary(err) {
		t.Fatalf("err = %v, want a temporary ModelError", err)
	}
	if took := time.Since(began); took >= 3*time.Second {
		t.Errorf("the planner waited %s, past its timeout, for the whole answer", took)
	}
}

func TestLLMFallsBackToPlainJSONWhenTheServerRefusesTheSchema(t *testing.T) {
	llm, f := fakeModel(t, "no-json-schema", 10*time.Second)
	for range 2 {
		if _, _, err := llm.Plan(context.Background(), helloWorld, start, true); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3: the refused one, then one per plan", len(reqs))
	}
	if decodeRequest(t, reqs[0]).ResponseFormat == nil {
		t.Error("the first request did not offer the json_schema response format")
	}
	for i, r := range reqs[1:] {
		if decodeRequest(t, r).ResponseFormat != nil {
			t.Errorf("request %d asks for a response format the server refused", i+2)
		}
	}
}

func TestLLMReportsAProgramItCannotPlan(t *testing.T) {
	llm, f := fakeModel(t, "cannot-plan", 10*time.Second)
	_, _, err := llm.Plan(context.Background(), "Delete every email I sent last year", start, false)
	var cannot *planner.CannotPlanError
	if !errors.As(err, &cannot) || cannot.Reason != "None of the commands can delete emails." {
		t.Fatalf("err = %v, want a CannotPlanError with the model's reason", err)
	}
	if isTemporary(err) || len(f.Requests()) != 1 {
		t.Errorf("temporary %v after %d requests; want a final answer after 1", isTemporary(err), len(f.Requests()))
	}
}

func TestLLMCachesPlansAndResolvesTheirTimesAtEachUse(t *testing.T) {
	llm, f := fakeModel(t, "good", 10*time.Second)
	llm.Cache = &planner.Cache{Dir: t.TempDir(), Signer: testSigner(t)}
	first, _, err := llm.Plan(context.Background(), helloWorld, start, false)
	if err != nil {
		t.Fatal(err)
	}
	// The same program a week later, with other spacing, comes from the cache with next week's times.
	later := start.Add(7 * 24 * time.Hour)
	p, rep, err := llm.Plan(context.Background(), "  "+helloWorld+"\n", later, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Cached || rep.Rounds != 0 || rep.Usage.TotalTokens != 0 || len(f.Requests()) != 1 {
		t.Fatalf("report %+v after %d requests; want a cached plan with no model call", rep, len(f.Requests()))
	}
	history, _ := p.Step("history")
	if got, want := history.Args["since"], "2026-11-30T00:00:00Z"; got != want {
		t.Errorf("cached plan's since = %v, want %v (Monday of the later week)", got, want)
	}
	if first.Steps[1].Args["since"] == history.Args["since"] {
		t.Error("the cached plan kept the first run's times")
	}
	// Another message is another program.
	if _, _, err := llm.Plan(context.Background(), strings.Replace(helloWorld, "Hello World!", "Hello world!", 1), start, false); err == nil || len(f.Requests()) != 2 {
		t.Errorf("a program with another message hit the cache (%d requests, err %v)", len(f.Requests()), err)
	}
	// --no-cache asks the model even for a cached program.
	if _, rep, _ := llm.Plan(context.Background(), helloWorld, start, true); rep.Cached || len(f.Requests()) != 3 {
		t.Errorf("noCache: report %+v after %d requests, want a model call", rep, len(f.Requests()))
	}
}

func TestLLMSaysWhyTheCacheCouldNotBeWritten(t *testing.T) {
	llm, _ := fakeModel(t, "good", 10*time.Second)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	llm.Cache = &planner.Cache{Dir: filepath.Join(file, "plans"), Signer: testSigner(t)} // under a file: cannot be made
	_, rep, err := llm.Plan(context.Background(), helloWorld, start, false)
	if err != nil {
		t.Fatalf("a cache that cannot be written failed the plan: %v", err)
	}
	if !strings.Contains(rep.CacheError, "plan cache") {
		t.Errorf("report = %+v, want the cache error", rep)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// constructsModel returns an LLM planner in zone loc whose fake model answers with the given contents.
func constructsModel(t *testing.T, loc *time.Location, contents ...string) (*planner.LLM, *testenv.FakeModel) {
	t.Helper()
	answers := make([]testenv.ModelAnswer, len(contents))
	for i, c := range contents {
		answers[i] = testenv.ChatAnswer(c)
	}
	f := testenv.NewFakeModel(t, answers...)
	client := planner.NewClient(planner.LLMConfig{APIKey: "sk-test", BaseURL: f.URL, Model: "gpt-4o-mini", Timeout: 10 * time.Second})
	return &planner.LLM{Client: client, Model: "gpt-4o-mini", Location: loc}, f
}

// TestLLMPlansTheLanguagesConstructs: programs of the language's constructs, as a model would plan them
// from the prompt, are read, their times resolved and validated like the rule-based planner's plans.
func TestLLMPlansTheLanguagesConstructs(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, program, answer string
		check                 func(t *testing.T, p *plan.Plan)
	}{
		{"ASequence", "Send 'Hello' to alice@example.com, then send 'Bye' to bob@example.com",
			`{"version": 1, "steps": [{"id": "hello", "command": "SendEmail", "args": {"to": {"name": "", "email": "alice@example.com"}, "subject": "Hello", "body": "Hello"}}, {"id": "bye", "command": "SendEmail", "depends_on": ["hello"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Bye", "body": "Bye"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if len(p.Steps) != 2 || p.Steps[1].DependsOn[0] != "hello" {
					t.Errorf("steps %+v, want bye after hello", p.Steps)
				}
			}},
		{"AWaitUntilTomorrow", "Tomorrow at 8am send 'Good morning' to bob@example.com",
			`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "tomorrow at 08:00"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Good morning", "body": "Good morning"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				// The start is 22:40 in Berlin on Wednesday: tomorrow is Thursday, 08:00 there.
				if got := p.Steps[0].Wait.Until; got != "2026-11-26T08:00:00+01:00" {
					t.Errorf("wait.until = %q, want 08:00 on Thursday in Berlin", got)
				}
			}},
		// The model's wait phrases are read with the rule-based planner's grammar of times (shared code).
		{"AWaitUntilADateByName", "On 24 December at 6pm send 'Merry Christmas' to bob@example.com",
			`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "24 December at 18:00"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Merry Christmas", "body": "Merry Christmas"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if got := p.Steps[0].Wait.Until; got != "2026-12-24T18:00:00+01:00" {
					t.Errorf("wait.until = %q, want 18:00 on 24 December in Berlin", got)
				}
			}},
		{"AWaitUntilTonight", "Tonight at 11 send 'Good night' to bob@example.com",
			`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "tonight at 11"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Good night", "body": "Good night"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if got := p.Steps[0].Wait.Until; got != "2026-11-25T23:00:00+01:00" {
					t.Errorf("wait.until = %q, want 23:00 tonight in Berlin", got)
				}
			}},
		{"AWaitUntilMidnight", "Tomorrow at midnight send 'Hi' to bob@example.com",
			`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "tomorrow at midnight"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Hi", "body": "Hi"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				// Midnight ends the day it is said with: the start of Friday.
				if got := p.Steps[0].Wait.Until; got != "2026-11-27T00:00:00+01:00" {
					t.Errorf("wait.until = %q, want 00:00 on Friday in Berlin", got)
				}
			}},
		{"AWaitUntilNextMondayShortName", "Next Mon at 9am send 'Hi' to bob@example.com",
			`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "next Mon at 09:00"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Hi", "body": "Hi"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if got := p.Steps[0].Wait.Until; got != "2026-11-30T09:00:00+01:00" {
					t.Errorf("wait.until = %q, want 09:00 on Monday 30 November in Berlin", got)
				}
			}},
		{"AWaitFor", "Wait 10 minutes, then send 'Hi' to bob@example.com",
			`{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"for": "10m0s"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Hi", "body": "Hi"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if p.Steps[0].Wait.For != "10m0s" {
					t.Errorf("wait = %+v", p.Steps[0].Wait)
				}
			}},
		{"AFilterAndAPlaceholderWithItsCheck", "Email each of my contacts at acme.com saying 'Dear {first name}'",
			`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "check", "command": "", "check": {"that": "steps.contacts.contacts.all(contact, contact.name.trim() != '')", "error": "a contact has no name"}}, {"id": "send", "command": "SendEmail", "depends_on": ["check"], "args": {"to": "${contact}", "subject": "Dear ${contact.name.trim().split(' ')[0]}", "body": "Dear ${contact.name.trim().split(' ')[0]}"}, "for_each": {"items": "${steps.contacts.contacts}", "as": "contact"}, "if": "contact.email.endsWith('@acme.com')", "skip_reason": "not at acme.com"}]}`,
			func(t *testing.T, p *plan.Plan) {
				if p.Steps[1].Construct() != plan.ConstructCheck || p.Steps[2].If == "" {
					t.Errorf("steps %+v, want a check, then a filtered for_each", p.Steps)
				}
			}},
		{"AnAnswer", "How many of my contacts have I not emailed this week?",
			`{"version": 1, "steps": [{"id": "contacts", "command": "RetrieveContacts"}, {"id": "history", "command": "CheckEmailHistory", "args": {"contacts": "${steps.contacts.contacts}", "since": "start of this week", "until": "now"}}, {"id": "answer", "command": "", "answer": {"value": "${size(steps.contacts.contacts.filter(contact, !(contact.email in steps.history.emailed)))}", "kind": "number", "label": "how many"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if p.Steps[2].Answer == nil || p.Steps[1].Args["since"] != "2026-11-23T00:00:00+01:00" {
					t.Errorf("steps %+v, want an answer and this week's Monday in Berlin", p.Steps)
				}
			}},
		{"AnAwaitReply", "Send 'Are you coming?' to bob@example.com and if he doesn't reply within a day, send it again",
			`{"version": 1, "steps": [{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Are you coming?", "body": "Are you coming?"}}, {"id": "reply", "command": "", "depends_on": ["send"], "await_reply": {"to": "${steps.send.message_id}", "from": "bob@example.com", "within": "24h0m0s"}}, {"id": "again", "command": "SendEmail", "depends_on": ["reply"], "if": "!steps.reply.replied", "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Are you coming?", "body": "Are you coming?"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if r := p.Steps[1].AwaitReply; r == nil || r.Within != "24h0m0s" || p.Steps[2].If != "!steps.reply.replied" {
					t.Errorf("steps %+v, want an await_reply of a day and a send if no reply came", p.Steps)
				}
			}},
		{"AScheduleInTheConfiguredZone", "Every weekday at 9am, send 'Daily digest' to ann@example.com",
			`{"version": 1, "schedule": {"calendar": [{"days_of_week": ["monday", "tuesday", "wednesday", "thursday", "friday"], "hour": 9, "minute": 0}], "program": "send 'Daily digest' to ann@example.com"}, "steps": [{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "ann@example.com"}, "subject": "Daily digest", "body": "Daily digest"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if p.Schedule == nil || p.Schedule.TimeZone != "Europe/Berlin" || p.Schedule.Program != "send 'Daily digest' to ann@example.com" {
					t.Errorf("schedule %+v, want the weekday calendar in Europe/Berlin", p.Schedule)
				}
			}},
		{"DocumentCommands", "Open the document q3-report.md, analyze it for trends, and summarize it",
			`{"version": 1, "steps": [{"id": "read", "command": "ReadDocument", "args": {"path": "q3-report.md"}}, {"id": "trends", "command": "AnalyzeTrends", "args": {"text": "${steps.read.text}"}}, {"id": "summarize", "command": "Summarize", "args": {"text": "${steps.read.text}"}}]}`,
			func(t *testing.T, p *plan.Plan) {
				if got := p.Commands(); strings.Join(got, ",") != "ReadDocument,AnalyzeTrends,Summarize" {
					t.Errorf("commands %v", got)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			llm, f := constructsModel(t, berlin, tc.answer)
			p, rep, err := llm.Plan(context.Background(), tc.program, start, true)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rounds != 1 {
				t.Errorf("%d rounds, want 1", rep.Rounds)
			}
			tc.check(t, p)
			system := decodeRequest(t, f.Requests()[0]).Messages[0].Content
			for _, want := range []string{`"wait": {`, `"await_reply": {`, `"check": {`, `"answer": {`, `"schedule": {`, "ReadDocument", "Summarize", "{first name}"} {
				if !strings.Contains(system, want) {
					t.Errorf("the prompt lacks %s", want)
				}
			}
		})
	}
}

// TestLLMRefusesAScheduleWithoutANamedZone: with the machine's zone (EAAPL_TIMEZONE unset), a schedule
// the model plans is refused, saying how to set the zone, without a repair round: the model cannot fix it.
func TestLLMRefusesAScheduleWithoutANamedZone(t *testing.T) {
	llm, f := constructsModel(t, time.Local, `{"version": 1, "schedule": {"calendar": [{"days_of_week": ["monday"], "hour": 9, "minute": 0}], "program": "send 'Hi' to ann@example.com"}, "steps": [{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "ann@example.com"}, "subject": "Hi", "body": "Hi"}}]}`)
	_, _, err := llm.Plan(context.Background(), "Every Monday at 9am, send 'Hi' to ann@example.com", start, true)
	if err == nil || !strings.Contains(err.Error(), "set EAAPL_TIMEZONE to an IANA zone such as Europe/Berlin") {
		t.Fatalf("err = %v, want the refusal naming EAAPL_TIMEZONE", err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: no repair round", n)
	}
}

// TestLLMRefusesAWeekdayThatIsToday: "wednesday at 22:00" on a Wednesday could be today or in a week; the
// model's phrase is refused as the same words in a program are, never resolved to one of them.
func TestLLMRefusesAWeekdayThatIsToday(t *testing.T) {
	const wait = `{"version": 1, "steps": [{"id": "wait", "command": "", "wait": {"until": "wednesday at 23:00"}}, {"id": "send", "command": "SendEmail", "depends_on": ["wait"], "args": {"to": {"name": "", "email": "bob@example.com"}, "subject": "Hi", "body": "Hi"}}]}`
	llm, _ := constructsModel(t, time.UTC, wait, wait)
	_, _, err := llm.Plan(context.Background(), "On Wednesday at 11pm send 'Hi' to bob@example.com", start, true)
	if err == nil || !strings.Contains(err.Error(), "Wednesday is today, so it could mean today or Wednesday 2 December") {
		t.Fatalf("err = %v, want the refusal saying the weekday is today", err)
	}
}

// TestLLMRefusesAnUnknownConstruct: a step with a construct the plan package does not have is refused
// like a hand-written plan's, after the repair round, naming the field.
func TestLLMRefusesAnUnknownConstruct(t *testing.T) {
	const loop = `{"version": 1, "steps": [{"id": "again", "command": "", "loop": {"times": 3}}]}`
	llm, f := constructsModel(t, time.UTC, loop, loop)
	_, _, err := llm.Plan(context.Background(), "Send 'Hi' to bob@example.com three times", start, true)
	var invalid *planner.InvalidPlanError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), `"loop"`) {
		t.Fatalf("err = %v, want an InvalidPlanError naming the unknown field loop", err)
	}
	if n := len(f.Requests()); n != 2 {
		t.Errorf("%d requests, want 2: the answer and its repair", n)
	}
	if !strings.Contains(f.Requests()[1], "loop") {
		t.Error("the repair round does not show the model its error")
	}
}
