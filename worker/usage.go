package worker

import (
	"context"
	"runtime/metrics"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/interceptor"

	"github.com/eaapl/eaapl/catalog"
)

// Usage returns the worker interceptor that measures what each activity attempt used and puts it in the
// task's result (catalog.TaskResult.Resources): the worker process's CPU time and heap allocations while the
// attempt ran, and how many other activities ran meanwhile, which says whether the figures are the task's
// own or an upper bound shared with others. A worker has one: the counts are the worker's.
func Usage() interceptor.WorkerInterceptor { return &usage{} }

type usage struct {
	interceptor.WorkerInterceptorBase
	running atomic.Int64 // activities running now
	started atomic.Int64 // activities started so far
}

func (u *usage) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	m := &usageMeter{u: u}
	m.Next = next
	return m
}

type usageMeter struct {
	interceptor.ActivityInboundInterceptorBase
	u *usage
}

func (m *usageMeter) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	// Every activity that overlaps this one was either running when it started or started while it ran.
	already := m.u.running.Add(1) - 1
	startedBefore := m.u.started.Add(1)
	before := sampleUsage()
	result, err := m.Next.ExecuteActivity(ctx, in)
	after := sampleUsage()
	overlapping := already + m.u.started.Load() - startedBefore
	m.u.running.Add(-1)
	if r, ok := result.(catalog.TaskResult); ok && err == nil {
		r.Resources = after.since(before, overlapping)
		result = r
	}
	return result, err
}

// usageSample is the process's cumulative CPU time and heap allocations at one moment.
type usageSample struct {
	cpu   time.Duration
	alloc uint64
}

// allocMetric is the Go runtime's count of bytes allocated on the heap since the process started; reading
// it does not stop the world, unlike runtime.ReadMemStats.
const allocMetric = "/gc/heap/allocs:bytes"

func sampleUsage() usageSample {
	var s usageSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	sample := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		s.alloc = sample[0].Value.Uint64()
	}
	return s
}

// since is the usage between an earlier sample and this one.
func (s usageSample) since(before usageSample, overlapping int64) *catalog.ResourceUsage {
	return &catalog.ResourceUsage{
		CPUTimeMs:        float64(s.cpu-before.cpu) / float64(time.Millisecond),
		AllocatedBytes:   s.alloc - before.alloc,
		OverlappingTasks: overlapping,
	}
}
