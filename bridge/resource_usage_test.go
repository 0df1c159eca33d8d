package bridge

import (
	"reflect"
	"testing"

	"github.com/eaapl/eaapl/catalog"
)

func TestResourceUsageOnAnalyticsData(t *testing.T) {
	t.Run("TheWorkersFiguresAsMeasured", func(t *testing.T) {
		got := ResourceUsageOf(&catalog.ResourceUsage{CPUTimeMs: 1.5, AllocatedBytes: 4096, OverlappingTasks: 3})
		want := map[string]any{"cpu_time_ms": 1.5, "allocated_bytes": uint64(4096), "overlapping_tasks": int64(3)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("resource_usage = %v, want %v", got, want)
		}
	})
	t.Run("EmptyForATaskWithoutFigures", func(t *testing.T) {
		if got := ResourceUsageOf(nil); got == nil || len(got) != 0 {
			t.Fatalf("resource_usage = %#v, want an empty object (the schema requires one)", got)
		}
	})
}
