package starter

import (
	"testing"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// TestReadBackNamesTheZoneOnlyWhenTheClockDiffers: "Times are in UTC." is noise on a machine whose
// clock is UTC (EAAPL_TIMEZONE=UTC or Etc/UTC there); a zone whose clock differs at the wait's time is
// named.
func TestReadBackNamesTheZoneOnlyWhenTheClockDiffers(t *testing.T) {
	utc, err := time.LoadLocation("Etc/UTC")
	berlin, err2 := time.LoadLocation("Europe/Berlin")
	if err != nil || err2 != nil {
		t.Fatal("no time zone data:", err, err2)
	}
	p := &plan.Plan{Steps: []plan.Step{{ID: "wait", Wait: &plan.Wait{Until: "2026-11-26T08:00:00Z"}}}}
	if !sameClock(p, utc, time.UTC) {
		t.Error("Etc/UTC on a UTC machine: the zone is named; want no line")
	}
	if sameClock(p, berlin, time.UTC) {
		t.Error("Europe/Berlin on a UTC machine: the zone is not named; want Times are in Europe/Berlin.")
	}
	if !sameClock(&plan.Plan{Steps: []plan.Step{{ID: "send", Command: "SendEmail"}}}, berlin, time.UTC) {
		t.Error("a plan with no time of day: the zone is named; want no line")
	}
}
