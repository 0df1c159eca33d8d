//go:build linux

package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
)

// TestDevWarnings runs a real dev stack in the background and checks what the CLI warns of: a task queue
// no worker polls, settings the running worker does not have, and what a killed `eaapl dev` left running.
func TestDevWarnings(t *testing.T) {
	d := newDevEnv(t)
	t.Cleanup(func() {
		_ = d.eaapl(t, "dev", "--stop")
		d.killSurvivors(t)
	})
	if r := d.eaapl(t, "dev", "--background"); r.code != 0 {
		t.Fatalf("eaapl dev --background: %s\n--- dev.log:\n%s", r, tail(filepath.Join(d.dataDir, devLogFile), 30))
	}
	workerContacts := filepath.Join(testenv.Root(t), "examples", "contacts.vcf")

	t.Run("AWrongTaskQueueWarnsWithinSeconds", func(t *testing.T) {
		// The program waits for a worker on "eapl" for good: the test ends it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := d.command(ctx, []string{"EAAPL_TASK_QUEUE=eapl"}, "run", "Send 'Hi' to bob@example.com")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		var started time.Time
		var seen []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			seen = append(seen, line)
			if strings.HasPrefix(line, "Started ") {
				started = time.Now()
			}
			if strings.Contains(line, `no worker is polling task queue "eapl"`) {
				if started.IsZero() {
					t.Fatalf("warned before the program started:\n%s", strings.Join(seen, "\n"))
				}
				if took := time.Since(started); took > 10*time.Second {
					t.Errorf("the warning came %s after the start, want within 10 s", took)
				}
				for _, want := range []string{"EAAPL_TASK_QUEUE", "eaapl dev", "TEMPORAL_ADDRESS"} {
					if !strings.Contains(line, want) {
						t.Errorf("the warning does not say to check %s: %s", want, line)
					}
				}
				time.Sleep(time.Second)
				if st := processState(cmd.Process.Pid); st == "" || st == "Z" {
					t.Errorf("eaapl run exited after the warning; it should keep waiting")
				}
				return
			}
		}
		t.Fatalf("no warning of a task queue without a worker; stderr:\n%s", strings.Join(seen, "\n"))
	})

	t.Run("OtherContactsThanTheWorkersWarn", func(t *testing.T) {
		mine := filepath.Join(t.TempDir(), "mine.vcf")
		b, err := os.ReadFile(workerContacts)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(mine, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r := d.eaaplWith(t, []string{"EAAPL_CONTACTS=" + mine}, "run", "Send 'Hi' to bob@example.com")
		if r.code != 0 {
			t.Fatalf("eaapl run: %s", r)
		}
		for _, want := range []string{"Warning: EAAPL_CONTACTS is " + strconv.Quote(mine), strconv.Quote(workerContacts), "eaapl dev --stop"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r)
			}
		}
		same := d.eaapl(t, "run", "Send 'Hi' to bob@example.com")
		if strings.Contains(same.stderr, "EAAPL_CONTACTS") {
			t.Errorf("warned of the contacts with the worker's own:\n%s", same)
		}
		// make run's --same-settings refuses instead: its Hello World must not go to an address book
		// that is not this shell's.
		strict := d.eaaplWith(t, []string{"EAAPL_CONTACTS=" + mine}, "run", "--same-settings", "Send 'Hi' to bob@example.com")
		if strict.code == 0 || !strings.Contains(strict.stderr, "not started") || !strings.Contains(strict.stderr, strconv.Quote(workerContacts)) ||
			strings.Contains(strict.stderr, "Started ") {
			t.Errorf("eaapl run --same-settings with other contacts than the worker's started or did not say why:\n%s", strict)
		}
		if r := d.eaapl(t, "run", "--same-settings", "Send 'Hi' to bob@example.com"); r.code != 0 {
			t.Errorf("eaapl run --same-settings with the worker's own settings: %s", r)
		}
		bg := d.eaaplWith(t, []string{"EAAPL_CONTACTS=" + mine}, "dev", "--background")
		if bg.code != 0 || !strings.Contains(bg.stdout, "already running") || !strings.Contains(bg.stdout, "Warning: EAAPL_CONTACTS is "+strconv.Quote(mine)) {
			t.Errorf("eaapl dev --background on a running stack with other contacts does not warn:\n%s", bg)
		}
	})

	t.Run("StopAfterKill9StopsTheOrphans", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(d.dataDir, pidFile))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// Under load a killed process takes a while to go; --stop must find no eaapl dev to stop.
		for deadline := time.Now().Add(time.Minute); isDevProcess(pid); {
			if time.Now().After(deadline) {
				t.Fatalf("eaapl dev (pid %d) still runs a minute after SIGKILL", pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(d.survivors(t)) == 0 {
			t.Fatal("kill -9 of eaapl dev left nothing running; the test checks nothing")
		}
		r := d.eaapl(t, "dev", "--stop")
		if r.code != 0 || !strings.Contains(r.stdout, "stopped temporal (pid") || !strings.Contains(r.stdout, "mailpit (pid") {
			t.Errorf("eaapl dev --stop after kill -9 does not say it stopped the orphans:\n%s", r)
		}
		d.assertAllGone(t)
		if _, err := os.Stat(filepath.Join(d.dataDir, devstack.SettingsFile)); !os.IsNotExist(err) {
			t.Errorf("the dead worker's settings are still recorded (%v): later runs would be warned of them", err)
		}
	})
}
