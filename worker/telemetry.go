package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/catalog"
)

// Telemetry produces the events that belong to the worker process rather than to a program:
// worker.heartbeat and monitoring.metrics every interval, resource.allocation at start, logs.debug from the
// worker's logger, and errors.report and task.retry for every failed and retried attempt of a task. They go
// to the process's one buffered publisher (bridge.Buffer): an activity never waits for Kafka, and when
// the buffer is full events are dropped and counted there.
type Telemetry struct {
	events   *bridge.Buffer
	workerID string
	slots    int // concurrent activities this worker runs
	started  time.Time

	running   atomic.Int64
	completed atomic.Int64
	failed    atomic.Int64
	current   atomic.Value // string: a task the worker is running
	seq       atomic.Int64
	lastErrs  sync.Map // task key -> last error message, for task.retry

	// allocation, when set (SetSlots), reports the slot supplier's view for resource.allocation.
	allocation func() map[string]any

	stopped chan struct{}   // closed once the last heartbeat is queued
	last    *bridge.Receipt // the last heartbeat's, set before stopped is closed
}

// NewTelemetry returns the worker's telemetry, publishing through events; Start begins producing.
func NewTelemetry(events *bridge.Buffer, workerID string, slots int) *Telemetry {
	t := &Telemetry{
		events:   events,
		workerID: workerID,
		slots:    slots,
		started:  time.Now(),
		stopped:  make(chan struct{}),
	}
	t.current.Store("")
	return t
}

// SetSlots makes resource.allocation report the worker's slot supplier (Worker.Slots): how it sizes the
// activity slots, and the slots it has issued. Call it before Start.
func (t *Telemetry) SetSlots(allocation func() map[string]any) { t.allocation = allocation }

// allocate queues resource.allocation: the slot supplier's view when SetSlots gave one, the fixed slots
// otherwise; it returns the slots issued, to tell a change.
func (t *Telemetry) allocate() any {
	res := map[string]any{"activity_slots": t.slots}
	if t.allocation != nil {
		res = t.allocation()
	}
	res["cpus"], res["memory_limit_mb"] = runtime.NumCPU(), memoryLimitMB()
	t.enqueue(bridge.ResourceAllocation{WorkerID: t.workerID, AllocatedResources: res, Timestamp: now()})
	return res["activity_slots_issued"]
}

// Start produces resource.allocation now, then a heartbeat and metrics every interval, and
// resource.allocation again when the slot supplier has issued another number of slots, until ctx ends;
// the last heartbeat says the worker is offline.
func (t *Telemetry) Start(ctx context.Context, interval time.Duration) {
	issued := t.allocate()
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		var cpu cpuMeter
		cpu.sample()
		t.report("online", cpu.sample())
		for {
			select {
			case <-ctx.Done():
				t.last = t.report("offline", cpu.sample())
				close(t.stopped)
				return
			case <-tick.C:
				status := "idle"
				if t.running.Load() > 0 {
					status = "busy"
				}
				t.report(status, cpu.sample())
				if t.allocation != nil {
					if now := t.allocation()["activity_slots_issued"]; now != issued {
						issued = t.allocate()
					}
				}
			}
		}
	}()
}

// Wait returns once the last heartbeat, and so every event before it, was published, or after timeout.
func (t *Telemetry) Wait(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case <-t.stopped:
		_ = t.last.Wait(ctx) // what did not make it is lost, as the buffer counts
	case <-ctx.Done():
	}
}

// report queues a heartbeat and the metrics, and returns the receipt of the last.
func (t *Telemetry) report(status string, cpuPercent float64) *bridge.Receipt {
	current, _ := t.current.Load().(string)
	if status != "busy" {
		current = ""
	}
	t.enqueue(bridge.WorkerHeartbeat{
		Timestamp:     now(),
		WorkerID:      t.workerID,
		Status:        status,
		CurrentTaskID: current,
		Load:          100 * float64(t.running.Load()) / float64(max(t.slots, 1)),
	})
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	return t.enqueue(bridge.MonitoringMetrics{
		Timestamp:      now(),
		WorkerID:       t.workerID,
		CPUUsage:       cpuPercent,
		MemoryUsage:    float64(mem.Sys) / (1 << 20),
		TasksCompleted: t.completed.Load(),
		TasksFailed:    t.failed.Load(),
		Uptime:         time.Since(t.started).Seconds(),
	})
}

// enqueue queues an event without ever blocking.
func (t *Telemetry) enqueue(v bridge.Value) *bridge.Receipt {
	id := fmt.Sprintf("%s/%s/%d-%d", t.workerID, v.Topic(), t.started.UnixNano(), t.seq.Add(1))
	ev, err := bridge.NewEvent(id, v)
	if err != nil {
		return t.events.Send()
	}
	return t.events.Send(ev)
}

// Interceptor returns the worker interceptor that reports each task's attempts.
func (t *Telemetry) Interceptor() interceptor.WorkerInterceptor { return &telemetryInterceptor{t: t} }

type telemetryInterceptor struct {
	interceptor.WorkerInterceptorBase
	t *Telemetry
}

func (w *telemetryInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityTelemetry{t: w.t}
	a.Next = next
	return a
}

type activityTelemetry struct {
	interceptor.ActivityInboundInterceptorBase
	t *Telemetry
}

func (a *activityTelemetry) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (result any, err error) {
	info := activity.GetInfo(ctx)
	task, isTask := taskOf(in)
	taskID := info.ActivityID
	key := info.WorkflowExecution.ID + "/" + info.ActivityID
	if isTask && info.Attempt > 1 {
		last, _ := a.t.lastErrs.Load(key)
		lastErr := map[string]any{"message": "the previous attempt ended on another worker or timed out"}
		if msg, ok := last.(string); ok {
			lastErr = map[string]any{"message": msg}
		}
		a.t.enqueue(bridge.TaskRetry{TaskDispatch: bridge.DispatchOf(task), RetryCount: int(info.Attempt - 1), LastError: lastErr})
	}
	a.t.running.Add(1)
	a.t.current.Store(taskID)
	defer a.t.running.Add(-1)
	defer func() {
		if r := recover(); r != nil {
			a.t.failure(key, taskID, "Panic", fmt.Sprint(r), string(debug.Stack()))
			panic(r)
		}
		switch {
		case err == nil:
			a.t.completed.Add(1)
			a.t.lastErrs.Delete(key)
		case isTask || info.ActivityType.Name != "PublishEvents":
			// A failed publish is not reported on Kafka: the broker is the thing failing.
			typ := "Error"
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) {
				typ = appErr.Type()
			}
			if typ == catalog.ErrNeedsInput { // a question to the user (feedback.hitl), not an error
				a.t.lastErrs.Delete(key)
				return
			}
			a.t.failure(key, taskID, typ, err.Error(), "")
		}
	}()
	return a.Next.ExecuteActivity(ctx, in)
}

func (t *Telemetry) failure(key, taskID, typ, msg, stack string) {
	t.failed.Add(1)
	t.lastErrs.Store(key, msg)
	t.enqueue(bridge.ErrorReport{
		ErrorID:      fmt.Sprintf("%s/%d", key, t.seq.Add(1)),
		Timestamp:    now(),
		WorkerID:     t.workerID,
		TaskID:       taskID,
		ErrorType:    typ,
		ErrorMessage: msg,
		StackTrace:   stack,
	})
}

func taskOf(in *interceptor.ExecuteActivityInput) (catalog.Task, bool) {
	if len(in.Args) != 1 {
		return catalog.Task{}, false
	}
	t, ok := in.Args[0].(catalog.Task)
	return t, ok
}

// LogHandler returns a slog handler that passes records to next and mirrors those at level or above onto
// logs.debug.
func (t *Telemetry) LogHandler(next slog.Handler, level slog.Level) slog.Handler {
	return &logMirror{next: next, t: t, level: level}
}

type logMirror struct {
	next  slog.Handler
	t     *Telemetry
	level slog.Level
	attrs []slog.Attr
}

func (h *logMirror) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level || h.next.Enabled(ctx, l)
}

func (h *logMirror) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.level {
		details := map[string]any{}
		taskID := ""
		add := func(a slog.Attr) bool {
			details[a.Key] = a.Value.String()
			if a.Key == "ActivityID" || a.Key == "task_id" {
				taskID = a.Value.String()
			}
			return true
		}
		for _, a := range h.attrs {
			add(a)
		}
		r.Attrs(add)
		h.t.enqueue(bridge.LogDebug{
			LogID:     fmt.Sprintf("%s/log/%d-%d", h.t.workerID, h.t.started.UnixNano(), h.t.seq.Add(1)),
			Timestamp: r.Time.UTC().Format(time.RFC3339Nano),
			WorkerID:  h.t.workerID,
			TaskID:    taskID,
			LogLevel:  r.Level.String(),
			Message:   r.Message,
			Details:   details,
		})
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *logMirror) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logMirror{next: h.next.WithAttrs(attrs), t: h.t, level: h.level, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *logMirror) WithGroup(name string) slog.Handler {
	return &logMirror{next: h.next.WithGroup(name), t: h.t, level: h.level, attrs: h.attrs}
}

// cpuMeter measures the process's CPU use between samples, in percent of one core.
type cpuMeter struct {
	last     time.Duration
	lastTime time.Time
}

func (c *cpuMeter) sample() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	now := time.Now()
	var pct float64
	if !c.lastTime.IsZero() {
		if wall := now.Sub(c.lastTime); wall > 0 {
			pct = 100 * float64(used-c.last) / float64(wall)
		}
	}
	c.last, c.lastTime = used, now
	return pct
}

func memoryLimitMB() float64 {
	limit := debug.SetMemoryLimit(-1)
	if limit == 1<<63-1 {
		return 0 // no limit
	}
	return float64(limit) / (1 << 20)
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
