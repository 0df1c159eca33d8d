//go:build linux

package devstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// reports collects what a stack reports, for a test to wait on.
type reports struct {
	mu   sync.Mutex
	msgs []string
}

func (r *reports) add(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
}

// waitFor waits until a report contains want and returns every report so far.
func (r *reports) waitFor(tb testing.TB, want string, within time.Duration) []string {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		msgs := append([]string(nil), r.msgs...)
		r.mu.Unlock()
		for _, m := range msgs {
			if strings.Contains(m, want) {
				return msgs
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no report says %q within %s; the reports: %q", want, within, msgs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startStack(tb testing.TB, o Options) *Stack {
	tb.Helper()
	o.TemporalBin, o.MailpitBin = repoBin(tb, "temporal"), repoBin(tb, "mailpit")
	if o.KafkaPort == 0 {
		o.KafkaPort = -1
	}
	s, err := Start(context.Background(), o)
	var inUse *PortInUseError
	if errors.As(err, &inUse) && o.TemporalPort == 0 {
		// A free port is free only until another process on this shared machine takes it: once more.
		tb.Logf("start the stack: %v; trying again on other ports", err)
		s, err = Start(context.Background(), o)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*stopBudget)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

// TestMailpitKilled kills the stack's Mailpit as a crash would: the stack notices, says so, and brings
// it back on the same ports with the same mailbox.
func TestMailpitKilled(t *testing.T) {
	t.Parallel()
	var r reports
	dataDir := t.TempDir()
	s := startStack(t, Options{DataDir: dataDir, HealthInterval: 200 * time.Millisecond, Report: r.add, Log: testLog(t)})
	if err := Unhealthy(s.Health(context.Background())); err != nil {
		t.Fatalf("a stack just started is not healthy: %v", err)
	}
	old := s.Mailpit.PID()
	if err := syscall.Kill(-old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	msgs := r.waitFor(t, "mailpit is up again", time.Minute)
	if !strings.Contains(msgs[0], "mailpit is down") {
		t.Errorf("the first report = %q, want one that says Mailpit is down", msgs[0])
	}
	if err := Unhealthy(s.Health(context.Background())); err != nil {
		t.Errorf("after the restart: %v", err)
	}
	s.mu.Lock()
	now := s.Mailpit.PID()
	s.mu.Unlock()
	if now == old {
		t.Errorf("Mailpit's pid is still %d", old)
	}
	st, err := ReadState(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := partPID(st, PartMailpit); got != now {
		t.Errorf("the state file records Mailpit as pid %d, want the restarted %d", got, now)
	}
}

// TestDeadPartReported: without the watcher, another process asking (CheckRunning) is told which part is
// dead and which is fine.
func TestDeadPartReported(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	s := startStack(t, Options{DataDir: dataDir, HealthInterval: -1, Log: testLog(t)})
	hs, err := CheckRunning(context.Background(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Unhealthy(hs); err != nil {
		t.Fatalf("a stack just started is not healthy: %v", err)
	}
	if err := syscall.Kill(-s.Mailpit.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.Mailpit.Wait()
	hs, err = CheckRunning(context.Background(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]error{}
	for _, h := range hs {
		health[h.Part] = h.Err
	}
	if health[PartTemporal] != nil {
		t.Errorf("Temporal is reported unhealthy: %v", health[PartTemporal])
	}
	if err := health[PartMailpit]; err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("Mailpit's health = %v, want that its process exited", err)
	}
	if err := Unhealthy(hs); err == nil || !strings.Contains(err.Error(), "mailpit (") {
		t.Errorf("Unhealthy = %v, want it to name mailpit", err)
	}
}

// TestOrphansAfterKill9 kills `eaapl dev`'s stand-in with SIGKILL, so it cannot stop its children: they
// keep running, and the next start in the same data folder stops them and takes their ports.
func TestOrphansAfterKill9(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperStack$")
	helper.Env = append(os.Environ(), "DEVSTACK_HELPER_DATA="+dataDir)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "helper stack ready" {
				ready <- nil
				return
			}
		}
		ready <- errors.New("the helper exited before its stack was ready")
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the helper's stack was not ready in 2 minutes")
	}
	st, err := ReadState(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Owner.PID != helper.Process.Pid || len(st.Parts) != 2 {
		t.Fatalf("state = %+v, want the helper (pid %d) as owner and two parts", st, helper.Process.Pid)
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	for _, p := range st.Parts {
		if !p.Process.running() {
			t.Fatalf("%s (pid %d) died with its owner; the test needs it orphaned", p.Name, p.Process.PID)
		}
		t.Cleanup(func() { _ = syscall.Kill(-p.Process.PID, syscall.SIGKILL) }) // should the test fail
	}

	// The same ports: the orphans hold them until the new start stops them.
	var r reports
	s := startStack(t, Options{DataDir: dataDir, TemporalPort: port(t, st.TemporalAddress), UIPort: port(t, st.TemporalUI),
		SMTPPort: port(t, st.SMTPAddr), MailpitPort: port(t, st.MailpitURL), HealthInterval: -1, Report: r.add, Log: testLog(t)})
	msg := r.waitFor(t, "Stopped what an earlier EaaPL dev stack left running", time.Second)[0]
	for _, p := range st.Parts {
		if want := fmt.Sprintf("%s (pid %d)", p.Name, p.Process.PID); !strings.Contains(msg, want) {
			t.Errorf("the report %q does not name %s", msg, want)
		}
		if p.Process.running() {
			t.Errorf("%s (pid %d) still runs", p.Name, p.Process.PID)
		}
	}
	if err := Unhealthy(s.Health(context.Background())); err != nil {
		t.Errorf("the new stack on the orphans' ports: %v", err)
	}
}

// TestHelperStack is not a test: TestOrphansAfterKill9 runs the test binary with it to have a stack in
// another process, to kill.
func TestHelperStack(t *testing.T) {
	dataDir := os.Getenv("DEVSTACK_HELPER_DATA")
	if dataDir == "" {
		t.Skip("run by TestOrphansAfterKill9")
	}
	_, err := Start(context.Background(), Options{
		TemporalBin: repoBin(t, "temporal"), MailpitBin: repoBin(t, "mailpit"), DataDir: dataDir, KafkaPort: -1, HealthInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("helper stack ready")
	time.Sleep(5 * time.Minute) // until killed; the bound is for a parent that forgot
}

// TestStopOrphansChecksIdentity: a recorded pid is signalled only while it is the process recorded,
// never a process that has since been given the same number, and never while the stack's owner runs.
func TestStopOrphansChecksIdentity(t *testing.T) {
	t.Parallel()
	sleeper := func(t *testing.T) ProcessID {
		cmd := exec.Command("sleep", "60")
		setProcessGroup(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		go func() { _ = cmd.Wait() }() // reaped when it exits, as init would an orphan
		id, err := identify(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	gone := ProcessID{PID: 1 << 22, Start: "1", Exe: "/bin/eaapl"} // above pid_max: never running

	t.Run("StopsTheRecordedProcess", func(t *testing.T) {
		dir, id := t.TempDir(), sleeper(t)
		if err := writeState(dir, State{Owner: gone, Parts: []PartState{{Name: "mailpit", Process: id}}}); err != nil {
			t.Fatal(err)
		}
		stopped, err := StopOrphans(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("mailpit (pid %d)", id.PID); len(stopped) != 1 || stopped[0] != want {
			t.Errorf("stopped = %q, want [%q]", stopped, want)
		}
		if id.running() {
			t.Errorf("the orphan (pid %d) still runs", id.PID)
		}
		if _, err := os.Stat(filepath.Join(dir, StateFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the state file is still there (%v)", err)
		}
	})
	t.Run("LeavesAReusedPidAlone", func(t *testing.T) {
		dir, id := t.TempDir(), sleeper(t)
		recorded := id
		recorded.Start = "1" // the same pid, started at another time: another process
		if err := writeState(dir, State{Owner: gone, Parts: []PartState{{Name: "mailpit", Process: recorded}}}); err != nil {
			t.Fatal(err)
		}
		stopped, err := StopOrphans(context.Background(), dir)
		if err != nil || len(stopped) != 0 {
			t.Errorf("StopOrphans = %q, %v; want nothing stopped", stopped, err)
		}
		if !id.running() {
			t.Errorf("pid %d, not the recorded process, was stopped", id.PID)
		}
	})
	t.Run("LeavesARunningStackAlone", func(t *testing.T) {
		dir, owner, part := t.TempDir(), sleeper(t), sleeper(t)
		if err := writeState(dir, State{Owner: owner, Parts: []PartState{{Name: "mailpit", Process: part}}}); err != nil {
			t.Fatal(err)
		}
		_, err := StopOrphans(context.Background(), dir)
		var running *StackRunningError
		if !errors.As(err, &running) || running.Owner.PID != owner.PID {
			t.Errorf("StopOrphans = %v, want a *StackRunningError naming pid %d", err, owner.PID)
		}
		if !part.running() {
			t.Errorf("a running stack's part (pid %d) was stopped", part.PID)
		}
	})
}

func partPID(st State, name string) int {
	for _, p := range st.Parts {
		if p.Name == name {
			return p.Process.PID
		}
	}
	return 0
}

// TestMailpitFrozen stops Mailpit (SIGSTOP) as an overloaded or hung server: it is reported as not
// answering but not killed, and reported again once it answers.
func TestMailpitFrozen(t *testing.T) {
	t.Parallel()
	var r reports
	s := startStack(t, Options{DataDir: t.TempDir(), HealthInterval: 200 * time.Millisecond, Report: r.add, Log: testLog(t)})
	pid := s.Mailpit.PID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "mailpit has not answered 3 checks in a row", time.Minute)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	msgs := r.waitFor(t, "mailpit answers again", time.Minute)
	for _, m := range msgs {
		if strings.Contains(m, "restarting") {
			t.Errorf("a frozen Mailpit was restarted: %q", msgs)
		}
	}
	if now := s.Mailpit.PID(); now != pid {
		t.Errorf("Mailpit's pid changed from %d to %d", pid, now)
	}
}
