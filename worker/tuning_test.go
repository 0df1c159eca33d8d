package worker

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
)

// reservation is what the SDK tells a slot supplier when it asks for a slot.
type reservation struct{ issued int }

func (r reservation) TaskQueue() string                     { return "eaapl" }
func (r reservation) TaskQueueKind() enumspb.TaskQueueKind  { return enumspb.TASK_QUEUE_KIND_NORMAL }
func (r reservation) WorkerBuildId() string                 { return "" }
func (r reservation) WorkerIdentity() string                { return "test" }
func (r reservation) NumIssuedSlots() int                   { return r.issued }
func (r reservation) Logger() log.Logger                    { return log.NewStructuredLogger(nil) }
func (r reservation) MetricsHandler() client.MetricsHandler { return client.MetricsNopHandler }

// TestMemoryTargetRefusesSlots runs the activity slot supplier on this process's real memory use
// (processUsage): with the limit set just above what the process holds, a memory target of half of it
// is exceeded, and beyond the minimum no new slot is issued; with a limit far above, slots are issued.
func TestMemoryTargetRefusesSlots(t *testing.T) {
	rss, err := residentBytes()
	if err != nil {
		t.Fatalf("read this process's memory use: %v", err)
	}
	supplier := func(limit uint64) sdkworker.SlotSupplier {
		usage, err := newProcessUsage(limit)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewResourceSupplier(ResourceTargets{Memory: 0.5, MinSlots: 2, MaxSlots: 100}, usage)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("OverTheTarget", func(t *testing.T) {
		s := supplier(rss + rss/10) // the process uses about 90% of this limit
		for issued := range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := s.ReserveSlot(ctx, reservation{issued})
			cancel()
			if err != nil {
				t.Fatalf("slot %d refused (%v): the minimum is issued whatever the use", issued+1, err)
			}
		}
		time.Sleep(60 * time.Millisecond) // past the ramp throttle
		if p := s.TryReserveSlot(reservation{2}); p != nil {
			t.Fatal("a third slot was issued with memory at ~90% of the limit and a target of 50%")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if _, err := s.ReserveSlot(ctx, reservation{2}); err == nil {
			t.Fatal("ReserveSlot gave a slot over the memory target; it must wait")
		}
	})
	t.Run("UnderTheTarget", func(t *testing.T) {
		s := supplier(rss * 100) // about 1% used
		time.Sleep(60 * time.Millisecond)
		if s.TryReserveSlot(reservation{2}) == nil {
			t.Fatal("a slot was refused with memory at ~1% of the limit and a target of 50%")
		}
	})
}

func TestResourceTargetsOffIsFixed(t *testing.T) {
	s, err := activitySupplier(ResourceTargets{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MaxSlots(); got != ActivitySlots {
		t.Fatalf("MaxSlots %d, want the fixed %d", got, ActivitySlots)
	}
	if _, err := activitySupplier(ResourceTargets{Memory: 1.5}); err == nil {
		t.Fatal("a memory target of 1.5 was accepted")
	}
}
