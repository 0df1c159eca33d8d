package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/testenv"
)

// useFakeModel points the CLI at a fake OpenAI-compatible server answering from
// planner/testdata/llm/<name>.json, with a plan cache of its own.
func useFakeModel(t *testing.T, name string) *testenv.FakeModel {
	t.Helper()
	f := testenv.NewFakeModel(t, testenv.ReadModelAnswers(t, filepath.Join("..", "..", "planner", "testdata", "llm", name+".json"))...)
	t.Setenv("OPENAI_BASE_URL", f.URL)
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("EAAPL_PLAN_CACHE", t.TempDir())
	// The cache signs its entries with the payload keys; without keys it is off.
	keyFile := filepath.Join(t.TempDir(), "payload.keys")
	if _, err := crypt.EnsureKeyFile(keyFile, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EAAPL_KEY_FILE", keyFile)
	t.Setenv("EAAPL_TIMEZONE", "UTC")
	return f
}

func TestPlanWithTheLLMPlanner(t *testing.T) {
	isolateEnv(t)
	f := useFakeModel(t, "good")

	stdout, stderr, err := runCLI(t, "plan", "--planner", "llm", helloWorld)
	if err != nil {
		t.Fatal(err)
	}
	readBack, js, ok := strings.Cut(stdout, "\n{")
	if !ok {
		t.Fatalf("stdout has no JSON after the read-back:\n%s", stdout)
	}
	// The model's descriptions say "this week"; the read-back is made from the plan, with its dates.
	lines := strings.Split(strings.TrimSpace(readBack), "\n")
	if len(lines) != 4 || lines[0] != "1. Get your contacts." || !strings.HasPrefix(lines[1], "2. Find which of them you have emailed since Monday ") ||
		lines[2] != `3. Write the message "Hello World!".` || !strings.HasPrefix(lines[3], "4. Send it to each contact you have not emailed since Monday ") {
		t.Errorf("read-back:\n%s", readBack)
	}
	if p := parseValidPlan(t, []byte("{"+js)); p.Program != helloWorld {
		t.Errorf("plan program = %q, want %q", p.Program, helloWorld)
	}
	if want := "Planned by gpt-4o-mini in 1 round(s): 1960 tokens (1650 prompt, 310 completion)."; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to say %q", stderr, want)
	}

	// The planner is the LLM one by default when a model is configured, and the cache answers.
	_, stderr, err = runCLI(t, "plan", helloWorld)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "from the plan cache") || len(f.Requests()) != 1 {
		t.Errorf("second plan: stderr %q after %d requests; want the cached plan and no new request", stderr, len(f.Requests()))
	}

	// --no-cache asks the model again; the fake has no second answer and answers 500.
	_, _, err = runCLI(t, "plan", "--no-cache", helloWorld)
	if err == nil || !strings.Contains(err.Error(), "500") || len(f.Requests()) != 2 {
		t.Errorf("--no-cache: err %v after %d requests; want the model asked again", err, len(f.Requests()))
	}

	// --planner rules needs no model.
	if _, stderr, err := runCLI(t, "plan", "--planner", "rules", helloWorld); err != nil || !strings.Contains(stderr, "rule-based") || len(f.Requests()) != 2 {
		t.Errorf("--planner rules: err %v, stderr %q, %d requests", err, stderr, len(f.Requests()))
	}
	if _, _, err := runCLI(t, "plan", "--planner", "magic", helloWorld); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), `"magic"`) {
		t.Errorf("--planner magic: err %v, want a usage error naming it", err)
	}
}

func TestPlanWithTheLLMPlannerUnconfigured(t *testing.T) {
	isolateEnv(t)
	_, _, err := runCLI(t, "plan", "--planner", "llm", helloWorld)
	if err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("err = %v, want one saying how to configure a model", err)
	}
}

// TestRunConfirmAsksBeforeStarting points TEMPORAL_ADDRESS at a listener that counts connections: a "no"
// must start nothing, a "yes" goes on to connect.
func TestRunConfirmAsksBeforeStarting(t *testing.T) {
	isolateEnv(t)
	connections := countConnections(t)
	answer := func(s string) {
		old := confirmInput
		confirmInput = strings.NewReader(s)
		t.Cleanup(func() { confirmInput = old })
	}

	for _, no := range []string{"n\n", "\n", ""} {
		answer(no)
		_, stderr, err := runCLI(t, "run", "--confirm", helloWorld)
		if err == nil || !strings.Contains(err.Error(), "not confirmed") {
			t.Fatalf("answer %q: err = %v, want not confirmed", no, err)
		}
		for _, want := range []string{"The plan:\n1. Get your contacts.\n", "4. Send it to each contact you have not emailed since Monday", "Run it? [y/N]"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("answer %q: stderr = %q, want %q", no, stderr, want)
			}
		}
	}
	if n := connections.Load(); n != 0 {
		t.Fatalf("the CLI connected to Temporal %d times without a yes", n)
	}
	answer("y\n")
	if _, _, err := runCLI(t, "run", "--confirm", helloWorld); err == nil || strings.Contains(err.Error(), "not confirmed") {
		t.Fatalf("after yes: err = %v, want a connection error from the counting listener", err)
	}
	if connections.Load() == 0 {
		t.Error("after yes, the CLI did not go on to start the program")
	}
}
