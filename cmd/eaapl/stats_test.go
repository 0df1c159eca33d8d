package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/stats"
)

// TestStatsCommand runs `eaapl stats` against a real broker holding two programs' task events, as the
// bridge mirrors them: it prints the per-command table and a recommendation, which it also writes to
// analytics.data unless --no-publish; --json prints the same report for machines.
func TestStatsCommand(t *testing.T) {
	isolateEnv(t)
	broker := testenv.Broker(t, "", 0)
	cfg := kafka.Config{Brokers: []string{broker.Addr()}}
	p, err := kafka.NewProducer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.EnsureTopics(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var events []bridge.Event
	for prog := range 2 {
		wf := fmt.Sprintf("program-%d", prog)
		for i := 1; i <= 10; i++ {
			task := catalog.Task{TaskID: fmt.Sprintf("send-%d", i), Command: "SendEmail", Context: catalog.TaskContext{WorkflowID: wf, Step: "send", Item: i}}
			status := catalog.StatusSuccess
			if prog == 1 && i == 10 {
				status = catalog.StatusFailure
			}
			at = at.Add(200 * time.Millisecond)
			res := catalog.TaskResult{TaskID: task.TaskID, WorkerID: "w1", Status: status, ExecutionTime: 100 + int64(i)}
			for _, e := range append(bridge.DispatchEvents(task, nil), bridge.ResultEvents(wf, res, at.Format(time.RFC3339Nano))...) {
				ev, err := bridge.NewEvent(e.ID, e.Value)
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, ev)
			}
		}
	}
	if err := p.Publish(ctx, events...); err != nil {
		t.Fatal(err)
	}
	p.Close()
	recommendations := func() int {
		n := 0
		for _, r := range testenv.ReadTopic(t, broker.Addr(), bridge.TopicAnalyticsData) {
			var v bridge.AnalyticsData
			if json.Unmarshal(r.Value, &v) == nil && v.Metrics["kind"] == "worker_recommendation" {
				n++
			}
		}
		return n
	}

	t.Run("PrintsTheTableAndARecommendation", func(t *testing.T) {
		out, _, err := runCLI(t, "stats", "--brokers", broker.Addr(), "--backlog-target", "5")
		if err != nil {
			t.Fatalf("eaapl stats: %v\n%s", err, out)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^COMMAND +COUNT +P50 +P95 +P99 +ERRORS +CPU/TASK +MEM/TASK +MODEL TOKENS IN/OUT$`),
			regexp.MustCompile(`(?m)^SendEmail +20 +\d+\.\dms +\d+\.\dms +\d+\.\dms +5\.0% `), // one failure in 20
			regexp.MustCompile(`(?m)^Recommendation: [1-9]\d* worker\(s\): the busiest hour \(09:00 UTC\) brings 20 tasks`),
		} {
			if !want.MatchString(out) {
				t.Errorf("eaapl stats printed:\n%s\nwant a line matching %s", out, want)
			}
		}
		if got := recommendations(); got != 1 {
			t.Errorf("%d recommendations on analytics.data, want the one just made", got)
		}
	})
	t.Run("JSONAndNoPublish", func(t *testing.T) {
		out, _, err := runCLI(t, "stats", "--brokers", broker.Addr(), "--json", "--no-publish")
		if err != nil {
			t.Fatalf("eaapl stats --json: %v\n%s", err, out)
		}
		var rep stats.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("eaapl stats --json printed %q: %v", out, err)
		}
		if rep.Tasks != 20 || len(rep.Commands) != 1 || rep.Commands[0].Command != "SendEmail" || rep.Commands[0].ErrorRate != 0.05 || rep.Forecast.Workers < 1 {
			t.Errorf("report %+v, want 20 SendEmail tasks, 5%% errors, and a worker count", rep)
		}
		if got := recommendations(); got != 1 {
			t.Errorf("%d recommendations on analytics.data after --no-publish, want still 1", got)
		}
	})
}
