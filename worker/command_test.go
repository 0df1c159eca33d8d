package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/contacts"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// Echo is a command registered only in this test, the way docs/adding-a-command.md adds one: a typed
// definition and one registration line. The tests below take it through everything a built-in command
// goes through: validation, the LLM planner's prompt, the read-back, a run as a single task and as the
// items of a for_each (through the real RunBatch, with its batch session), and the labels.

type echoArgs struct {
	Text string `json:"text" eaapl:"required" desc:"the text to say back"`
}

type echoOutput struct {
	Said string `json:"said" eaapl:"required" desc:"the text, said back"`
}

// echoDeps is Echo's dependency: where it says things, and how many batch sessions it opened.
type echoDeps struct{ log *echoLog }

type echoLog struct {
	mu       sync.Mutex
	said     []string
	sessions int
}

var echo = catalog.Define(catalog.Def[echoDeps, echoArgs, echoOutput]{
	Name:        "Echo",
	Description: "Say a text back.",
	SideEffect:  catalog.Reads,
	Timeout:     10 * time.Second,
	Retry:       catalog.DefaultRetry,
	Label:       catalog.Label{Arg: "text"},
	Run: func(_ context.Context, d echoDeps, a echoArgs) (echoOutput, error) {
		if strings.TrimSpace(a.Text) == "" {
			return echoOutput{}, catalog.Invalid("parameter %q must not be blank", "text")
		}
		d.log.mu.Lock()
		d.log.said = append(d.log.said, a.Text)
		d.log.mu.Unlock()
		return echoOutput{Said: a.Text}, nil
	},
	Session: func(d echoDeps) (echoDeps, func()) {
		d.log.mu.Lock()
		d.log.sessions++
		d.log.mu.Unlock()
		return d, func() {}
	},
	Hint: func(string) string { return "there is nothing to fix: Echo has no dependency" },
	ReadBack: func(r catalog.Reading) string {
		text, ok := r.Text(r.Step().Args["text"])
		if !ok || r.Step().ForEach != nil {
			return ""
		}
		return fmt.Sprintf("Say %q back.", text)
	},
	Forms: catalog.Forms{Phrases: []string{"echo {text}", "say {text} back"}},
})

func init() { catalog.Register(echo) } // the one registration line

func parsePlan(t *testing.T, s string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const echoPlan = `{"version": 1, "steps": [
	{"id": "say", "command": "Echo", "args": {"text": "hi"}},
	{"id": "each", "command": "Echo", "args": {"text": "${w} and ${steps.say.said}"}, "for_each": {"items": "${['a', 'b', 'c']}", "as": "w"}}
]}`

// runProgram runs a program's hand-written plan on the Temporal test suite with the worker's real registrations:
// the planning activity (which validates it), one activity per command and RunBatch.
func runProgram(t *testing.T, in workflows.Input, deps catalog.Deps) workflows.Result {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	cmds := &activities.Commands{Deps: deps, WorkerID: "test-worker"}
	worker.Register(env, worker.Dependencies{
		Commands: cmds,
		Planning: &activities.Planning{WorkerID: "test-worker"},
		Mirror:   &activities.Mirror{},
		Batches:  &activities.Batches{Commands: cmds},
	})
	env.ExecuteWorkflow(workflows.WorkflowType, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the program did not complete")
	}
	var res workflows.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	return res
}

func TestACommandRegisteredInATest(t *testing.T) {
	t.Run("IsValidatedInAPlan", func(t *testing.T) {
		if err := plan.Validate(parsePlan(t, echoPlan)); err != nil {
			t.Fatal(err)
		}
		err := plan.Validate(parsePlan(t, `{"version": 1, "steps": [{"id": "say", "command": "Echo", "args": {"text": 3}}]}`))
		if err == nil || !strings.Contains(err.Error(), `step "say": args.text`) {
			t.Fatalf("a number for Echo's text: %v, want an error naming args.text", err)
		}
		err = plan.Validate(parsePlan(t, `{"version": 1, "steps": [{"id": "say", "command": "Echo"}]}`))
		if err == nil || !strings.Contains(err.Error(), `Echo needs the argument "text"`) {
			t.Fatalf("Echo without text: %v", err)
		}
	})

	t.Run("IsReadBackAndLabelled", func(t *testing.T) {
		got := starter.ReadBack(parsePlan(t, echoPlan), time.Now())
		if want := `Say "hi" back.`; got[0] != want {
			t.Errorf("read-back = %q, want %q", got[0], want)
		}
		if want := `Run Echo for each of the list "a", "b" and "c" with text = "{the item} and {the said of step 1}".`; got[1] != want {
			t.Errorf("read-back of the for_each = %q, want %q", got[1], want)
		}
		if got, want := echo.TaskLabel(map[string]any{"text": "hi"}), "Echo hi"; got != want {
			t.Errorf("label = %q, want %q", got, want)
		}
	})

	t.Run("IsOfferedToTheLLMPlanner", func(t *testing.T) {
		answer := map[string]any{"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": `{"version": 1, "steps": [{"id": "say", "command": "Echo", "args": {"text": "hello"}}]}`}}}}
		body, _ := json.Marshal(answer)
		model := testenv.NewFakeModel(t, testenv.ModelAnswer{Status: 200, Body: body})
		llm := &planner.LLM{Client: planner.NewClient(planner.LLMConfig{APIKey: "sk-test", BaseURL: model.URL, Model: "gpt-4o-mini", Timeout: 10 * time.Second}), Model: "gpt-4o-mini"}
		p, _, err := llm.Plan(context.Background(), "Say hello back", time.Now(), true)
		if err != nil {
			t.Fatal(err)
		}
		if p.Steps[0].Command != "Echo" {
			t.Fatalf("plan = %+v", p)
		}
		reqs := model.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests to the model, want 1", len(reqs))
		}
		// The catalog in the prompt, and the response schema, both offer Echo with its argument.
		for _, want := range []string{`{\"name\":\"Echo\",\"description\":\"Say a text back.\",\"args\":[{\"name\":\"text\",\"type\":\"string\",\"required\":true,\"description\":\"the text to say back\"}]`, `\"enum\":[\"Echo\"]`} {
			if !strings.Contains(reqs[0], want) {
				t.Errorf("the request to the model lacks %s", want)
			}
		}
	})

	t.Run("RunsSingleAndInAForEach", func(t *testing.T) {
		log := &echoLog{}
		res := runProgram(t, workflows.Input{Plan: parsePlan(t, echoPlan)}, catalog.Deps{echoDeps{log: log}})
		if res.State != workflows.StateCompleted {
			t.Fatalf("result = %+v", res)
		}
		single := res.Steps[0].Items
		if len(single) != 1 || single[0].Label != "Echo hi" || single[0].Task.Output["said"] != "hi" {
			t.Fatalf("single task = %+v", single)
		}
		var labels, said []string
		for _, it := range res.Steps[1].Items {
			labels = append(labels, it.Label)
			said = append(said, fmt.Sprint(it.Task.Output["said"]))
		}
		if got, want := strings.Join(labels, ","), "a and hi,b and hi,c and hi"; got != want {
			t.Errorf("item labels = %s, want %s", got, want)
		}
		if got, want := strings.Join(said, ","), "a and hi,b and hi,c and hi"; got != want {
			t.Errorf("items said %s, want %s", got, want)
		}
		if log.sessions == 0 {
			t.Error("the for_each's items did not run in a batch session (RunBatch)")
		}
	})
}

// names is an address book for FindContact, which counts its reads.
type names struct {
	contacts []catalog.ContactValue
	reads    atomic.Int32
}

func (n *names) Open(ctx context.Context) (contacts.Book, error) {
	n.reads.Add(1)
	return contacts.List(n.contacts).Open(ctx)
}

// TestForEachFindContactRunsEveryItem is bug 1 of issue 11: a plan with a for_each over FindContact
// validated, then every item failed with "command FindContact cannot run in a batch". Each item now runs
// through FindContact's own implementation in RunBatch, as a single task does.
func TestForEachFindContactRunsEveryItem(t *testing.T) {
	p := parsePlan(t, `{"version": 1, "steps": [
		{"id": "find", "command": "FindContact", "args": {"name": "${n}"}, "for_each": {"items": "${['Ann', 'Bob Stone']}", "as": "n"}}
	]}`)
	book := &names{contacts: []catalog.ContactValue{{Name: "Ann Lee", Email: "ann@example.com", Source: "c.vcf:3"}, {Name: "Bob Stone", Email: "bob@example.com", Source: "c.vcf:8"}}}
	// One slot: the items go in one batch.
	res := runProgram(t, workflows.Input{Plan: p, MaxConcurrency: 1}, catalog.Deps{contacts.Deps{Source: book}})
	if res.State != workflows.StateCompleted {
		t.Fatalf("result = %s: %+v", res.Summary, res.Steps)
	}
	var got []string
	for _, it := range res.Steps[0].Items {
		c, _ := it.Task.Output["contact"].(map[string]any)
		got = append(got, fmt.Sprintf("%s=%v", it.Label, c["email"]))
	}
	if want := "Ann=ann@example.com,Bob Stone=bob@example.com"; strings.Join(got, ",") != want {
		t.Fatalf("items = %v, want %s", got, want)
	}
	// FindContact's batch session: the batch's items share one read of the address book.
	if n := book.reads.Load(); n != 1 {
		t.Errorf("the address book was read %d times for one batch, want once", n)
	}
}
