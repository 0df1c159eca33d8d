// Package usage measures what a task used of its worker process: the process's CPU time and heap
// allocations while the task ran, and how many other tasks ran meanwhile, which says whether the figures
// are the task's own (none did) or an upper bound shared with the others. Go cannot measure a goroutine's
// CPU time, and a task's goroutine moves between threads, so the process's figures are the honest ones.
// The tokens a task spent on a language model are its own: the model client adds them to the task's
// span through its context (AddModelTokens).
package usage

import (
	"context"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

// Meter counts the tasks of one worker, so that each task's figures say how many others overlapped it.
type Meter struct {
	mu      sync.Mutex // so that a task's start counts it in running and started at once
	running int64      // tasks running now
	started int64      // tasks started so far
}

// Span is one task's measure, from Start to Stop.
type Span struct {
	m       *Meter
	running int64 // other tasks running when it started
	started int64 // tasks started before it
	before  sample
	split   bool // the activity runs several tasks, each with its own span: it is not one itself

	promptTokens, completionTokens atomic.Int64 // spent on a language model (AddModelTokens)
}

// Start begins measuring a task.
func (m *Meter) Start() *Span {
	m.mu.Lock()
	s := &Span{m: m, running: m.running, started: m.started}
	m.running++
	m.started++
	m.mu.Unlock()
	s.before = read()
	return s
}

// Stop ends the measure and returns what the task used: nil for a span that was split.
func (s *Span) Stop() *catalog.ResourceUsage {
	after := read()
	s.m.mu.Lock()
	if s.split {
		s.m.mu.Unlock()
		return nil
	}
	s.m.running--
	// Every task that overlapped this one was either running when it started or started while it ran.
	overlapping := s.running + s.m.started - s.started - 1
	s.m.mu.Unlock()
	return &catalog.ResourceUsage{
		CPUTimeMs:             float64(after.cpu-s.before.cpu) / float64(time.Millisecond),
		AllocatedBytes:        after.alloc - s.before.alloc,
		OverlappingTasks:      overlapping,
		ModelPromptTokens:     s.promptTokens.Load(),
		ModelCompletionTokens: s.completionTokens.Load(),
	}
}

// SoFar is what the task whose context ctx is has used since it started, its span still running: for an
// interceptor inside the one that stops it. It is nil outside a measured task and in a split activity.
func SoFar(ctx context.Context) *catalog.ResourceUsage {
	s, ok := ctx.Value(spanKey{}).(*Span)
	if !ok || s == nil {
		return nil
	}
	now := read()
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.split {
		return nil
	}
	return &catalog.ResourceUsage{
		CPUTimeMs:             float64(now.cpu-s.before.cpu) / float64(time.Millisecond),
		AllocatedBytes:        now.alloc - s.before.alloc,
		OverlappingTasks:      s.running + s.m.started - s.started - 1,
		ModelPromptTokens:     s.promptTokens.Load(),
		ModelCompletionTokens: s.completionTokens.Load(),
	}
}

// AddModelTokens adds the tokens of one answer of a language model (the prompt's and the completion's, as
// the server counted them) to the task whose context ctx is; it does nothing outside a measured task.
func AddModelTokens(ctx context.Context, prompt, completion int) {
	s, ok := ctx.Value(spanKey{}).(*Span)
	if !ok || s == nil || prompt < 0 || completion < 0 {
		return
	}
	s.promptTokens.Add(int64(prompt))
	s.completionTokens.Add(int64(completion))
}

type spanKey struct{}

// WithSpan returns a context that carries an activity's span, for an activity that runs several tasks
// (a batch) to Split.
func WithSpan(ctx context.Context, s *Span) context.Context {
	return context.WithValue(ctx, spanKey{}, s)
}

// Split tells the meter that the activity of ctx runs several tasks, each measured on its own with the
// Meter it returns: the activity stops counting as a task. It returns nil when ctx has no span (an
// activity run without the worker's interceptor, in a test).
func Split(ctx context.Context) *Meter {
	s, ok := ctx.Value(spanKey{}).(*Span)
	if !ok {
		return nil
	}
	s.m.mu.Lock()
	if !s.split {
		s.split = true
		s.m.running--
	}
	s.m.mu.Unlock()
	return s.m
}

// sample is the process's cumulative CPU time and heap allocations at one moment.
type sample struct {
	cpu   time.Duration
	alloc uint64
}

// allocMetric is the Go runtime's count of bytes allocated on the heap since the process started; reading
// it does not stop the world, unlike runtime.ReadMemStats.
const allocMetric = "/gc/heap/allocs:bytes"

func read() sample {
	var s sample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	m := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(m)
	if m[0].Value.Kind() == metrics.KindUint64 {
		s.alloc = m[0].Value.Uint64()
	}
	return s
}
