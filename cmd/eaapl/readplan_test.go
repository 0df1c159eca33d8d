package main

import "testing"

// TestReadPlanSaysAMissingFileInWords: a --plan file that is not there is named as such, not as the
// operating system's "open x: no such file or directory".
func TestReadPlanSaysAMissingFileInWords(t *testing.T) {
	_, err := readPlan("no-such-plan.json")
	if err == nil || err.Error() != "the plan file no-such-plan.json does not exist" {
		t.Errorf("readPlan = %v, want: the plan file no-such-plan.json does not exist", err)
	}
}
