// Package stats analyses what EaaPL's programs did, from the events the bridge mirrored onto Kafka:
// task.dispatch (which command a task ran, and when it arrived) and analytics.data (how it ended, how long
// it took, what it used). It makes per-command figures, the slowest programs and steps, and a forecast of
// the workers needed to keep the backlog under a target.
package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
)

// Topics are the topics the analysis reads.
var Topics = []string{bridge.TopicTaskDispatch, bridge.TopicAnalyticsData}

// maxTasks bounds the tasks one analysis holds in memory.
const maxTasks = 2_000_000

// task is one task as its events tell it.
type task struct {
	workflow, id, step, command string
	arrived, ended              time.Time
	status                      string
	ms, cpuMs, allocated        float64
	prompt, completion          int64 // model tokens
	done                        bool
}

// Collector gathers tasks from records, in any order.
type Collector struct {
	tasks   map[string]*task // workflow/task id
	skipped int              // records that are not EaaPL's task events
	records int
}

// NewCollector returns an empty collector.
func NewCollector() *Collector { return &Collector{tasks: map[string]*task{}} }

// Records is how many records the collector has seen.
func (c *Collector) Records() int { return c.records }

// Add takes one record of Topics; others are counted as skipped. It fails when more than maxTasks tasks
// would be held.
func (c *Collector) Add(r bridge.Record) error {
	c.records++
	switch r.Topic {
	case bridge.TopicTaskDispatch:
		var d bridge.TaskDispatch
		if json.Unmarshal(r.Value, &d) != nil || d.TaskID == "" || d.Context.WorkflowID == "" {
			c.skipped++
			return nil
		}
		t, err := c.task(d.Context.WorkflowID, d.TaskID)
		if err != nil {
			return err
		}
		t.step, t.command = d.Context.Step, d.Command
		if t.arrived.IsZero() || r.Timestamp.Before(t.arrived) {
			t.arrived = r.Timestamp // the result's start time, when read, may make it earlier
		}
	case bridge.TopicAnalyticsData:
		var a struct {
			Timestamp time.Time `json:"timestamp"`
			TaskID    string    `json:"task_id"`
			Metrics   struct {
				Status      string  `json:"status"`
				ExecutionMs float64 `json:"execution_time_ms"`
				WorkflowID  string  `json:"workflow_id"`
			} `json:"metrics"`
			ResourceUsage struct {
				CPUTimeMs             float64 `json:"cpu_time_ms"`
				AllocatedBytes        float64 `json:"allocated_bytes"`
				ModelPromptTokens     int64   `json:"model_prompt_tokens"`
				ModelCompletionTokens int64   `json:"model_completion_tokens"`
			} `json:"resource_usage"`
		}
		if json.Unmarshal(r.Value, &a) != nil || a.TaskID == "" || a.Metrics.WorkflowID == "" || a.Metrics.Status == "" {
			c.skipped++ // a recommendation, or another producer's data point
			return nil
		}
		t, err := c.task(a.Metrics.WorkflowID, a.TaskID)
		if err != nil {
			return err
		}
		t.done, t.status, t.ms = true, a.Metrics.Status, a.Metrics.ExecutionMs
		t.cpuMs, t.allocated = a.ResourceUsage.CPUTimeMs, a.ResourceUsage.AllocatedBytes
		t.prompt, t.completion = a.ResourceUsage.ModelPromptTokens, a.ResourceUsage.ModelCompletionTokens
		t.ended = a.Timestamp
		if t.ended.IsZero() {
			t.ended = r.Timestamp
		}
		// A task arrived no later than it started: the dispatch record's own time is when the bridge
		// produced it, which for events sent on later (after a broker outage) is after the fact.
		if started := t.ended.Add(-time.Duration(t.ms * float64(time.Millisecond))); t.arrived.IsZero() || started.Before(t.arrived) {
			t.arrived = started
		}
	default:
		c.skipped++
	}
	return nil
}

func (c *Collector) task(workflow, id string) (*task, error) {
	key := workflow + "/" + id
	t := c.tasks[key]
	if t == nil {
		if len(c.tasks) >= maxTasks {
			return nil, fmt.Errorf("more than %d tasks: analyse a shorter window (--since)", maxTasks)
		}
		t = &task{workflow: workflow, id: id}
		c.tasks[key] = t
	}
	return t, nil
}

// Options are the analysis's knobs.
type Options struct {
	BacklogTarget int // the most tasks that may wait at the end of the busiest hour
	Top           int // how many slowest programs and steps to list
}

// Report is the analysis.
type Report struct {
	Records   int            `json:"records"`
	Tasks     int            `json:"tasks"`
	Commands  []CommandStats `json:"commands"`
	Programs  []Slow         `json:"slowest_programs"`
	Steps     []Slow         `json:"slowest_steps"`
	Forecast  Forecast       `json:"forecast"`
	Unmatched int            `json:"unmatched_results"` // results whose dispatch was not read (outside the window)
}

// CommandStats are one command's figures over its finished tasks.
type CommandStats struct {
	Command   string  `json:"command"`
	Count     int     `json:"count"`
	P50Ms     float64 `json:"p50_ms"`
	P95Ms     float64 `json:"p95_ms"`
	P99Ms     float64 `json:"p99_ms"`
	ErrorRate float64 `json:"error_rate"` // failed tasks over finished ones
	CPUMs     float64 `json:"cpu_ms_per_task"`
	MemoryMB  float64 `json:"memory_mb_per_task"` // heap allocated while the task ran
	// The tokens the command's tasks spent on a language model, in all (Summarize, Extract, Classify
	// with a model; 0 for the others).
	ModelPromptTokens     int64 `json:"model_prompt_tokens"`
	ModelCompletionTokens int64 `json:"model_completion_tokens"`
}

// Slow is a program or a step and how long it took: from its first task's arrival to its last task's end.
type Slow struct {
	Workflow string  `json:"workflow_id"`
	Step     string  `json:"step,omitempty"`
	Tasks    int     `json:"tasks"`
	Seconds  float64 `json:"seconds"`
}

// Forecast is the arrival rate by hour of day and the workers that would keep the backlog under target.
type Forecast struct {
	ArrivalsByHour [24]float64 `json:"arrivals_by_hour"` // mean tasks arriving in each UTC hour, over the days seen
	PeakHour       int         `json:"peak_hour"`
	PeakArrivals   float64     `json:"peak_arrivals"`
	// PerWorkerPerHour is the most tasks one worker finished in an hour, extrapolated from its busiest
	// minute: what a worker has shown it can do.
	PerWorkerPerHour float64 `json:"per_worker_per_hour"`
	BacklogTarget    int     `json:"backlog_target"`
	Workers          int     `json:"workers"` // 0 when there is no history to forecast from
	Reason           string  `json:"reason"`
}

// Analyse makes the report of what the collector gathered. workers maps a task to the worker that ran
// it, for throughput: analytics.data's worker_id.
func (c *Collector) Analyse(opts Options) Report {
	if opts.Top <= 0 {
		opts.Top = 5
	}
	rep := Report{Records: c.records}
	byCmd := map[string][]*task{}
	programs := map[string]*Slow{}
	steps := map[string]*Slow{}
	span := map[*Slow][2]time.Time{}
	widen := func(s *Slow, from, to time.Time) {
		r := span[s]
		if r[0].IsZero() || (!from.IsZero() && from.Before(r[0])) {
			r[0] = from
		}
		if to.After(r[1]) {
			r[1] = to
		}
		span[s] = r
		s.Tasks++
	}
	for _, t := range c.tasks {
		if !t.done {
			continue
		}
		if t.command == "" {
			rep.Unmatched++
			continue
		}
		rep.Tasks++
		byCmd[t.command] = append(byCmd[t.command], t)
		from := t.arrived
		p := programs[t.workflow]
		if p == nil {
			p = &Slow{Workflow: t.workflow}
			programs[t.workflow] = p
		}
		widen(p, from, t.ended)
		sk := t.workflow + "\x00" + t.step
		s := steps[sk]
		if s == nil {
			s = &Slow{Workflow: t.workflow, Step: t.step}
			steps[sk] = s
		}
		widen(s, from, t.ended)
	}
	for cmd, ts := range byCmd {
		rep.Commands = append(rep.Commands, commandStats(cmd, ts))
	}
	sort.Slice(rep.Commands, func(i, j int) bool { return rep.Commands[i].Command < rep.Commands[j].Command })
	rep.Programs = slowest(programs, span, opts.Top)
	rep.Steps = slowest(steps, span, opts.Top)
	rep.Forecast = c.forecast(opts.BacklogTarget)
	return rep
}

func commandStats(cmd string, ts []*task) CommandStats {
	ms := make([]float64, len(ts))
	failed := 0
	var cpu, mem float64
	var prompt, completion int64
	for i, t := range ts {
		ms[i] = t.ms
		if t.status != catalog.StatusSuccess {
			failed++
		}
		cpu += t.cpuMs
		mem += t.allocated
		prompt += t.prompt
		completion += t.completion
	}
	sort.Float64s(ms)
	n := float64(len(ts))
	return CommandStats{
		Command: cmd, Count: len(ts),
		P50Ms: quantile(ms, 0.50), P95Ms: quantile(ms, 0.95), P99Ms: quantile(ms, 0.99),
		ErrorRate: float64(failed) / n,
		CPUMs:     cpu / n,
		MemoryMB:  mem / n / (1 << 20),

		ModelPromptTokens: prompt, ModelCompletionTokens: completion,
	}
}

// quantile is the nearest-rank quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func slowest(m map[string]*Slow, span map[*Slow][2]time.Time, top int) []Slow {
	out := make([]Slow, 0, len(m))
	for _, s := range m {
		r := span[s]
		s.Seconds = r[1].Sub(r[0]).Seconds()
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Seconds != out[j].Seconds {
			return out[i].Seconds > out[j].Seconds
		}
		return out[i].Workflow+out[i].Step < out[j].Workflow+out[j].Step
	})
	return out[:min(top, len(out))]
}

func (c *Collector) forecast(target int) Forecast {
	f := Forecast{BacklogTarget: target}
	days := map[string]bool{}
	var counts [24]float64
	perMinute := map[string]int{} // worker-less: tasks finished per minute over all workers
	for _, t := range c.tasks {
		if !t.arrived.IsZero() {
			u := t.arrived.UTC()
			counts[u.Hour()]++
			days[u.Format(time.DateOnly)] = true
		}
		if t.done && !t.ended.IsZero() {
			perMinute[t.ended.UTC().Truncate(time.Minute).Format(time.RFC3339)]++
		}
	}
	if len(days) == 0 || len(perMinute) == 0 {
		f.Reason = "no dispatched and finished tasks in the window: nothing to forecast from"
		return f
	}
	for h := range counts {
		f.ArrivalsByHour[h] = counts[h] / float64(len(days))
		if f.ArrivalsByHour[h] > f.PeakArrivals {
			f.PeakHour, f.PeakArrivals = h, f.ArrivalsByHour[h]
		}
	}
	best := 0
	for _, n := range perMinute {
		best = max(best, n)
	}
	// The busiest minute is what the workers of that minute did together; with no per-worker split in
	// the events, it is taken as one worker's, which overstates a worker and so understates the count.
	f.PerWorkerPerHour = float64(best) * 60
	need := (f.PeakArrivals - float64(target)) / f.PerWorkerPerHour
	f.Workers = max(1, int(math.Ceil(need)))
	f.Reason = fmt.Sprintf("the busiest hour (%02d:00 UTC) brings %.0f tasks; a worker has finished up to %.0f an hour; %d worker(s) leave at most %d waiting",
		f.PeakHour, f.PeakArrivals, f.PerWorkerPerHour, f.Workers, target)
	return f
}

// Recommendation is the forecast as an analytics.data event, for other consumers to act on.
func (r Report) Recommendation(now time.Time) (bridge.Event, error) {
	id := "stats/recommendation/" + now.UTC().Format(time.RFC3339Nano)
	return bridge.NewEvent(id, bridge.AnalyticsData{
		DataPointID: id,
		Timestamp:   now.UTC().Format(time.RFC3339Nano),
		WorkerID:    "eaapl-stats",
		TaskID:      "",
		Metrics: map[string]any{
			"kind":                "worker_recommendation",
			"workers":             r.Forecast.Workers,
			"peak_hour_utc":       r.Forecast.PeakHour,
			"peak_arrivals":       r.Forecast.PeakArrivals,
			"per_worker_per_hour": r.Forecast.PerWorkerPerHour,
			"backlog_target":      r.Forecast.BacklogTarget,
			"reason":              r.Forecast.Reason,
			"tasks_analysed":      r.Tasks,
		},
		ResourceUsage: map[string]any{},
	})
}

// Text writes the report for people.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d tasks from %d records", r.Tasks, r.Records)
	if r.Unmatched > 0 {
		fmt.Fprintf(&b, " (%d results without their dispatch left out)", r.Unmatched)
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "%-20s %8s %10s %10s %10s %7s %10s %10s %18s\n", "COMMAND", "COUNT", "P50", "P95", "P99", "ERRORS", "CPU/TASK", "MEM/TASK", "MODEL TOKENS IN/OUT")
	for _, c := range r.Commands {
		tokens := "-"
		if c.ModelPromptTokens > 0 || c.ModelCompletionTokens > 0 {
			tokens = fmt.Sprintf("%d/%d", c.ModelPromptTokens, c.ModelCompletionTokens)
		}
		fmt.Fprintf(&b, "%-20s %8d %10s %10s %10s %6.1f%% %10s %8.2fMB %18s\n", c.Command, c.Count, ms(c.P50Ms), ms(c.P95Ms), ms(c.P99Ms), 100*c.ErrorRate, ms(c.CPUMs), c.MemoryMB, tokens)
	}
	b.WriteString("\nSlowest programs:\n")
	for _, p := range r.Programs {
		fmt.Fprintf(&b, "  %-40s %8.1fs  %d tasks\n", p.Workflow, p.Seconds, p.Tasks)
	}
	b.WriteString("\nSlowest steps:\n")
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "  %-40s %-6s %8.1fs  %d tasks\n", s.Workflow, s.Step, s.Seconds, s.Tasks)
	}
	f := r.Forecast
	b.WriteString("\nArrivals by hour (UTC, mean per day):\n ")
	for h, n := range f.ArrivalsByHour {
		if n > 0 {
			fmt.Fprintf(&b, " %02d:%.0f", h, n)
		}
	}
	fmt.Fprintf(&b, "\n\nRecommendation: %d worker(s): %s\n", f.Workers, f.Reason)
	return b.String()
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.1fms", v)
}
