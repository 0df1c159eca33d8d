package main

import (
	"os"
	"testing"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
)

// TestProgramZoneIsOneSourceOfTruth: a program is planned in the zone this shell gives, else in the
// running dev stack worker's, so `eaapl plan`, `eaapl run` and `--confirm` agree on "today".
func TestProgramZoneIsOneSourceOfTruth(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Config{DataDir: dir, Timezone: "Local"}
	os.Unsetenv("EAAPL_TIMEZONE")
	if got := programZone(cfg); got != "" {
		t.Errorf("no zone given and no dev stack: %q, want the worker's own (empty)", got)
	}
	if err := devstack.WriteSettings(dir, devstack.WorkerSettings{Timezone: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	if got := programZone(cfg); got != "Asia/Tokyo" {
		t.Errorf("with a dev stack in Tokyo: %q, want Asia/Tokyo", got)
	}
	t.Setenv("EAAPL_TIMEZONE", "Europe/Berlin")
	cfg.Timezone = "Europe/Berlin"
	if got := programZone(cfg); got != "Europe/Berlin" {
		t.Errorf("EAAPL_TIMEZONE given here: %q, want Europe/Berlin", got)
	}
}
