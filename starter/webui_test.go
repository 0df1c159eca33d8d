package starter

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/workflows"
)

const helloWorld = "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"

// TestStartShowsTheProgram starts programs on a real dev server and reads back what the Web UI shows:
// the static summary and details, and the EaaPLProgram search attribute.
func TestStartShowsTheProgram(t *testing.T) {
	t.Parallel()
	c := testenv.Temporal(t).Client()
	describe := func(t *testing.T, id string) (summary, details, attr string) {
		t.Helper()
		d, err := c.DescribeWorkflow(context.Background(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		if summary, err = d.GetStaticSummary(); err != nil {
			t.Fatal(err)
		}
		if details, err = d.GetStaticDetails(); err != nil {
			t.Fatal(err)
		}
		attr, _ = d.TypedSearchAttributes.GetString(ProgramAttribute)
		return summary, details, attr
	}
	start := func(t *testing.T, in workflows.Input) string {
		t.Helper()
		s := &Starter{Client: c, TaskQueue: "nobody-" + t.Name(), Warn: func(w string) { t.Errorf("unexpected warning: %s", w) }}
		run, err := s.Start(context.Background(), NewWorkflowID(time.Now()), in)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") })
		return run.GetID()
	}

	t.Run("FromItsText", func(t *testing.T) {
		summary, details, attr := describe(t, start(t, workflows.Input{Program: helloWorld}))
		if summary != helloWorld {
			t.Errorf("static summary = %q, want the program", summary)
		}
		if attr != helloWorld {
			t.Errorf("%s = %q, want the program", ProgramAttributeName, attr)
		}
		if want := "**Program**\n\n```text\n" + helloWorld + "\n```\n"; details != want {
			t.Errorf("static details = %q, want %q", details, want)
		}
	})

	t.Run("FromAPlanWithItsSteps", func(t *testing.T) {
		p := &plan.Plan{Version: 1, Program: "Send 'Hi' to my contact Ann", Steps: []plan.Step{
			{ID: "ann", Command: "FindContact", Description: "Find your contact Ann"},
			{ID: "send", Command: "SendEmail"},
		}}
		_, details, attr := describe(t, start(t, workflows.Input{Plan: p}))
		if attr != p.Program {
			t.Errorf("%s = %q, want the plan's program", ProgramAttributeName, attr)
		}
		for _, want := range []string{"Send 'Hi' to my contact Ann", "1. Find your contact Ann", "2. SendEmail"} {
			if !strings.Contains(details, want) {
				t.Errorf("static details do not hold %q:\n%s", want, details)
			}
		}
	})

	t.Run("TextStaysText", func(t *testing.T) {
		program := "Send '``` ![x](http://example.org/x.png)' to my contact Ann\nand   again"
		summary, details, _ := describe(t, start(t, workflows.Input{Program: program}))
		if want := "Send '``` ![x](http://example.org/x.png)' to my contact Ann and again"; summary != want {
			t.Errorf("static summary = %q, want %q (one line)", summary, want)
		}
		if !strings.Contains(details, "````text\n"+program+"\n````") {
			t.Errorf("static details do not fence the program with more backticks than it holds:\n%s", details)
		}
	})

	t.Run("LongProgramsAreCut", func(t *testing.T) {
		program := strings.Repeat("Send 'é' to my contact Ann. ", 200) // 5,800 bytes, two-byte letters
		summary, details, attr := describe(t, start(t, workflows.Input{Program: program}))
		if len(summary) > summaryMax || !strings.HasSuffix(summary, "…") {
			t.Errorf("static summary has %d bytes, want at most %d ending in …", len(summary), summaryMax)
		}
		if len(attr) > attributeMax || !strings.HasSuffix(attr, "…") {
			t.Errorf("%s has %d bytes, want at most %d ending in …", ProgramAttributeName, len(attr), attributeMax)
		}
		if !strings.Contains(details, program) {
			t.Errorf("static details (%d bytes) do not hold the whole program", len(details))
		}
	})
}

// TestStartWithoutTheAttribute: a server without the EaaPLProgram attribute (one's own cluster) still
// starts the program, and the person is told how to add the attribute.
func TestStartWithoutTheAttribute(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  testenv.Bin(t, "temporal"),
		ClientOptions: &client.Options{Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))},
		LogLevel:      "error",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	var warnings []string
	s := &Starter{Client: srv.Client(), TaskQueue: "nobody", Warn: func(w string) { warnings = append(warnings, w) }}
	run, err := s.Start(ctx, NewWorkflowID(time.Now()), workflows.Input{Program: helloWorld})
	if err != nil {
		t.Fatalf("start on a server without %s: %v", ProgramAttributeName, err)
	}
	d, err := srv.Client().DescribeWorkflow(ctx, run.GetID(), "")
	if err != nil {
		t.Fatal(err)
	}
	if summary, _ := d.GetStaticSummary(); summary != helloWorld {
		t.Errorf("static summary = %q, want the program", summary)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "temporal operator search-attribute create --name EaaPLProgram --type Text") {
		t.Errorf("warnings = %q, want one that says how to add the attribute", warnings)
	}
}
