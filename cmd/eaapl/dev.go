package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/starter"
)

// Files `eaapl dev` keeps in the data folder.
const (
	stackLogFile = "stack.log" // the Temporal dev server's and Mailpit's output
	devLogFile   = "dev.log"   // a background `eaapl dev`'s own output
	pidFile      = "dev.pid"
	readyFile    = "dev.ready" // written once the stack and its worker are up; holds the banner
)

func newDevCmd() *cobra.Command {
	var background, stop bool
	cmd := &cobra.Command{
		Use:               "dev [--background | --stop]",
		Short:             "start the embedded stack (Temporal dev server, Mailpit, a worker)",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			stdout := cmd.OutOrStdout()
			switch {
			case len(args) > 0:
				return usageError{msg: fmt.Sprintf("eaapl dev takes no arguments, only --background or --stop; got %q", args)}
			case stop && background:
				return usageError{msg: "give either --background or --stop, not both"}
			case stop:
				return stopBackground(ctx, cfg, stdout)
			case background:
				return startBackground(ctx, cfg, stdout)
			}
			return runDev(ctx, cfg, stdout, cmd.ErrOrStderr())
		}),
	}
	cmd.Flags().BoolVar(&background, "background", false, "start the stack in the background and return once it is ready")
	cmd.Flags().BoolVar(&stop, "stop", false, "stop a stack started with --background")
	return cmd
}

// runDev runs the stack and a worker in the foreground until ctx ends (Ctrl-C).
func runDev(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) error {
	// Before touching the data folder: a second stack there would remove the running one's ready file.
	// startBackground's child finds its own pid in the pid file.
	if pid, ok := runningPID(cfg); ok && pid != os.Getpid() {
		return fmt.Errorf("the EaaPL dev stack is already running in the background (pid %d); `eaapl dev --stop` stops it", pid)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	// The dev stack is one person's, and its Temporal Web UI sends answers without an identity: take
	// them (recorded as by nobody) so the UI's Send Update form works, unless the person said otherwise.
	// A shared deployment leaves it off (docs/security.md).
	if _, set := os.LookupEnv("EAAPL_ANSWERS_WITHOUT_IDENTITY"); !set {
		cfg.AnswersWithoutIdentity = true
	}
	ready := filepath.Join(cfg.DataDir, readyFile)
	_ = os.Remove(ready) // stale from a stack that was killed
	stackLog, err := openPrivate(filepath.Join(cfg.DataDir, stackLogFile), os.O_APPEND)
	if err != nil {
		return fmt.Errorf("stack log: %w", err)
	}
	defer stackLog.Close()

	fmt.Fprintln(stdout, "Starting the EaaPL dev stack (data in "+cfg.DataDir+") ...")
	stack, err := devstack.Start(ctx, devstack.Options{
		TemporalBin:  cfg.TemporalBin,
		MailpitBin:   cfg.MailpitBin,
		DataDir:      cfg.DataDir,
		TemporalPort: cfg.DevTemporalPort,
		UIPort:       cfg.DevUIPort,
		SMTPPort:     cfg.DevSMTPPort,
		MailpitPort:  cfg.DevMailpitPort,
		KafkaPort:    cfg.DevKafkaPort,
		KeyFile:      cfg.KeyFile,
		CodecPort:    cfg.DevCodecPort,
		Log:          stackLog,
		Report:       func(msg string) { fmt.Fprintln(stdout, "eaapl dev:", msg) },
	})
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.DevShutdownBudget)
		defer cancel()
		if err := stack.Stop(stopCtx); err != nil {
			fmt.Fprintln(stderr, "eaapl dev: stopping the stack:", err)
		}
		_ = os.Remove(ready)
		_ = os.Remove(filepath.Join(cfg.DataDir, devstack.SettingsFile)) // no worker has them now
		fmt.Fprintln(stdout, "EaaPL dev stack stopped.")
	}()

	if cfg.DevSeed != "" {
		loc, _ := cfg.Location() // checked by config.Load
		sent, err := devstack.SeedHistory(ctx, stack.Mailpit, cfg.UserEmail, cfg.DevSeed, startOfWeek(time.Now().In(loc)))
		if err != nil {
			return fmt.Errorf("seed the demo's email history: %w", err)
		}
		if sent {
			fmt.Fprintf(stdout, "Recorded an email from %s to %s this week, so the demo skips %s.\n", cfg.UserEmail, cfg.DevSeed, cfg.DevSeed)
		}
	}

	cfg.SMTPAddr, cfg.MailboxURL = stack.Mailpit.SMTPAddr, stack.Mailpit.APIURL
	if stack.Broker != nil {
		cfg.Kafka.Brokers = []string{stack.Broker.Addr()}
	}
	if _, set := os.LookupEnv("EAAPL_METRICS_ADDR"); !set {
		cfg.MetricsAddr = devMetricsAddr // set and empty turns metrics off
	}
	// Recorded for the CLI, which warns when the settings it is given differ from the worker's.
	if err := devstack.WriteSettings(cfg.DataDir, starter.SettingsOf(cfg)); err != nil {
		return err
	}
	banner := devBanner(cfg, stack)
	return serve(ctx, cfg, newLogger(cfg, stderr), stack.Temporal.Address, func() error {
		if err := os.WriteFile(ready, []byte(banner), 0o644); err != nil {
			return fmt.Errorf("ready file: %w", err)
		}
		fmt.Fprint(stdout, banner)
		fmt.Fprintln(stdout, "Press Ctrl-C to stop everything.")
		return nil
	})
}

func devBanner(cfg config.Config, s *devstack.Stack) string {
	return fmt.Sprintf(`EaaPL dev stack is up:
  Temporal      %s   (TEMPORAL_ADDRESS)
  Temporal UI   %s
  Mailpit SMTP  %s
  Mailpit UI    %s
  Kafka         %s   (KAFKA_BROKERS; see its events with bin/eaapl events)
  Codec server  %s   (payloads are encrypted with %s; temporal ... --codec-endpoint)
  Worker        task queue %q, contacts %s
Try:  bin/eaapl run "Send an email to each of my contacts if I haven't emailed them this week that says 'Hello World!'"
`, s.Temporal.Address, s.Temporal.UIURL, s.Mailpit.SMTPAddr, s.Mailpit.APIURL, strings.Join(cfg.Kafka.Brokers, ","), codecURL(s), s.KeyFile, cfg.TaskQueue, cfg.Contacts)
}

func codecURL(s *devstack.Stack) string {
	if s.Codec == nil {
		return "none"
	}
	return s.Codec.URL
}

// startOfWeek is Monday 00:00 of t's week, in t's zone.
func startOfWeek(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, t.Location())
}

// startBackground starts `eaapl dev` as a detached process, unless one is running, and waits until it is
// ready; its output goes to dev.log in the data folder.
func startBackground(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	if pid, ok := runningPID(cfg); ok {
		banner, _ := os.ReadFile(filepath.Join(cfg.DataDir, readyFile))
		fmt.Fprintf(stdout, "The EaaPL dev stack is already running (pid %d).\n%s", pid, banner)
		reportRunning(ctx, cfg, stdout)
		return nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	logPath := filepath.Join(cfg.DataDir, devLogFile)
	logFile, err := openPrivate(logPath, os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("dev log: %w", err)
	}
	defer logFile.Close()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the eaapl binary: %w", err)
	}
	_ = os.Remove(filepath.Join(cfg.DataDir, readyFile))
	cmd := exec.Command(exe, "dev")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start eaapl dev: %w", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(cfg.DataDir, pidFile), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	fmt.Fprintf(stdout, "Starting the EaaPL dev stack in the background (pid %d, log %s) ...\n", pid, logPath)
	deadline := time.After(3 * time.Minute)
	for {
		if banner, err := os.ReadFile(filepath.Join(cfg.DataDir, readyFile)); err == nil {
			fmt.Fprint(stdout, string(banner))
			fmt.Fprintln(stdout, "It keeps running in the background; `bin/eaapl dev --stop` (or `make stop`) stops it.")
			return nil
		}
		select {
		case err := <-exited:
			_ = os.Remove(filepath.Join(cfg.DataDir, pidFile))
			return fmt.Errorf("eaapl dev exited (%v) before it was ready; the end of %s:\n%s", err, logPath, tail(logPath, 15))
		case <-deadline:
			return fmt.Errorf("eaapl dev was not ready after 3 minutes; see %s", logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stopBackground stops a background `eaapl dev` and waits until it has exited.
func stopBackground(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	pid, ok := runningPID(cfg)
	if !ok {
		return stopOrphans(ctx, cfg, stdout)
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	if err := proc.Signal(os.Interrupt); err != nil {
		return fmt.Errorf("stop eaapl dev (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(cfg.DevShutdownBudget + 5*time.Second)
	for isDevProcess(pid) {
		if time.Now().After(deadline) {
			_ = proc.Signal(syscall.SIGKILL)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = os.Remove(filepath.Join(cfg.DataDir, pidFile))
	fmt.Fprintf(stdout, "Stopped the EaaPL dev stack (pid %d).\n", pid)
	// What it left running: all of its stack when it died while being stopped, or had to be killed.
	var running *devstack.StackRunningError
	if stopped, err := devstack.StopOrphans(ctx, cfg.DataDir); err != nil && !errors.As(err, &running) {
		return fmt.Errorf("stop what eaapl dev left running: %w", err)
	} else if len(stopped) > 0 {
		fmt.Fprintf(stdout, "It left %s running: stopped them.\n", strings.Join(stopped, ", "))
	}
	return nil
}

// stopOrphans stops what a dev stack whose `eaapl dev` died (kill -9, a crash) left running, and says what.
func stopOrphans(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	stopped, err := devstack.StopOrphans(ctx, cfg.DataDir)
	var running *devstack.StackRunningError
	switch {
	case errors.As(err, &running):
		// A foreground `eaapl dev` (no pid file): it is Ctrl-C that stops it.
		return fmt.Errorf("%w; it runs in the foreground: stop it with Ctrl-C where it runs (or kill -INT %d)", err, running.Owner.PID)
	case len(stopped) > 0:
		fmt.Fprintf(stdout, "No eaapl dev was running, but its stack was: stopped %s.\n", strings.Join(stopped, ", "))
	case err == nil:
		fmt.Fprintln(stdout, "No background EaaPL dev stack is running.")
	}
	if err != nil {
		return fmt.Errorf("stop what a dead eaapl dev left running: %w", err)
	}
	_ = os.Remove(filepath.Join(cfg.DataDir, pidFile))
	_ = os.Remove(filepath.Join(cfg.DataDir, devstack.SettingsFile)) // its worker died with it
	return nil
}

// reportRunning says which part of the running stack does not work, and which settings given here its
// worker does not have: `eaapl dev --background` does not restart a running stack with them.
func reportRunning(ctx context.Context, cfg config.Config, stdout io.Writer) {
	parts, err := devstack.CheckRunning(ctx, cfg.DataDir)
	if err != nil {
		fmt.Fprintln(stdout, "Warning:", err)
	}
	for _, p := range parts {
		if p.Err != nil {
			fmt.Fprintf(stdout, "Warning: %s (%s) does not work: %v\n", p.Part, p.Addr, p.Err)
		}
	}
	warnSettings(cfg, func(msg string) { fmt.Fprintln(stdout, "Warning:", msg) })
}

// runningPID returns the pid of a background `eaapl dev` that is still alive.
func runningPID(cfg config.Config) (int, bool) {
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, pidFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !isDevProcess(pid) {
		return 0, false
	}
	return pid, true
}

// isDevProcess reports whether pid is a live background `eaapl dev`: startBackground runs it as this
// binary with the one argument "dev". Being alive is not enough: after a reboot or a crash the pid file's
// number may belong to another program, which --stop must not signal and --background must not take for a
// running stack. Where there is no /proc (macOS), being alive is all it can check.
func isDevProcess(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		_, noProc := os.Stat("/proc/self")
		return noProc != nil
	}
	// A zombie's command line is empty: it has exited.
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	exe, err := os.Executable()
	if err != nil {
		return len(args) == 2 && args[1] == "dev"
	}
	return len(args) == 2 && args[1] == "dev" && filepath.Base(args[0]) == filepath.Base(exe)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// devMetricsAddr is where `eaapl dev`'s worker serves /metrics, /readyz and /livez unless
// EAAPL_METRICS_ADDR says otherwise.
const devMetricsAddr = "127.0.0.1:9464"

// openPrivate opens a log for writing (flag adds O_APPEND or O_TRUNC), readable by its owner alone: a
// log quotes the programs it ran, and one a release before wrote 0644 is made 0600 as well.
func openPrivate(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|flag, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
