//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/workflows"
)

// These tests run the real eaapl binary, as a user does, against the real dev stack it starts: the
// Temporal CLI's dev server and Mailpit from bin/, on free ports, with the data in a temporary folder.
// They read /proc to check that nothing outlives `eaapl dev`, hence linux only.

// buildDir holds the eaapl binary built for this package's tests; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "eaapl-cli-test-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "eaapl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// eaaplBin builds the eaapl binary once for all tests of the package and returns its path.
func eaaplBin(tb testing.TB) string {
	tb.Helper()
	bin, err := buildOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// devEnv is the environment of one test's dev stack: its own data folder and free ports.
type devEnv struct {
	bin     string
	dataDir string
	workDir string         // the commands' working folder, empty: nothing may depend on the repository's
	ports   map[string]int // by variable name
	env     []string
}

// portVars are the dev stack's ports; each test picks free ones.
var portVars = []string{"EAAPL_DEV_TEMPORAL_PORT", "EAAPL_DEV_UI_PORT", "EAAPL_DEV_SMTP_PORT", "EAAPL_DEV_MAILPIT_PORT", "EAAPL_DEV_KAFKA_PORT", "EAAPL_DEV_CODEC_PORT"}

func newDevEnv(t *testing.T) *devEnv {
	t.Helper()
	root := testenv.Root(t)
	d := &devEnv{
		bin:     eaaplBin(t),
		dataDir: t.TempDir(),
		workDir: t.TempDir(),
		ports:   map[string]int{},
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "EAAPL_") && !strings.HasPrefix(name, "TEMPORAL_") && !strings.HasPrefix(name, "KAFKA_") && !strings.HasPrefix(name, "OPENAI_") {
			d.env = append(d.env, kv)
		}
	}
	taken := map[int]bool{}
	for _, name := range portVars {
		for {
			port, err := devstack.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			if !taken[port] {
				taken[port] = true
				d.ports[name] = port
				d.env = append(d.env, name+"="+strconv.Itoa(port))
				break
			}
		}
	}
	d.env = append(d.env,
		"EAAPL_DATA_DIR="+d.dataDir,
		"EAAPL_TEMPORAL_BIN="+testenv.Bin(t, "temporal"),
		"EAAPL_MAILPIT_BIN="+testenv.Bin(t, "mailpit"),
		"EAAPL_CONTACTS="+filepath.Join(root, "examples", "contacts.vcf"),
		"TEMPORAL_ADDRESS="+d.addr("EAAPL_DEV_TEMPORAL_PORT"),
		"EAAPL_METRICS_ADDR=127.0.0.1:0", // dev's fixed default would collide between tests
	)
	return d
}

func (d *devEnv) addr(portVar string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.ports[portVar]))
}

// result is what one eaapl command did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// command returns `eaapl args...` in the test's environment, with extra variables if any.
func (d *devEnv) command(ctx context.Context, extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = append(append([]string(nil), d.env...), extraEnv...)
	cmd.Dir = d.workDir
	return cmd
}

// eaapl runs one eaapl command to its end and returns what it did.
func (d *devEnv) eaapl(tb testing.TB, args ...string) result {
	tb.Helper()
	return d.eaaplWith(tb, nil, args...)
}

func (d *devEnv) eaaplWith(tb testing.TB, extraEnv []string, args ...string) result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := d.command(ctx, extraEnv, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		tb.Fatalf("eaapl %q: %v", args, err)
	}
	return r
}

// startInBackground runs `eaapl dev --background`, with extraEnv if any, failing the test with the end of
// dev.log when it does not come up; when the test ends, the stack is stopped and what it left is killed.
func (d *devEnv) startInBackground(t *testing.T, extraEnv ...string) {
	t.Helper()
	t.Cleanup(func() {
		if r := d.eaapl(t, "dev", "--stop"); r.code != 0 {
			t.Errorf("eaapl dev --stop in cleanup: %s", r)
		}
		d.killSurvivors(t)
	})
	if r := d.eaaplWith(t, extraEnv, "dev", "--background"); r.code != 0 {
		t.Fatalf("eaapl dev --background: %s\n--- dev.log:\n%s", r, tail(filepath.Join(d.dataDir, devLogFile), 30))
	}
}

// survivors returns the processes started in this test's environment that are still alive: `eaapl dev`
// and every part it started inherit EAAPL_DATA_DIR, and the parts name the data folder on their
// command line.
func (d *devEnv) survivors(tb testing.TB) map[int]string {
	tb.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	mark := []byte("EAAPL_DATA_DIR=" + d.dataDir + "\x00")
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if bytes.Contains(environ, mark) || bytes.Contains(cmdline, []byte(d.dataDir)) {
			out[pid] = strings.TrimSpace(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// killSurvivors kills what a failed test left running, so one failure does not leave a stack behind.
func (d *devEnv) killSurvivors(tb testing.TB) {
	tb.Helper()
	for pid, cmdline := range d.survivors(tb) {
		tb.Logf("killing leftover process %d: %s", pid, cmdline)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// processState is the state letter of a process in /proc/<pid>/stat ("R", "S", "Z" ...), or "" when there
// is no such process. A zombie ("Z") has exited and holds nothing but its exit status until its parent (here
// init, as `eaapl dev --background` detaches it) reaps it, which may take a moment.
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) state ...; comm may hold spaces and parentheses, so look after the last ")".
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	if f := strings.Fields(rest); len(f) > 0 {
		return f[0]
	}
	return ""
}

// assertAllGone checks that nothing of the stack is left: no process, nothing listening on its ports.
func (d *devEnv) assertAllGone(tb testing.TB) {
	tb.Helper()
	for pid, cmdline := range d.survivors(tb) {
		tb.Errorf("process %d is still running: %s", pid, cmdline)
	}
	for _, name := range portVars {
		if c, err := net.DialTimeout("tcp", d.addr(name), time.Second); err == nil {
			c.Close()
			tb.Errorf("something still listens on %s (%s)", d.addr(name), name)
		}
	}
}

// sentTo matches a result's line saying an email to who was sent; notSentTo, that it was not.
func sentTo(who string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(who) + `\s+sent\s`)
}

func notSentTo(who string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(who) + `\s+not sent\s`)
}

func TestDevInTheBackground(t *testing.T) {
	t.Parallel()
	d := newDevEnv(t)
	begin := time.Now()
	t.Cleanup(func() {
		if r := d.eaapl(t, "dev", "--stop"); r.code != 0 {
			t.Errorf("eaapl dev --stop in cleanup: %s", r)
		}
		d.killSurvivors(t)
	})

	start := d.eaapl(t, "dev", "--background")
	if start.code != 0 {
		t.Fatalf("eaapl dev --background: %s\n--- dev.log:\n%s", start, tail(filepath.Join(d.dataDir, devLogFile), 30))
	}
	t.Logf("the stack was up in %s", time.Since(begin).Round(time.Millisecond))
	pidBytes, err := os.ReadFile(filepath.Join(d.dataDir, pidFile))
	if err != nil {
		t.Fatalf("eaapl dev --background wrote no pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidBytes)))
	if err != nil {
		t.Fatalf("pid file holds %q: %v", pidBytes, err)
	}

	if got := len(d.survivors(t)); got < 3 {
		t.Fatalf("found %d processes of the stack in /proc, want eaapl dev, temporal and mailpit: %v", got, d.survivors(t))
	}

	t.Run("TheBannerShowsEachPort", func(t *testing.T) {
		for _, want := range []string{
			"EaaPL dev stack is up",
			"Temporal      " + d.addr("EAAPL_DEV_TEMPORAL_PORT"),
			"Temporal UI   http://" + d.addr("EAAPL_DEV_UI_PORT"),
			"Mailpit SMTP  " + d.addr("EAAPL_DEV_SMTP_PORT"),
			"Mailpit UI    http://" + d.addr("EAAPL_DEV_MAILPIT_PORT"),
			"Codec server  http://" + d.addr("EAAPL_DEV_CODEC_PORT"),
			fmt.Sprintf("(pid %d,", pid),
		} {
			if !strings.Contains(start.stdout, want) {
				t.Errorf("the banner does not say %q:\n%s", want, start.stdout)
			}
		}
	})

	t.Run("StartingItAgainSaysItIsAlreadyRunning", func(t *testing.T) {
		r := d.eaapl(t, "dev", "--background")
		if r.code != 0 {
			t.Fatal(r)
		}
		if want := fmt.Sprintf("already running (pid %d)", pid); !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not say %q:\n%s", want, r.stdout)
		}
	})

	t.Run("AForegroundDevMeanwhileFailsAndLeavesItAlone", func(t *testing.T) {
		r := d.eaapl(t, "dev")
		if r.code != 1 {
			t.Errorf("exit code = %d, want 1", r.code)
		}
		if want := fmt.Sprintf("already running in the background (pid %d)", pid); !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r)
		}
		if r := d.eaapl(t, "dev", "--background"); !strings.Contains(r.stdout, "EaaPL dev stack is up") {
			t.Errorf("after it, --background no longer shows the banner:\n%s", r)
		}
	})

	t.Run("TheHelloWorldProgramEmailsAliceAndCarolNotBob", func(t *testing.T) {
		r := d.eaapl(t, "run", helloWorld)
		if r.code != 0 {
			t.Fatal(r)
		}
		if !regexp.MustCompile(`Result:\s+completed: send: 2 done, 1 skipped, 0 failed`).MatchString(r.stdout) {
			t.Errorf("stdout has no completed result with 2 sent and 1 skipped:\n%s", r.stdout)
		}
		for _, re := range []*regexp.Regexp{sentTo("alice@example.com"), notSentTo("bob@example.com"), sentTo("carol@example.com")} {
			if !re.MatchString(r.stdout) {
				t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
			}
		}
		if !strings.Contains(r.stderr, "Started program-") {
			t.Errorf("stderr does not say which workflow started:\n%s", r.stderr)
		}
	})

	var lunchID string
	t.Run("JSONPrintsTheResultOnly", func(t *testing.T) {
		r := d.eaapl(t, "run", "--json", "Send 'Lunch?' to dave@example.com")
		if r.code != 0 {
			t.Fatal(r)
		}
		var res workflows.Result
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatalf("stdout is not a JSON result: %v\n%s", err, r.stdout)
		}
		if got, want := res.State, workflows.StateCompleted; got != want {
			t.Errorf("state = %q, want %q (%s)", got, want, res.Summary)
		}
		if got, want := res.Program, "Send 'Lunch?' to dave@example.com"; got != want {
			t.Errorf("program = %q, want %q", got, want)
		}
		send := res.Steps[len(res.Steps)-1]
		if len(send.Items) != 1 || send.Items[0].State != workflows.StateDone {
			t.Errorf("send step = %+v, want one item done", send)
		}
		lunchID = res.WorkflowID
	})

	t.Run("StatusShowsEachStepOfARun", func(t *testing.T) {
		if lunchID == "" {
			t.Skip("the run above failed")
		}
		r := d.eaapl(t, "status", lunchID)
		if r.code != 0 {
			t.Fatal(r)
		}
		for _, re := range []*regexp.Regexp{
			regexp.MustCompile(`Workflow: ` + regexp.QuoteMeta(lunchID) + `\n`),
			regexp.MustCompile(`State:\s+completed\n`),
			regexp.MustCompile(`1\. compose\s+ComposeEmail\s+done\n`),
			regexp.MustCompile(`2\. send\s+SendEmail\s+done\n`),
		} {
			if !re.MatchString(r.stdout) {
				t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
			}
		}
		r = d.eaapl(t, "status", "--json", lunchID)
		var st workflows.Status
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.State != workflows.StateCompleted || st.WorkflowID != lunchID {
			t.Errorf("status --json = %+v, %v; want %s completed\n%s", st, err, lunchID, r)
		}
	})

	t.Run("StatusOfAnUnknownRunFailsNamingIt", func(t *testing.T) {
		r := d.eaapl(t, "status", "program-nobody-ran")
		if r.code != 1 || !strings.Contains(r.stderr, "program-nobody-ran") {
			t.Errorf("want exit code 1 and an error naming the ID: %s", r)
		}
	})

	t.Run("EnglishItDoesNotUnderstandFailsQuotingThePart", func(t *testing.T) {
		r := d.eaapl(t, "run", "Send an email if it rains")
		if r.code != 1 {
			t.Errorf("exit code = %d, want 1", r.code)
		}
		if !strings.Contains(r.stderr, `"if it rains"`) {
			t.Errorf("stderr does not quote %q:\n%s", "if it rains", r.stderr)
		}
	})

	t.Run("TheREADMEsHandWrittenPlanRuns", func(t *testing.T) {
		r := d.eaapl(t, "run", "--plan", filepath.Join(testenv.Root(t), "examples", "last-7-days.plan.json"))
		if r.code != 0 {
			t.Fatal(r)
		}
		if !regexp.MustCompile(`Result:\s+completed`).MatchString(r.stdout) {
			t.Errorf("stdout has no completed result:\n%s", r.stdout)
		}
		// Everyone was emailed by the runs before, within the last 7 days.
		if !strings.Contains(r.stdout, "you emailed them in the last 7 days") {
			t.Errorf("the hand-written plan's condition did not skip anyone:\n%s", r.stdout)
		}
	})

	t.Run("AWorkerServesItsOwnTaskQueue", func(t *testing.T) {
		// A worker outside `eaapl dev` is configured like one on a real cluster: the task queue, and where
		// the SMTP server and the mailbox are.
		queue := []string{
			"EAAPL_TASK_QUEUE=cli-test-worker",
			"EAAPL_SMTP_ADDR=" + d.addr("EAAPL_DEV_SMTP_PORT"),
			"EAAPL_MAILBOX_URL=http://" + d.addr("EAAPL_DEV_MAILPIT_PORT"),
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		w := d.command(ctx, queue, "worker")
		var out syncBuffer
		w.Stdout, w.Stderr = &out, &out
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		r := d.eaaplWith(t, queue, "run", "Send 'Hi' to erin@example.com")
		if err := w.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := w.Wait(); err != nil {
			t.Errorf("eaapl worker after Ctrl-C: %v\n%s", err, out.String())
		}
		if r.code != 0 || !regexp.MustCompile(`Result:\s+completed`).MatchString(r.stdout) {
			t.Fatalf("the program on the worker's queue: %s", r)
		}
		if !strings.Contains(out.String(), "task_queue=cli-test-worker") {
			t.Errorf("the worker's log does not name its task queue:\n%s", out.String())
		}
	})

	t.Run("StopEndsEverything", func(t *testing.T) {
		begin := time.Now()
		r := d.eaapl(t, "dev", "--stop")
		if r.code != 0 {
			t.Fatal(r)
		}
		t.Logf("stopped in %s", time.Since(begin).Round(time.Millisecond))
		if want := fmt.Sprintf("Stopped the EaaPL dev stack (pid %d)", pid); !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not say %q:\n%s", want, r.stdout)
		}
		if state := processState(pid); state != "" && state != "Z" {
			t.Errorf("eaapl dev (pid %d) is still running (state %s)", pid, state)
		}
		if _, err := os.Stat(filepath.Join(d.dataDir, pidFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the pid file is still there (%v)", err)
		}
		d.assertAllGone(t)
		if r := d.eaapl(t, "dev", "--stop"); r.code != 0 || !strings.Contains(r.stdout, "No background EaaPL dev stack is running") {
			t.Errorf("a second --stop: %s", r)
		}
		for _, name := range []string{devLogFile, stackLogFile} {
			if fi, err := os.Stat(filepath.Join(d.dataDir, name)); err != nil || fi.Size() == 0 {
				t.Errorf("the stack's log %s is missing or empty (%v)", name, err)
			}
		}
	})

	// README: "The stack keeps running, with its data in .eaapl/ (programs and emails survive a restart)",
	// and "Run make run again and everyone is skipped".
	t.Run("ARestartKeepsTheRunsAndTheEmails", func(t *testing.T) {
		if r := d.eaapl(t, "dev", "--background"); r.code != 0 {
			t.Fatal(r)
		}
		if lunchID != "" {
			if r := d.eaapl(t, "status", lunchID); r.code != 0 || !strings.Contains(r.stdout, "completed") {
				t.Errorf("status of a run from before the restart: %s", r)
			}
		}
		r := d.eaapl(t, "run", helloWorld)
		if r.code != 0 {
			t.Fatal(r)
		}
		for _, who := range []string{"alice@example.com", "bob@example.com", "carol@example.com"} {
			if !notSentTo(who).MatchString(r.stdout) {
				t.Errorf("%s was emailed again; everyone was emailed this week:\n%s", who, r.stdout)
			}
		}
	})
}

func TestDevInTheForegroundStopsOnCtrlC(t *testing.T) {
	t.Parallel()
	d := newDevEnv(t)
	t.Cleanup(func() { d.killSurvivors(t) })

	cmd := d.command(context.Background(), nil, "dev")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	up := make(chan struct{})
	var out syncBuffer
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "EaaPL dev stack is up") {
				close(up)
			}
		}
		exited <- cmd.Wait() // after the pipe is drained, as os/exec requires
	}()

	select {
	case <-up:
		t.Logf("the stack was up in %s", time.Since(begin).Round(time.Millisecond))
	case err := <-exited:
		t.Fatalf("eaapl dev exited (%v) before it was up\n--- stdout:\n%s--- stderr:\n%s", err, out.String(), stderr.String())
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("eaapl dev was not up after 2 minutes\n--- stdout:\n%s--- stderr:\n%s", out.String(), stderr.String())
	}
	if got := len(d.survivors(t)); got < 3 {
		t.Errorf("found %d processes of the stack in /proc, want eaapl dev, temporal and mailpit: %v", got, d.survivors(t))
	}
	for _, name := range []string{"EAAPL_DEV_TEMPORAL_PORT", "EAAPL_DEV_MAILPIT_PORT"} {
		if c, err := net.DialTimeout("tcp", d.addr(name), time.Second); err != nil {
			t.Errorf("nothing listens on %s (%s) while the stack is up: %v", d.addr(name), name, err)
		} else {
			c.Close()
		}
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	begin = time.Now()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("eaapl dev after Ctrl-C: %v, want exit code 0\n--- stderr:\n%s", err, stderr.String())
		}
		t.Logf("stopped in %s", time.Since(begin).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("eaapl dev did not exit within 15s of Ctrl-C\n--- stdout:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "EaaPL dev stack stopped.") {
		t.Errorf("stdout does not say the stack stopped:\n%s", out.String())
	}
	d.assertAllGone(t)
}

// After a reboot or a crash, dev.pid may hold the number of some other program: --stop must leave it alone.
func TestDevStopLeavesAnotherProgramWithTheRecordedPIDAlone(t *testing.T) {
	isolateEnv(t)
	dataDir := t.TempDir()
	t.Setenv("EAAPL_DATA_DIR", dataDir)
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = other.Wait(); close(exited) }()
	t.Cleanup(func() { _ = other.Process.Kill(); <-exited })
	if err := os.WriteFile(filepath.Join(dataDir, pidFile), []byte(strconv.Itoa(other.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}

	stdout, _, err := runCLI(t, "dev", "--stop")
	if err != nil {
		t.Fatal(err)
	}
	if want := "No background EaaPL dev stack is running."; !strings.Contains(stdout, want) {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	select {
	case <-exited:
		t.Fatalf("eaapl dev --stop stopped pid %d, which is `sleep`, not eaapl dev", other.Process.Pid)
	case <-time.After(200 * time.Millisecond):
	}
}

// syncBuffer is a bytes.Buffer that a child's output goroutine and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) WriteString(s string) { _, _ = b.Write([]byte(s)) }

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
