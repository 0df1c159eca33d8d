package worker

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/eaapl/eaapl/activities/api"
	"github.com/eaapl/eaapl/config"
)

// ResourceTargets size a worker's activity slots by what the process uses instead of a fixed count:
// a new slot is issued only while CPU and memory stay under their targets (the SDK's resource-based
// slot supplier and its PID controller, fed by processUsage).
type ResourceTargets struct {
	CPU    float64 // fraction of the CPUs the process may use, 0 < CPU <= 1; 0 is no CPU target
	Memory float64 // fraction of MemoryLimit the process may use, 0 < Memory <= 1; 0 is no memory target
	// MemoryLimit is the bytes Memory is a fraction of: the container's limit (cgroup memory.max) or the
	// machine's memory when 0.
	MemoryLimit uint64
	MinSlots    int // slots issued without looking at resources, so that a worker always makes progress
	MaxSlots    int // the most slots ever issued
}

// Enabled says whether any target is set.
func (t ResourceTargets) Enabled() bool { return t.CPU > 0 || t.Memory > 0 }

// activitySupplier is the activity slot supplier: fixed at ActivitySlots, or resource-based.
func activitySupplier(t ResourceTargets) (sdkworker.SlotSupplier, error) {
	if !t.Enabled() {
		return sdkworker.NewFixedSizeSlotSupplier(ActivitySlots)
	}
	if t.CPU < 0 || t.CPU > 1 || t.Memory < 0 || t.Memory > 1 {
		return nil, fmt.Errorf("EAAPL_CPU_TARGET %v and EAAPL_MEMORY_TARGET %v must be between 0 (off) and 1", t.CPU, t.Memory)
	}
	usage, err := newProcessUsage(t.MemoryLimit)
	if err != nil {
		return nil, err
	}
	return NewResourceSupplier(t, usage)
}

// NewResourceSupplier returns a resource-based activity slot supplier on usage. A target left at 0 is
// 1: that resource never holds a slot back.
func NewResourceSupplier(t ResourceTargets, usage sdkworker.SysInfoProvider) (*sdkworker.ResourceBasedSlotSupplier, error) {
	opts := sdkworker.DefaultResourceControllerOptions()
	opts.CpuTargetPercent, opts.MemTargetPercent = 1, 1
	if t.CPU > 0 {
		opts.CpuTargetPercent = t.CPU
	}
	if t.Memory > 0 {
		opts.MemTargetPercent = t.Memory
	}
	opts.InfoSupplier = usage
	minSlots, maxSlots := t.MinSlots, t.MaxSlots
	if minSlots <= 0 {
		minSlots = 1
	}
	if maxSlots <= 0 {
		maxSlots = ActivitySlots
	}
	return sdkworker.NewResourceBasedSlotSupplier(sdkworker.NewResourceController(opts), sdkworker.ResourceBasedSlotSupplierOptions{
		MinSlots: minSlots, MaxSlots: maxSlots,
		// A new activity's use shows only once it runs: wait a little between two slots.
		RampThrottle: 50 * time.Millisecond,
	})
}

// processUsage is this process's CPU (over the time since the last call, at most once per 100ms) and
// memory (resident set) as fractions of the CPUs and of the memory limit. It reads /proc and the cgroup
// files, so it is Linux's; elsewhere the worker keeps fixed slots.
type processUsage struct {
	limit uint64
	cpus  float64

	mu       sync.Mutex
	lastAt   time.Time
	lastCPU  time.Duration
	lastFrac float64
}

func newProcessUsage(limit uint64) (*processUsage, error) {
	if limit == 0 {
		limit = memoryLimit()
	}
	if limit == 0 {
		return nil, errors.New("resource targets: the memory limit is unknown (no cgroup memory.max, no /proc/meminfo): set EAAPL_MEMORY_LIMIT")
	}
	return &processUsage{limit: limit, cpus: float64(runtime.GOMAXPROCS(0))}, nil
}

// MemoryUsage is the resident set over the limit.
func (p *processUsage) MemoryUsage(*sdkworker.SysInfoContext) (float64, error) {
	rss, err := residentBytes()
	if err != nil {
		return 0, err
	}
	return float64(rss) / float64(p.limit), nil
}

// CpuUsage is the CPU time used since the previous measurement over the wall time and the CPUs.
func (p *processUsage) CpuUsage(*sdkworker.SysInfoContext) (float64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.lastAt) < 100*time.Millisecond {
		return p.lastFrac, nil
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if !p.lastAt.IsZero() {
		p.lastFrac = min(1, (used-p.lastCPU).Seconds()/now.Sub(p.lastAt).Seconds()/p.cpus)
	}
	p.lastAt, p.lastCPU = now, used
	return p.lastFrac, nil
}

// residentBytes is the process's resident set, from /proc/self/statm.
func residentBytes() (uint64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, fmt.Errorf("read memory use: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("read memory use: /proc/self/statm is %q", b)
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read memory use: %w", err)
	}
	return pages * uint64(os.Getpagesize()), nil
}

// memoryLimit is the cgroup's memory.max when it has one, else the machine's memory; 0 when neither is known.
func memoryLimit() uint64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			return n
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// tuningOf is the adaptive tuning setting the planning activity records with every plan (EAAPL_ADAPTIVE,
// EAAPL_BATCH_SECONDS); the workflow reads it from there (workflows/tuning.go).
func tuningOf(cfg config.Config) *api.Tuning {
	return &api.Tuning{Adaptive: cfg.Adaptive != "off", BatchSeconds: cfg.BatchSeconds}
}
