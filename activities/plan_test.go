package activities

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
)

const helloWorld = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"

// llmPlanning is the planning activity with the LLM planner talking to a fake model server that answers
// from planner/testdata/llm/<name>.json.
func llmPlanning(t *testing.T, name string, timeout time.Duration) (*Planning, *recordingPublisher) {
	t.Helper()
	f := testenv.NewFakeModel(t, testenv.ReadModelAnswers(t, filepath.Join("..", "planner", "testdata", "llm", name+".json"))...)
	client := planner.NewClient(planner.LLMConfig{BaseURL: f.URL, Model: "gpt-4o-mini", Timeout: timeout})
	events := &recordingPublisher{}
	agent := &planner.Agent{Rules: &planner.Rules{}, LLM: &planner.LLM{Client: client, Model: "gpt-4o-mini"}}
	return &Planning{Planner: agent, Events: events, WorkerID: "worker_test"}, events
}

func runPlanning(t *testing.T, p *Planning, req PlanRequest) (PlanResult, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(p)
	val, err := env.ExecuteActivity(p.PlanProgram, req)
	if err != nil {
		return PlanResult{}, err
	}
	var res PlanResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

var start = time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC)

func TestPlanProgramWithTheLLMPlanner(t *testing.T) {
	p, events := llmPlanning(t, "good", 10*time.Second)
	res, err := runPlanning(t, p, PlanRequest{Program: helloWorld, Now: start})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan == nil || len(res.Plan.Steps) != 4 || !res.MirrorEvents {
		t.Fatalf("result = %+v, want the 4-step plan", res)
	}
	want := planner.Report{Planner: "llm", Model: "gpt-4o-mini", Rounds: 1, Usage: planner.Usage{PromptTokens: 1650, CompletionTokens: 310, TotalTokens: 1960}}
	if res.Planning == nil || *res.Planning != want {
		t.Errorf("planning report = %+v, want %+v", res.Planning, want)
	}

	// The planning task's metrics, tokens included, go onto analytics.data.
	if len(events.events) != 1 || events.events[0].Topic != bridge.TopicAnalyticsData {
		t.Fatalf("published %+v, want one analytics.data event", events.events)
	}
	var data bridge.AnalyticsData
	if err := json.Unmarshal(events.events[0].Value, &data); err != nil {
		t.Fatal(err)
	}
	if data.TaskID != PlanningTaskID || data.Metrics["planner"] != "llm" || data.Metrics["total_tokens"] != 1960.0 || data.Metrics["prompt_tokens"] != 1650.0 {
		t.Errorf("analytics.data = %+v, want the planning task with its tokens", data)
	}
}

func TestPlanProgramRetriesOnlyWhatARetryCanFix(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retryable bool
		want      string
		tokens    int // spent, for the final failures
	}{
		{"rate-limited", true, "429", 0},
		{"server-error", true, "500", 0},
		{"timeout", true, "did not answer", 0},
		{"bad-key", false, "401", 0},
		{"invalid-twice", false, `step "history": args.since`, 1650 + 305 + 2010 + 310},
		{"not-json", false, "not a JSON object", 1650 + 20 + 1700 + 12},
		{"cannot-plan", false, "None of the commands can delete emails.", 1640 + 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, events := llmPlanning(t, tc.name, 500*time.Millisecond) // the timeout case's server waits 3s
			_, err := runPlanning(t, p, PlanRequest{Program: helloWorld, Now: start})
			if err == nil {
				t.Fatal("planning succeeded")
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("err = %v, want an application error", err)
			}
			if got := !appErr.NonRetryable(); got != tc.retryable {
				t.Errorf("retryable = %v, want %v (%v)", got, tc.retryable, err)
			}
			if !tc.retryable && appErr.Type() != catalog.ErrInvalidArgument {
				t.Errorf("type = %q, want %q", appErr.Type(), catalog.ErrInvalidArgument)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
			// A final failure is a rejection on security.events and the tokens it cost on analytics.data; a
			// retryable one is not reported.
			var topics []string
			for _, e := range events.events {
				topics = append(topics, e.Topic)
			}
			want := "security.events,analytics.data"
			if tc.retryable {
				want = ""
			}
			if got := strings.Join(topics, ","); got != want {
				t.Fatalf("published %q, want %q", got, want)
			}
			if !tc.retryable {
				var data bridge.AnalyticsData
				if err := json.Unmarshal(events.events[1].Value, &data); err != nil {
					t.Fatal(err)
				}
				if data.Metrics["status"] != "failed" || data.Metrics["total_tokens"] != float64(tc.tokens) {
					t.Errorf("analytics.data metrics = %v, want failed with %d tokens", data.Metrics, tc.tokens)
				}
			}
		})
	}
}

// TestPlanResultRecordsTheCatalogEntries checks that a plan comes back with the catalog entries of its
// commands, those and no others, as they were when it was checked: the workflow runs it against them.
func TestPlanResultRecordsTheCatalogEntries(t *testing.T) {
	p := &Planning{Planner: &planner.Agent{Rules: &planner.Rules{}}, WorkerID: "worker_test"}
	res, err := runPlanning(t, p, PlanRequest{Program: "Send 'Lunch?' to my contact Dave", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(res.Catalog.Names(), ","), "ComposeEmail,FindContact,SendEmail"; got != want {
		t.Fatalf("recorded entries %s, want %s", got, want)
	}
	send, _ := catalog.Lookup("SendEmail")
	b1, _ := json.Marshal(res.Catalog["SendEmail"])
	b2, _ := json.Marshal(send)
	if string(b1) != string(b2) {
		t.Fatalf("recorded SendEmail entry %s, want the registered %s", b1, b2)
	}
}

// TestPlanProgramPlansInTheProgramsZone: "today" is the day where the person who started the program is
// (PlanRequest.TimeZone), not where the worker is; a zone that is not one is refused, naming it.
func TestPlanProgramPlansInTheProgramsZone(t *testing.T) {
	worker, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	p := &Planning{Planner: &planner.Agent{Rules: &planner.Rules{Location: worker}}, WorkerID: "worker_test"}
	// 23:30 UTC on Tuesday 1 December: still the 1st in Los Angeles, already the 2nd in Tokyo.
	now := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	program := "Send an email to each of my contacts if I haven't emailed them today that says 'Hi'"
	since := func(res PlanResult) string {
		for _, s := range res.Plan.Steps {
			if v, ok := s.Args["since"].(string); ok {
				return v
			}
		}
		return ""
	}
	res, err := runPlanning(t, p, PlanRequest{Program: program, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := since(res); got != "2026-12-01T00:00:00-08:00" {
		t.Errorf("without a zone, today starts %s, want the worker's 2026-12-01T00:00:00-08:00", got)
	}
	res, err = runPlanning(t, p, PlanRequest{Program: program, Now: now, TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	if got := since(res); got != "2026-12-02T00:00:00+09:00" {
		t.Errorf("in Tokyo, today starts %s, want 2026-12-02T00:00:00+09:00", got)
	}
	if _, err := runPlanning(t, p, PlanRequest{Program: program, Now: now, TimeZone: "Mars/Olympus"}); err == nil || !strings.Contains(err.Error(), `"Mars/Olympus"`) {
		t.Errorf("an unknown zone: %v, want it refused naming it", err)
	}
}
