package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machine describes where the benchmark ran.
type machine struct {
	date     time.Time
	cpu      string
	cores    int
	memory   string
	goVer    string
	kernel   string
	load     string // load average when the benchmark started
	temporal string // the Temporal CLI's version line
}

func describeMachine() machine {
	m := machine{date: time.Now(), cores: runtime.NumCPU(), goVer: runtime.Version(), cpu: "unknown", memory: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if kb := procMemTotalKB(); kb > 0 {
		m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.load = strings.Join(f[:3], " ")
		}
	}
	return m
}

// withTemporalVersion asks the Temporal CLI for its version.
func (m *machine) withTemporalVersion(bin string) {
	out, err := exec.Command(bin, "--version").Output()
	if err == nil {
		m.temporal = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
}

func procMemTotalKB() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb uint64
			fmt.Sscan(rest, &kb)
			return kb
		}
	}
	return 0
}

func (m machine) summary() string {
	return fmt.Sprintf("Machine: %s, %d cores, %s memory, %s, %s; load average at start %s",
		m.cpu, m.cores, m.memory, m.goVer, m.kernel, m.load)
}

// report turns the runs into the printed tables and bench/results.md.
type report struct {
	machine machine
	opts    options
	args    []string
	runs    []runResult
}

// group is the runs of one configuration at one N.
type group struct {
	config configuration
	n      int
	runs   []runResult
}

func (g group) medianWall() time.Duration {
	var ws []time.Duration
	for _, r := range g.runs {
		ws = append(ws, r.wall)
	}
	return median(ws)
}

func (g group) readDelays() []time.Duration {
	var ds []time.Duration
	for _, r := range g.runs {
		ds = append(ds, r.readDelays...)
	}
	return ds
}

func (g group) stampDelays() []time.Duration {
	var ds []time.Duration
	for _, r := range g.runs {
		ds = append(ds, r.stampDelays...)
	}
	return ds
}

func (rep report) groups() []group {
	var gs []group
	for _, n := range rep.opts.sizes {
		for _, c := range []configuration{bridgeOff, bridgeOn} {
			g := group{config: c, n: n}
			for _, r := range rep.runs {
				if r.n == n && r.config == c {
					g.runs = append(g.runs, r)
				}
			}
			gs = append(gs, g)
		}
	}
	return gs
}

func medianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// ratio is the bridge-on median wall time over the bridge-off one at n.
func (rep report) ratio(n int) float64 {
	var on, off time.Duration
	for _, g := range rep.groups() {
		if g.n != n {
			continue
		}
		if g.config == bridgeOn {
			on = g.medianWall()
		} else {
			off = g.medianWall()
		}
	}
	if off == 0 {
		return 0
	}
	return float64(on) / float64(off)
}

// maxRatio is the target of issue 3: with the bridge on a run is at most 10% slower.
const maxRatio = 1.10

func (rep report) tables() string {
	var b strings.Builder
	b.WriteString("## Summary\n\n")
	b.WriteString("| configuration | N | runs | wall time (median) | emails/s | on/off | history events (size) | peak heap in use | peak RSS | task end → task.result read, p50 / p99 |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range rep.groups() {
		wall := g.medianWall()
		var events, size []int64
		var heap, rss uint64
		for _, r := range g.runs {
			events = append(events, int64(r.hist.events))
			size = append(size, r.hist.sizeBytes)
			heap, rss = max(heap, r.mem.heapInuse), max(rss, r.mem.rss)
		}
		ratio, delays := "", "–"
		if g.config == bridgeOn {
			ratio = fmt.Sprintf("%.3f", rep.ratio(g.n))
			d := g.readDelays()
			delays = fmt.Sprintf("%s / %s", ms(percentile(d, 50)), ms(percentile(d, 99)))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f s | %.0f | %s | %d (%.1f MB) | %s | %s | %s |\n",
			g.config, g.n, len(g.runs), wall.Seconds(), float64(g.n)/wall.Seconds(), ratio,
			medianInt(events), float64(medianInt(size))/(1<<20), mb(heap), mb(rss), delays)
	}
	b.WriteString("\n")
	for _, n := range rep.opts.sizes {
		r := rep.ratio(n)
		verdict := "met"
		if r > maxRatio {
			verdict = "NOT met"
		}
		var stall time.Duration
		for _, run := range rep.runs {
			if run.n == n {
				stall = max(stall, percentile(run.hist.sendQueued, 100), percentile(run.hist.publishQueued, 100))
			}
		}
		if stall > queueStall {
			verdict += fmt.Sprintf("; but tasks stalled up to %.1f s in the task queue in these runs, so this ratio is mostly noise: see Observations", stall.Seconds())
		}
		fmt.Fprintf(&b, "- N=%d: bridge on takes %.3f× the wall time of bridge off (target ≤ %.2f×: %s).\n", n, r, maxRatio, verdict)
	}
	for _, g := range rep.groups() {
		if g.config == bridgeOn {
			d := g.stampDelays()
			fmt.Fprintf(&b, "- N=%d: task end → task.result record timestamp (producer's time), p50 / p99: %s / %s.\n", g.n, ms(percentile(d, 50)), ms(percentile(d, 99)))
		}
	}

	b.WriteString("\n## Runs, in the order they ran\n\n")
	b.WriteString("| # | configuration | N | wall time | emails/s | history events | workflow tasks | server: before send / sending / after send | SendEmail queued p50 / p99, running p50 | PublishEvents calls, longest queued | memory: heap in use / Go Sys / RSS | CPU: worker process / temporal / mailpit / kafka | task.result read p50 / p99 |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.runs {
		delays := "–"
		if r.config == bridgeOn {
			delays = fmt.Sprintf("%s / %s", ms(percentile(r.readDelays, 50)), ms(percentile(r.readDelays, 99)))
			if r.recordsMissing > 0 {
				delays += fmt.Sprintf(" (%d never read)", r.recordsMissing)
			}
		}
		publish := "–"
		if r.config == bridgeOn {
			publish = fmt.Sprintf("%d, %s", r.hist.activities["PublishEvents"], ms(percentile(r.hist.publishQueued, 100)))
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %.2f s | %.0f | %d | %d | %.2f / %.2f / %.2f s | %s / %s, %s | %s | %s / %s / %s | %.2f / %.2f / %.2f / %.2f s | %s |\n",
			r.seq, r.config, r.n, r.wall.Seconds(), float64(r.n)/r.wall.Seconds(), r.hist.events, r.hist.wfTasks,
			r.hist.beforeSend.Seconds(), r.hist.sending.Seconds(), r.hist.afterSend.Seconds(),
			ms(percentile(r.hist.sendQueued, 50)), ms(percentile(r.hist.sendQueued, 99)), ms(percentile(r.hist.sendRunning, 50)),
			publish, mb(r.mem.heapInuse), mb(r.mem.sys), mb(r.mem.rss),
			r.cpu.bench.Seconds(), r.cpu.temporal.Seconds(), r.cpu.mailpit.Seconds(), r.cpu.kafka.Seconds(), delays)
	}
	return b.String()
}

func (rep report) markdown() string {
	m := rep.machine
	var b strings.Builder
	b.WriteString("# Benchmark results\n\n")
	cmd := "go run ./bench"
	if len(rep.args) > 0 {
		cmd += " " + strings.Join(rep.args, " ")
	}
	fmt.Fprintf(&b, "Written by `make bench` (`%s`) on %s. Rerunning it overwrites this file.\n\n", cmd, m.date.Format("2006-01-02 15:04 MST"))

	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "- CPU: %s, %d cores\n- Memory: %s\n- Go: %s; %s\n", m.cpu, m.cores, m.memory, m.goVer, m.kernel)
	if m.temporal != "" {
		fmt.Fprintf(&b, "- Temporal CLI: %s\n", m.temporal)
	}
	fmt.Fprintf(&b, "- Load average when the benchmark started: %s\n\n", m.load)
	b.WriteString("The machine is shared and noisy (other jobs run on it), so compare ratios within one run, not absolute\n" +
		"figures across runs or machines. Everything below ran on the same stack in the same process run.\n\n")

	b.WriteString("## What runs\n\n")
	fmt.Fprintf(&b, "- Program: %q, max_concurrency %d, over N generated contacts (a CSV file).\n", rep.opts.program, rep.opts.concurrency)
	partitions := "the server's default of 4 task queue partitions, as `eaapl dev` runs it"
	if rep.opts.partitions > 0 {
		partitions = fmt.Sprintf("%d task queue partition(s), not `eaapl dev`'s default", rep.opts.partitions)
	}
	b.WriteString("- Stack, started by the benchmark: the Temporal dev server (`bin/temporal server start-dev`, in memory, " + partitions + "); a fresh\n" +
		"  Mailpit per run; a kfake Kafka broker (`bridge.StartBroker`, in memory) in a child process; the worker in the\n" +
		"  benchmark's process (`worker.Setup` and `Run`, configuration from `config.Load()` with the stack's addresses).\n" +
		"- Bridge off: the worker has no Kafka brokers. Bridge on: `KAFKA_BROKERS` is the broker, so programs mirror their\n" +
		"  events (through the PublishEvents activity) and the worker sends its own telemetry.\n")
	fmt.Fprintf(&b, "- Each configuration ran %d time(s) per N, alternating the order (off, on, on, off, ...)", rep.opts.repeat)
	if rep.opts.warmup > 0 {
		fmt.Fprintf(&b, ", after an unmeasured warm-up run of each with %d contacts", rep.opts.warmup)
	}
	b.WriteString(".\n- Every run checks that the program completed with every SendEmail task done, and that Mailpit holds exactly\n" +
		"  one email to each contact and nothing else, with distinct Message-IDs. A failed check stops the benchmark.\n\n")

	b.WriteString(rep.tables())

	b.WriteString(rep.observations())

	b.WriteString("\n## How each figure is measured\n\n")
	b.WriteString("- **Wall time**: from the client's call that starts the workflow to its result arriving (`ExecuteWorkflow` then\n" +
		"  `Get`), so with the bridge on it includes the program's wait at its end for its events to reach Kafka.\n" +
		"  **emails/s** is N over that. **on/off** is the median bridge-on wall time over the median bridge-off one.\n" +
		"- **History events**: the events of the workflow's history (`GetWorkflowHistory`); the size is\n" +
		"  `HistorySizeBytes` from `DescribeWorkflowExecution`.\n" +
		"- **Peak heap in use / peak RSS**: this benchmark process, sampled every 100 ms while the program runs\n" +
		"  (`runtime.MemStats.HeapInuse`, `runtime.MemStats.Sys` and `VmRSS` from /proc/self/status), after a GC that returns the previous run's\n" +
		"  memory. The process is the worker plus the benchmark's Temporal client and Kafka consumer; Temporal, Mailpit\n" +
		"  and the Kafka broker are other processes and do not count.\n" +
		"- **Task end → task.result read**: per SendEmail task, from its `ActivityTaskCompleted` event time in the history\n" +
		"  (the activity ID is the task ID) to the moment the benchmark's follow-consumer (`bridge.Consume`, one for the\n" +
		"  whole benchmark, on `task.result`) received the record with that task's event ID. The record-timestamp\n" +
		"  variant uses the record's Kafka timestamp (set by the producer) instead. Same machine, same clock.\n" +
		"- **Server phases**: by the history's event times: workflow start → first SendEmail scheduled (planning,\n" +
		"  contacts, compose); → last SendEmail completed; → workflow completed (with the bridge on, the wait for events).\n" +
		"- **SendEmail queued / running**: per SendEmail, scheduled → started and started → completed, from the history;\n" +
		"  queued is time in Temporal's task queue (matching) plus the worker's poll. The same for PublishEvents, the bridge\n" +
		"  activity, whose wait delays the task.result records.\n" +
		"- **CPU**: user + system time of each process during the run, from /proc/<pid>/stat.\n")
	return b.String()
}

// Temporal's limits on one workflow run's history.
const (
	historyEventsWarn  = 10_240
	historyEventsLimit = 51_200
	historyBytesWarn   = 10 << 20
	historyBytesLimit  = 50 << 20
)

// queueStall is how long a task may wait in the task queue before the report points at it.
const queueStall = time.Second

// observations are notes the figures call for: history growth per contact, and tasks stuck in the task
// queue, which make wall times vary from run to run.
func (rep report) observations() string {
	var b strings.Builder
	b.WriteString("\n## Observations (generated)\n\n")
	for _, g := range rep.groups() {
		if len(g.runs) == 0 {
			continue
		}
		r := g.runs[0]
		perContact := float64(r.hist.events) / float64(r.n)
		bytesPerContact := float64(r.hist.sizeBytes) / float64(r.n)
		fmt.Fprintf(&b, "- %s, N=%d: %.2f history events and %.2f KB of history per contact. At this rate one program reaches\n"+
			"  Temporal's history warnings (%d events, %d MB) at about %d contacts and its limits (%d events, %d MB) at about %d.\n",
			g.config, g.n, perContact, bytesPerContact/1024,
			historyEventsWarn, historyBytesWarn>>20, int(min(historyEventsWarn/perContact, historyBytesWarn/bytesPerContact)),
			historyEventsLimit, historyBytesLimit>>20, int(min(historyEventsLimit/perContact, historyBytesLimit/bytesPerContact)))
	}
	var stalled []string
	for _, r := range rep.runs {
		if q := percentile(r.hist.sendQueued, 100); q > queueStall {
			stalled = append(stalled, fmt.Sprintf("run %d waited up to %.1f s", r.seq, q.Seconds()))
		}
		if q := percentile(r.hist.publishQueued, 100); q > queueStall {
			stalled = append(stalled, fmt.Sprintf("run %d's PublishEvents waited up to %.1f s", r.seq, q.Seconds()))
		}
	}
	if len(stalled) > 0 {
		fmt.Fprintf(&b, "- Tasks sat in Temporal's task queue for over %s (%s) while the worker had free slots. These stalls,\n"+
			"  not the work, decide the wall time and the task.result delay of such runs, so the ratios above are noisy.\n", queueStall, strings.Join(stalled, "; "))
		if rep.opts.partitions == 0 {
			b.WriteString("  Compare with `-task-queue-partitions 1` (one partition per task queue instead of the server's 4).\n")
		}
	} else {
		fmt.Fprintf(&b, "- No task waited over %s in Temporal's task queue.\n", queueStall)
	}
	return b.String()
}
