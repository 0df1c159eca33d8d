package main

import (
	"testing"
	"time"
)

// TestRatioTargets: each ratio target says what was measured and whether it met its minimum, or why it
// has no figure (a failed run, a size not in this run).
func TestRatioTargets(t *testing.T) {
	rep := report{opts: options{sizes: []int{10_000, 100_000}}, runs: []runResult{
		{kind: kindEaaPL, n: 10_000, wall: 10 * time.Second},
		{kind: kindEaaPL, n: 100_000, wall: 120 * time.Second},
		{kind: kindPlain, n: 10_000, wall: 7 * time.Second},
		{kind: kindPlain, n: 100_000, failed: "boom"},
		{kind: kindExpert, n: 10_000, wall: 11 * time.Second},
	}}
	want := map[string]target{
		"EaaPL / (b) plain SMTP at N=10000":            {want: "≥ 0.8", measured: "0.70", verdict: "NOT met: 0.10 short"},
		"EaaPL / (b) plain SMTP at N=100000":           {want: "≥ 0.8", measured: "not measured", verdict: "NOT met: the run failed (below)"},
		"EaaPL / (a') expert hand-written at N=10000":  {want: "≥ 0.9", measured: "1.10", verdict: "met"},
		"EaaPL / (a') expert hand-written at N=100000": {want: "≥ 0.9", measured: "not measured", verdict: "N=100000 not in this run"},
		"EaaPL emails/s at N=100,000 / at N=10,000":    {want: "≥ 0.9", measured: "0.83", verdict: "NOT met: 0.07 short"},
	}
	for _, got := range rep.targets() {
		w, ok := want[got.name]
		if !ok {
			continue
		}
		delete(want, got.name)
		if w.name = got.name; got != w {
			t.Errorf("target %+v, want %+v", got, w)
		}
	}
	for name := range want {
		t.Errorf("no target %q", name)
	}
}
