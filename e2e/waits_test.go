package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/workflows"
)

// TestACancelDuringAWaitShowsTheWaitCanceled runs "Wait 10 minutes, then send ..." with the real CLI
// (`eaapl run`) against the dev server and a real worker, cancels it with `eaapl cancel` during the wait,
// and reads what the person sees: the run's table, `eaapl status` and `eaapl status --json` show the wait
// canceled (not failed), saying what it waited for, and the steps after it not run; no email was sent.
func TestACancelDuringAWaitShowsTheWaitCanceled(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
	bin := buildEaapl(t)
	const id = "cancel-during-wait"
	env := append(os.Environ(),
		"TEMPORAL_ADDRESS="+s.temporal.FrontendHostPort(), "TEMPORAL_NAMESPACE=default",
		"EAAPL_TASK_QUEUE="+st.TaskQueue, "EAAPL_USER_ID="+testOwner, "EAAPL_PLANNER=rules",
		"EAAPL_DATA_DIR="+t.TempDir(), "EAAPL_LOG_LEVEL=error", "KAFKA_BROKERS=")
	cli := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		return cmd
	}

	var runOut, runErr bytes.Buffer
	run := cli("run", "--id", id, "Wait 10 minutes, then send 'Good morning' to bob@example.com")
	run.Stdout, run.Stderr = &runOut, &runErr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- run.Wait() }()
	t.Cleanup(func() {
		if run.ProcessState == nil {
			_ = run.Process.Kill()
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var during workflows.Status
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if got, err := st.Status(ctx, id); err == nil && len(got.Steps) > 0 && got.Steps[0].State == workflows.StateWaiting {
			during = got
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program's wait did not begin within a minute; eaapl run wrote:\n%s%s", runOut.String(), runErr.String())
		}
	}
	if got := during.Steps[0].Command; got != "Wait" {
		t.Errorf("during the wait, its step's command is %q, want Wait", got)
	}
	waited := strings.TrimPrefix(during.Steps[0].Reason, "waiting ") // "until Wednesday 2 December 07:30:00 UTC"

	if out, err := cli("cancel", id).CombinedOutput(); err != nil {
		t.Fatalf("eaapl cancel: %v\n%s", err, out)
	}
	select {
	case err := <-ran:
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Errorf("eaapl run of a canceled program ended with %v, want a non-zero exit", err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("eaapl run did not end within a minute of the cancel:\n%s%s", runOut.String(), runErr.String())
	}
	s.recordHistory(t, id)
	t.Logf("eaapl run wrote:\n%s%s", runOut.String(), runErr.String())

	// The run's table, and `eaapl status`, show the wait canceled, what it waited for, and the rest not run.
	table := regexp.MustCompile(`(?m)^1\. wait +Wait +canceled +while waiting ` + regexp.QuoteMeta(waited) + `\n` +
		`2\. compose_2 +ComposeEmail +not run +the program was canceled before this step began\n` +
		`3\. send_2 +SendEmail +not run +the program was canceled before this step began$`)
	if !table.MatchString(runOut.String()) {
		t.Errorf("eaapl run wrote\n%s\nwant the table to match %s", runOut.String(), table)
	}
	if want := "program " + id + " was canceled before it ended"; !strings.Contains(runErr.String(), want) {
		t.Errorf("eaapl run's errors are\n%s\nwant %q", runErr.String(), want)
	}
	status, err := cli("status", id).Output()
	t.Logf("eaapl status wrote:\n%s", status)
	if err == nil {
		t.Errorf("eaapl status of a canceled program exited 0, want non-zero")
	}
	if !strings.Contains(string(status), "State:    canceled\n") || !table.Match(status) {
		t.Errorf("eaapl status wrote\n%s\nwant it canceled, with the table matching %s", status, table)
	}

	// --json: how it ended, its result and the status query's answer agree.
	out, _ := cli("status", "--json", id).Output()
	var got struct {
		workflows.Status
		Ended  string            `json:"ended"`
		Result *workflows.Result `json:"result"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("eaapl status --json: %v\n%s", err, out)
	}
	want := map[string]string{"wait": workflows.StateCanceled, "compose_2": workflows.StateNotRun, "send_2": workflows.StateNotRun}
	if got.Ended != "canceled" || got.State != workflows.StateCanceled || got.Result == nil || got.Result.State != workflows.StateCanceled {
		t.Fatalf("eaapl status --json = %s; want it ended canceled, with its result", out)
	}
	for i, s := range got.Result.Steps {
		if s.State != want[s.ID] || got.Steps[i].State != want[s.ID] {
			t.Errorf("step %s is %q in the result and %q in the status, want %q", s.ID, s.State, got.Steps[i].State, want[s.ID])
		}
	}
	if n := len(testenv.Messages(t, s.mailpit, `to:bob@example.com subject:"Good morning"`)); n != 0 {
		t.Errorf("%d 'Good morning' emails after a cancel during the wait, want none", n)
	}
}

// TestAWaitWhoseTimeHasPassedRunsAtOnceAndSaysSo runs "Send ..., then at 5pm send ..." with the wait's
// time set to five minutes before the run, as if the first send had run past 5pm: the second send goes at
// once, and the wait says that its time had passed when it began.
func TestAWaitWhoseTimeHasPassedRunsAtOnceAndSaysSo(t *testing.T) {
	s := newStack(t)
	st := s.worker(t, testenv.WriteFile(t, "contacts.vcf", threeContacts), nil)
	// Planned as if written at 8:00 today, so that "at 5pm" is ahead whenever the test runs; the wait's
	// time is then set below.
	morning := time.Date(time.Now().UTC().Year(), time.Now().UTC().Month(), time.Now().UTC().Day(), 8, 0, 0, 0, time.UTC)
	p, err := (&planner.Rules{}).Plan(context.Background(), "Send 'Before' to alice@example.com, then at 5pm send 'After' to bob@example.com", morning)
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(-5 * time.Minute).UTC().Truncate(time.Second)
	wait := ""
	for i := range p.Steps {
		if p.Steps[i].Wait != nil {
			p.Steps[i].Wait.Until, wait = until.Format(time.RFC3339), p.Steps[i].ID
		}
	}
	if wait == "" {
		t.Fatalf("the plan has no wait: %+v", p.Steps)
	}
	res, err := s.run(t, st, "late-wait", workflows.Input{Plan: p, UserID: "user_123"})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if n := len(testenv.Messages(t, s.mailpit, `to:bob@example.com subject:"After"`)); n != 1 {
		t.Errorf("%d 'After' emails to bob, want 1 (%s)", n, res.Summary)
	}
	prefix := until.Format("Monday 2 January 15:04:05 MST") + " had passed when this step began, at "
	for _, step := range res.Steps {
		if step.ID == wait && (step.State != workflows.StateDone || !strings.HasPrefix(step.Reason, prefix) || !strings.Contains(step.Reason, "the steps after it ran at once, 5 minutes")) {
			t.Errorf("the wait is %s: %q, want done: %q...", step.State, step.Reason, prefix)
		}
	}
	if !strings.Contains(res.Summary, wait+": "+prefix) {
		t.Errorf("summary = %q, want it to say the wait's time had passed", res.Summary)
	}
}
