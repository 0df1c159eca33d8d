package planner

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eaapl/eaapl/plan"
)

func TestTimePhrasesResolveFromTheProgramsStart(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := now.In(paris) // Wednesday 25 November 2026, 22:40 in Paris
	for _, tc := range []struct{ phrase, want string }{
		{"now", "2026-11-25T22:40:00+01:00"},
		{"start of today", "2026-11-25T00:00:00+01:00"},
		{"Start of  this week", "2026-11-23T00:00:00+01:00"},
		{"start of this month", "2026-11-01T00:00:00+01:00"},
		{"7 days ago", "2026-11-18T22:40:00+01:00"},
		{"1 day ago", "2026-11-24T22:40:00+01:00"},
		{"36 hours ago", "2026-11-24T10:40:00+01:00"},
		{"2 weeks ago", "2026-11-11T22:40:00+01:00"},
		{"2026-11-02", "2026-11-02T00:00:00+01:00"},
		{"2026-10-01T08:00:00Z", "2026-10-01T08:00:00Z"},
	} {
		got, err := timeOf(tc.phrase, at)
		if err != nil || got != tc.want {
			t.Errorf("timeOf(%q) = %q, %v; want %q", tc.phrase, got, err, tc.want)
		}
	}
	for _, bad := range []string{"last Monday", "yesterday", "2026-13-01", "-3 days ago", "a week ago", ""} {
		if got, err := timeOf(bad, at); err == nil {
			t.Errorf("timeOf(%q) = %q, want an error", bad, got)
		}
	}
}

func TestResolveTimesNamesTheStepAndFieldAndLeavesExpressionsAlone(t *testing.T) {
	p := &plan.Plan{Version: 1, Steps: []plan.Step{
		{ID: "contacts", Command: "RetrieveContacts"},
		{ID: "history", Command: "CheckEmailHistory", Args: map[string]any{"contacts": "${steps.contacts.contacts}", "since": "${now - duration('24h')}", "until": "now"}},
	}}
	if err := resolveTimes(p, now); err != nil {
		t.Fatal(err)
	}
	if got := p.Steps[1].Args["since"]; got != "${now - duration('24h')}" {
		t.Errorf("an expression was rewritten: %v", got)
	}
	if got := p.Steps[1].Args["until"]; got != "2026-11-25T21:40:00Z" {
		t.Errorf("until = %v, want the start", got)
	}
	p.Steps[1].Args["since"] = "last Tuesday"
	var perr *plan.Error
	if err := resolveTimes(p, now); !errors.As(err, &perr) || perr.Step != "history" || perr.Field != "args.since" || !strings.Contains(err.Error(), "start of this week") {
		t.Errorf("err = %v, want a plan error on history's args.since listing the phrases", err)
	}
}

// TestThePromptsExampleIsAValidAnswer checks the example the model is shown against the response schema
// and the planner's own reading of answers: a prompt that teaches a wrong plan would cost a repair round
// on every program.
func TestThePromptsExampleIsAValidAnswer(t *testing.T) {
	prompt := systemPrompt()
	_, after, ok := strings.Cut(prompt, "Plan:\n")
	if !ok {
		t.Fatal("the prompt has no example plan")
	}
	after, _, _ = strings.Cut(after, "\n# More examples")
	example := []byte(strings.TrimSpace(after))

	c := jsonschema.NewCompiler()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(responseSchema()))
	if err != nil {
		t.Fatalf("the response schema is not JSON: %v", err)
	}
	if err := c.AddResource("plan.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("plan.json")
	if err != nil {
		t.Fatalf("the response schema does not compile: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(example)))
	if err != nil {
		t.Fatalf("the example is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the example does not match the response schema: %v", err)
	}
	for _, id := range idioms { // the examples of the constructs, too
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(id.Plan))
		if err != nil {
			t.Fatalf("the example of %q is not JSON: %v", id.Program, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("the example of %q does not match the response schema: %v", id.Program, err)
		}
	}
	var refusal any
	_ = json.Unmarshal([]byte(`{"cannot_plan": "no command sends text messages"}`), &refusal)
	if err := sch.Validate(refusal); err != nil {
		t.Errorf("a refusal does not match the response schema: %v", err)
	}

	l := &LLM{Model: "m"}
	_, p, err := l.read(string(example), "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'", now, time.UTC)
	if err != nil {
		t.Fatalf("the planner rejects the prompt's own example: %v", err)
	}
	want, err := (&Rules{}).Plan(context.Background(), p.Program, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Steps {
		want.Steps[i].Description, p.Steps[i].Description = "", ""
		want.Steps[i].SkipReason, p.Steps[i].SkipReason = "", ""
		want.Steps[i].DependsOn, p.Steps[i].DependsOn = nil, nil // the example leaves implied ones out
	}
	if got, w := indented(t, p), indented(t, want); got != w {
		t.Errorf("the prompt's example plans:\n%s\nthe rule-based planner:\n%s", got, w)
	}
}

func TestAgentChoosesThePlanner(t *testing.T) {
	llm := &LLM{Model: "m"}
	for _, tc := range []struct {
		name          string
		llm           *LLM
		dflt, asked   string
		want, wantErr string
	}{
		{"AutoWithAModel", llm, "", "", KindLLM, ""},
		{"AutoWithoutAModel", nil, "auto", "", KindRules, ""},
		{"DefaultRules", llm, "rules", "", KindRules, ""},
		{"AskedRules", llm, "llm", "rules", KindRules, ""},
		{"AskedLLM", llm, "rules", "llm", KindLLM, ""},
		{"AskedLLMWithoutAModel", nil, "", "llm", "", "OPENAI_API_KEY"},
		{"Unknown", llm, "", "oracle", "", `unknown planner "oracle"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := (&Agent{Rules: &Rules{}, LLM: tc.llm, Default: tc.dflt}).choose(tc.asked)
			if got != tc.want || (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("choose(%q) = %q, %v; want %q, error containing %q", tc.asked, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func indented(t *testing.T, p *plan.Plan) string {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
