package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
)

// TestAScheduleTheLLMPlansIsCreated: `eaapl run` of a program only the model plans (no --confirm) that
// is a schedule creates the Temporal Schedule, as the rule-based planner's does; without EAAPL_TIMEZONE
// it is refused before anything runs, saying how to set the zone.
func TestAScheduleTheLLMPlansIsCreated(t *testing.T) {
	t.Parallel()
	const program = "Each Monday morning at nine, remind dora@example.com with 'Weekly hello'"
	const answer = `{"version": 1, "schedule": {"calendar": [{"days_of_week": ["monday"], "hour": 9, "minute": 0}], "program": "remind dora@example.com with 'Weekly hello'"}, "steps": [{"id": "send", "command": "SendEmail", "args": {"to": {"name": "", "email": "dora@example.com"}, "subject": "Weekly hello", "body": "Weekly hello"}}]}`
	model := testenv.NewFakeModel(t, testenv.ChatAnswer(answer), testenv.ChatAnswer(answer))
	d := newDevEnv(t)
	llm := []string{"OPENAI_BASE_URL=" + model.URL, "OPENAI_API_KEY=sk-test", "EAAPL_PLAN_CACHE="}

	r := d.eaaplWith(t, llm, "run", program)
	if r.code == 0 || !strings.Contains(r.stderr, "set EAAPL_TIMEZONE to an IANA zone") || !strings.Contains(r.stderr, "not started") {
		t.Fatalf("eaapl run without EAAPL_TIMEZONE: %s; want it refused, naming EAAPL_TIMEZONE", r)
	}

	d.env = append(d.env, "EAAPL_TIMEZONE=Europe/Berlin")
	t.Cleanup(func() {
		if r := d.eaapl(t, "dev", "--stop"); r.code != 0 {
			t.Errorf("eaapl dev --stop in cleanup: %s", r)
		}
		d.killSurvivors(t)
	})
	if r := d.eaapl(t, "dev", "--background"); r.code != 0 {
		t.Fatalf("eaapl dev --background: %s", r)
	}
	r = d.eaaplWith(t, llm, "run", "--id", "llm-weekly", program)
	if r.code != 0 || !strings.Contains(r.stdout, "Created schedule llm-weekly") || !strings.Contains(r.stderr, "Planned by gpt-4o-mini") {
		t.Fatalf("eaapl run: %s; want the schedule created from the model's plan", r)
	}
	if n := len(model.Requests()); n != 2 {
		t.Errorf("the model got %d requests, want 2 (one per run): the CLI plans, the worker does not", n)
	}

	dc, err := dataConverter(config.Config{DataDir: d.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: d.addr("EAAPL_DEV_TEMPORAL_PORT"), DataConverter: dc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	desc, err := (&starter.Starter{Client: c}).DescribeSchedule(ctx, "llm-weekly")
	if err != nil {
		t.Fatal(err)
	}
	if spec := desc.Schedule.Spec; spec.TimeZoneName != "Europe/Berlin" || len(spec.Calendars) != 1 || spec.Calendars[0].Hour[0].Start != 9 {
		t.Errorf("spec = %+v, want Monday 09:00 in Europe/Berlin", spec)
	}
}
