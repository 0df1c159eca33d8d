package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/devstack"
)

// historyStats is what a run's workflow history says.
type historyStats struct {
	events      int
	sizeBytes   int64
	wfTasks     int            // workflow tasks completed
	activities  map[string]int // activity type -> activities scheduled
	completed   map[string]time.Time
	sendQueued  []time.Duration // SendEmail: scheduled -> started (last attempt)
	sendRunning []time.Duration // SendEmail: started -> completed
	retried     int             // activities that needed more than one attempt
	// PublishEvents (the bridge activity): scheduled -> started and started -> completed, in order.
	publishQueued, publishRunning []time.Duration
	publishTimeline               []string // per call: offsets from the workflow's start, for -v
	// Phases, by the server's clock: start -> first SendEmail scheduled (planning, contacts, compose);
	// first SendEmail scheduled -> last SendEmail completed; last SendEmail completed -> workflow closed.
	beforeSend, sending, afterSend time.Duration
}

// readHistory reads a closed workflow's history: its length and size, and per activity when it ended
// (ActivityTaskCompleted, keyed by activity ID, which is the task ID).
func readHistory(ctx context.Context, c client.Client, workflowID string) (historyStats, error) {
	h := historyStats{activities: map[string]int{}, completed: map[string]time.Time{}}
	type scheduled struct {
		activityID, typ string
		at, started     time.Time
	}
	byEvent := map[int64]*scheduled{}
	var wfStart, wfClose, firstSend, lastSend time.Time
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.events++
		at := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			wfStart = at
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			wfClose = at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			h.wfTasks++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := e.GetActivityTaskScheduledEventAttributes()
			s := &scheduled{activityID: a.GetActivityId(), typ: a.GetActivityType().GetName(), at: at}
			byEvent[e.GetEventId()] = s
			h.activities[s.typ]++
			if s.typ == "SendEmail" && firstSend.IsZero() {
				firstSend = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := e.GetActivityTaskStartedEventAttributes()
			if s := byEvent[a.GetScheduledEventId()]; s != nil {
				s.started = at
			}
			if a.GetAttempt() > 1 {
				h.retried++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			s := byEvent[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]
			if s == nil {
				continue
			}
			h.completed[s.activityID] = at
			if s.typ == "PublishEvents" && !s.started.IsZero() {
				h.publishQueued = append(h.publishQueued, s.started.Sub(s.at))
				h.publishRunning = append(h.publishRunning, at.Sub(s.started))
				h.publishTimeline = append(h.publishTimeline, fmt.Sprintf("scheduled %.3fs, started %.3fs, completed %.3fs",
					s.at.Sub(wfStart).Seconds(), s.started.Sub(wfStart).Seconds(), at.Sub(wfStart).Seconds()))
			}
			if s.typ == "SendEmail" {
				lastSend = at
				if !s.started.IsZero() {
					h.sendQueued = append(h.sendQueued, s.started.Sub(s.at))
					h.sendRunning = append(h.sendRunning, at.Sub(s.started))
				}
			}
		}
	}
	if !firstSend.IsZero() && !lastSend.IsZero() && !wfClose.IsZero() {
		h.beforeSend, h.sending, h.afterSend = firstSend.Sub(wfStart), lastSend.Sub(firstSend), wfClose.Sub(lastSend)
	}
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return h, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	h.sizeBytes = d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
	return h, nil
}

// memPeak is the peak memory of this process while a run was going: the worker, plus the benchmark's own
// Temporal client and Kafka consumer (small); Temporal, Mailpit and the broker are other processes.
type memPeak struct {
	heapInuse uint64 // runtime.MemStats.HeapInuse
	sys       uint64 // runtime.MemStats.Sys: all memory the Go runtime holds from the OS
	rss       uint64 // VmRSS from /proc/self/status
}

type memSampler struct {
	done chan struct{}
	out  chan memPeak
}

// memSampleEvery is how often the sampler reads the memory figures.
const memSampleEvery = 100 * time.Millisecond

// startMemSampler collects garbage and returns memory to the OS, so that a run's peak does not carry the
// previous run's garbage, then samples until stop.
func startMemSampler() *memSampler {
	runtime.GC()
	debug.FreeOSMemory()
	m := &memSampler{done: make(chan struct{}), out: make(chan memPeak, 1)}
	go func() {
		var peak memPeak
		sample := func() {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak.heapInuse = max(peak.heapInuse, ms.HeapInuse)
			peak.sys = max(peak.sys, ms.Sys)
			peak.rss = max(peak.rss, procStatusKB("self", "VmRSS")*1024)
		}
		tick := time.NewTicker(memSampleEvery)
		defer tick.Stop()
		sample()
		for {
			select {
			case <-tick.C:
				sample()
			case <-m.done:
				sample()
				m.out <- peak
				return
			}
		}
	}()
	return m
}

func (m *memSampler) stop() memPeak {
	close(m.done)
	return <-m.out
}

// procStatusKB reads a "Name:   123 kB" line of /proc/<pid>/status; 0 when it cannot.
func procStatusKB(pid, field string) uint64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseUint(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// cpuUse is CPU time (user + system) per process.
type cpuUse struct {
	bench, temporal, mailpit, kafka time.Duration
}

func (s *stack) cpuNow(mp *devstack.Mailpit) cpuUse {
	return cpuUse{
		bench:    procCPU("self"),
		temporal: procCPU(strconv.Itoa(s.temporal.PID())),
		mailpit:  procCPU(strconv.Itoa(mp.PID())),
		kafka:    procCPU(strconv.Itoa(s.broker.pid())),
	}
}

func (c cpuUse) minus(d cpuUse) cpuUse {
	return cpuUse{c.bench - d.bench, c.temporal - d.temporal, c.mailpit - d.mailpit, c.kafka - d.kafka}
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux platform Go runs on.
const clockTicks = 100

// procCPU is a process's user + system time from /proc/<pid>/stat (all its threads); 0 when unreadable.
func procCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces; the fields after it start with the state (field 3).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// percentile is the nearest-rank p-th percentile of ds; 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(float64(len(s))*p/100)) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// median is the middle of ds, or the mean of the two middle ones; 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mb(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
