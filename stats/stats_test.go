package stats_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/bridge/kafka"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/stats"
)

// recorded is a day of programs as the bridge mirrors them: each program retrieves contacts, composes
// one email, sends it to 20 contacts, and has a model summarize a document (100 prompt and 20
// completion tokens); the events are made by the bridge's own functions (the ones
// the workflow and the batch runner publish through), with timestamps over one day.
func recorded(tb testing.TB) []bridge.Event {
	tb.Helper()
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var events []bridge.Event
	add := func(ids []bridge.IDEvent) {
		for _, e := range ids {
			ev, err := bridge.NewEvent(e.ID, e.Value)
			if err != nil {
				tb.Fatal(err)
			}
			events = append(events, ev)
		}
	}
	// Nine programs at 09:00 (the busy hour), one at 15:00; program 3's sends are slow and fail a tenth.
	for p := range 10 {
		start := day.Add(9*time.Hour + time.Duration(p)*time.Minute)
		if p == 9 {
			start = day.Add(15 * time.Hour)
		}
		wf := fmt.Sprintf("program-%d", p)
		type step struct {
			id, cmd string
			n       int
			ms      int64
		}
		at := start
		for _, s := range []step{{"s1", "RetrieveContacts", 1, 40}, {"s2", "ComposeEmail", 1, 5}, {"s3", "SendEmail", 20, 100}, {"s4", "Summarize", 1, 50}} {
			for i := 1; i <= s.n; i++ {
				t := catalog.Task{TaskID: fmt.Sprintf("%s-%d", s.id, i), Command: s.cmd, Context: catalog.TaskContext{WorkflowID: wf, Step: s.id, Item: i}}
				add(bridge.DispatchEvents(t, nil))
				ms := s.ms + int64(i)
				status := catalog.StatusSuccess
				if p == 3 && s.cmd == "SendEmail" {
					ms *= 30
					if i%10 == 0 {
						status = catalog.StatusFailure
					}
				}
				at = at.Add(time.Duration(ms) * time.Millisecond)
				r := catalog.TaskResult{TaskID: t.TaskID, WorkerID: "w1", Status: status, ExecutionTime: ms,
					Resources: &catalog.ResourceUsage{CPUTimeMs: 2, AllocatedBytes: 1 << 20}}
				if s.cmd == "Summarize" {
					r.Resources.ModelPromptTokens, r.Resources.ModelCompletionTokens = 100, 20
				}
				add(bridge.ResultEvents(wf, r, at.Format(time.RFC3339Nano)))
			}
		}
	}
	return events
}

func TestStatsOnABroker(t *testing.T) {
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	broker := testenv.Broker(t, t.TempDir(), port)
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
	if err := p.Publish(ctx, recorded(t)...); err != nil {
		t.Fatal(err)
	}
	p.Close()

	c := stats.NewCollector()
	var progress strings.Builder
	if err := stats.Read(ctx, cfg, time.Time{}, c, &progress); err != nil {
		t.Fatal(err)
	}
	rep := c.Analyse(stats.Options{BacklogTarget: 50, Top: 3})

	t.Run("PerCommand", func(t *testing.T) {
		byCmd := map[string]stats.CommandStats{}
		for _, s := range rep.Commands {
			byCmd[s.Command] = s
		}
		send := byCmd["SendEmail"]
		if send.Count != 200 || byCmd["ComposeEmail"].Count != 10 || byCmd["RetrieveContacts"].Count != 10 {
			t.Fatalf("counts %+v, want 200 SendEmail, 10 ComposeEmail, 10 RetrieveContacts", rep.Commands)
		}
		if got, want := send.ErrorRate, 2.0/200; got != want {
			t.Errorf("SendEmail error rate %v, want %v (2 of program-3's 20 sends)", got, want)
		}
		// 180 fast sends of 101..120 ms and 20 slow ones of 3030..3600 ms: p50 fast, p95 and p99 slow.
		if send.P50Ms < 101 || send.P50Ms > 120 || send.P95Ms < 3030 || send.P99Ms < send.P95Ms {
			t.Errorf("SendEmail p50/p95/p99 = %v/%v/%v ms", send.P50Ms, send.P95Ms, send.P99Ms)
		}
		if send.CPUMs != 2 || send.MemoryMB != 1 {
			t.Errorf("per task %v ms CPU and %v MB, want 2 and 1", send.CPUMs, send.MemoryMB)
		}
		if sum := byCmd["Summarize"]; sum.Count != 10 || sum.ModelPromptTokens != 1000 || sum.ModelCompletionTokens != 200 {
			t.Errorf("Summarize %+v, want 10 tasks that spent 1,000 prompt and 200 completion tokens", sum)
		}
		if send.ModelPromptTokens != 0 || send.ModelCompletionTokens != 0 {
			t.Errorf("SendEmail spent %d/%d model tokens, want none", send.ModelPromptTokens, send.ModelCompletionTokens)
		}
	})
	t.Run("SlowestProgramAndStep", func(t *testing.T) {
		if len(rep.Programs) != 3 || rep.Programs[0].Workflow != "program-3" {
			t.Fatalf("slowest programs %+v, want program-3 first", rep.Programs)
		}
		if s := rep.Steps[0]; s.Workflow != "program-3" || s.Step != "s3" || s.Tasks != 20 {
			t.Errorf("slowest step %+v, want program-3's s3 with 20 tasks", s)
		}
	})
	t.Run("Forecast", func(t *testing.T) {
		f := rep.Forecast
		if f.PeakHour != 9 || f.PeakArrivals != 9*23 || f.ArrivalsByHour[15] != 23 {
			t.Fatalf("arrivals: peak %d:00 with %v, 15:00 %v; want 9:00 with 207 and 23", f.PeakHour, f.PeakArrivals, f.ArrivalsByHour[15])
		}
		if f.Workers < 1 || f.PerWorkerPerHour <= 0 {
			t.Fatalf("forecast %+v, want at least one worker from a measured throughput", f)
		}
	})
	t.Run("RecommendationIsPublished", func(t *testing.T) {
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		if err := stats.Publish(ctx, cfg, rep, now); err != nil {
			t.Fatal(err)
		}
		var found map[string]any
		err := kafka.Consume(ctx, cfg, []string{bridge.TopicAnalyticsData}, false, func(r bridge.Record) error {
			var v bridge.AnalyticsData
			if json.Unmarshal(r.Value, &v) == nil && v.Metrics["kind"] == "worker_recommendation" {
				found = v.Metrics
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if found == nil || found["workers"] != float64(rep.Forecast.Workers) {
			t.Fatalf("recommendation on analytics.data: %v, want workers=%d", found, rep.Forecast.Workers)
		}
		// A second analysis skips its own recommendation instead of counting it as a task.
		again := stats.NewCollector()
		if err := stats.Read(ctx, cfg, time.Time{}, again, nil); err != nil {
			t.Fatal(err)
		}
		if got := again.Analyse(stats.Options{}).Tasks; got != rep.Tasks {
			t.Errorf("re-read %d tasks, want %d", got, rep.Tasks)
		}
	})
	if text := rep.Text(); !strings.Contains(text, "SendEmail") || !strings.Contains(text, "Recommendation:") || !regexp.MustCompile(`Summarize +10 .* 1000/200\n`).MatchString(text) {
		t.Errorf("text report:\n%s", rep.Text())
	}
	t.Logf("\n%s", rep.Text())
}

// The analysis reads only what stays readable when the worker seals its events' values (the task's
// command and context, analytics.data), so a consumer without the key gets the same report.
func TestStatsOfSealedEventsNeedNoKey(t *testing.T) {
	keys, err := crypt.ParseKeys([]byte("k1:" + base64.StdEncoding.EncodeToString(make([]byte, crypt.KeySize)) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	plain, sealed := stats.NewCollector(), stats.NewCollector()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var sealedValues int
	for i, ev := range recorded(t) {
		if ev.Topic == bridge.TopicTaskDispatch { // what a send's dispatch carries
			var v bridge.TaskDispatch
			if err := json.Unmarshal(ev.Value, &v); err != nil {
				t.Fatal(err)
			}
			v.Parameters = map[string]any{"to": "alice@example.com", "body": "Hello"}
			if ev, err = bridge.NewEvent(ev.ID, v); err != nil {
				t.Fatal(err)
			}
		}
		s, err := bridge.SealEvent(ev, keys)
		if err != nil {
			t.Fatal(err)
		}
		sealedValues += strings.Count(string(s.Value), bridge.SealedPrefix)
		ts := at.Add(time.Duration(i) * time.Second)
		for _, c := range []struct {
			coll *stats.Collector
			ev   bridge.Event
		}{{plain, ev}, {sealed, s}} {
			if err := c.coll.Add(bridge.Record{Topic: c.ev.Topic, Key: c.ev.Key, EventID: c.ev.ID, Timestamp: ts, Value: c.ev.Value}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sealedValues == 0 {
		t.Fatal("nothing was sealed")
	}
	got, want := sealed.Analyse(stats.Options{BacklogTarget: 50, Top: 3}), plain.Analyse(stats.Options{BacklogTarget: 50, Top: 3})
	if got.Tasks != 230 || !reflect.DeepEqual(got, want) {
		t.Fatalf("report of sealed events:\n%s\nwant:\n%s", got.Text(), want.Text())
	}
}
