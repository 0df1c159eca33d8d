//go:build linux

package main

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/internal/testenv"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// These tests stop an `eaapl worker` process with SIGTERM while it is sending an email, as Kubernetes or
// `docker compose stop` do, and check EAAPL_SHUTDOWN_TIMEOUT: the running task finishes when it can
// within the timeout, and is handed back to Temporal, to run on another worker, when it cannot.

// heldSMTP passes SMTP connections through to a real server, but only once released: until then a worker's
// SendEmail task is running and waiting.
type heldSMTP struct {
	addr      string
	connected chan struct{} // closed when the first connection arrives
	release   chan struct{} // closed by the test to let the connections through
	once      sync.Once
}

func holdSMTP(t *testing.T, target string) *heldSMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &heldSMTP{addr: l.Addr().String(), connected: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.once.Do(func() { close(h.connected) })
			go func() {
				defer c.Close()
				select {
				case <-h.release:
				case <-done:
					return
				}
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { _, _ = io.Copy(s, c); s.Close() }()
				_, _ = io.Copy(c, s)
			}()
		}
	}()
	return h
}

// startWorkerProcess starts `eaapl worker` with the given identity, SMTP server and extra variables, and
// waits until it polls. Its stderr is returned.
func startWorkerProcess(t *testing.T, env []string, id, smtp string, extra ...string) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	var stderr syncBuffer
	cmd := exec.Command(eaaplBin(t), "worker")
	cmd.Env = append(append([]string(nil), env...), append([]string{"EAAPL_WORKER_ID=" + id, "EAAPL_SMTP_ADDR=" + smtp}, extra...)...)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("%s's output:\n%s", id, stderr.String())
		}
	})
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "Worker started") {
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it started (%v):\n%s", id, err, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start within a minute:\n%s", id, stderr.String())
		}
	}
	return cmd, &stderr, exited
}

func TestWorkerStoppedBySIGTERM(t *testing.T) {
	temporal := testenv.Temporal(t)
	mailpit := testenv.Mailpit(t)
	contacts := testenv.WriteFile(t, "contacts.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Dana\nEMAIL:dana@example.com\nEND:VCARD\n")

	// run starts a program that sends one email, with worker-a's SMTP held, and waits until worker-a is
	// in the middle of sending it.
	run := func(t *testing.T, shutdownTimeout string) (env []string, held *heldSMTP, cmd *exec.Cmd, exited chan error, wait func() workflows.Result) {
		t.Helper()
		queue := "shutdown-" + strings.ReplaceAll(t.Name(), "/", "-")
		env = append(cleanEnvForWorker(),
			"TEMPORAL_ADDRESS="+temporal.FrontendHostPort(),
			"EAAPL_TASK_QUEUE="+queue,
			"EAAPL_CONTACTS="+contacts,
			"EAAPL_MAILBOX_URL="+mailpit.APIURL,
		)
		held = holdSMTP(t, mailpit.SMTPAddr)
		cmd, _, exited = startWorkerProcess(t, env, "worker-a", held.addr, "EAAPL_SHUTDOWN_TIMEOUT="+shutdownTimeout)
		st := &starter.Starter{Client: temporal.Client(), TaskQueue: queue}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		t.Cleanup(cancel)
		wr, err := st.Start(ctx, "shutdown-"+strings.ReplaceAll(t.Name(), "/", "-"), workflows.Input{Program: "Send 'Are you there?' to dana@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-held.connected:
		case <-time.After(2 * time.Minute):
			t.Fatal("worker-a never connected to the SMTP server")
		}
		wait = func() workflows.Result {
			t.Helper()
			res, err := st.Wait(ctx, wr, 200*time.Millisecond, nil)
			if err != nil {
				t.Fatalf("the program did not complete: %v", err)
			}
			return res
		}
		return env, held, cmd, exited, wait
	}
	// sent returns the send task's result: which worker sent the email, at which attempt.
	sent := func(t *testing.T, res workflows.Result) *catalog.TaskResult {
		t.Helper()
		last := res.Steps[len(res.Steps)-1]
		if len(last.Items) != 1 || last.Items[0].State != "done" || last.Items[0].Task == nil {
			t.Fatalf("send step = %+v, want one done task", last)
		}
		return last.Items[0].Task
	}
	emails := func(t *testing.T) int {
		return len(testenv.Messages(t, mailpit, "to:dana@example.com"))
	}

	t.Run("TheRunningTaskFinishesWithinTheTimeout", func(t *testing.T) {
		before := emails(t)
		env, held, cmd, exited, wait := run(t, "1m")
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			t.Fatalf("worker-a exited (%v) with its task still running; it must wait for it", err)
		case <-time.After(2 * time.Second):
		}
		close(held.release)
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("worker-a: %v, want exit status 0", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("worker-a did not exit after its task finished")
		}
		// The program goes on on another worker; the email was sent by worker-a before it left.
		startWorkerProcess(t, env, "worker-b", mailpit.SMTPAddr)
		if got := sent(t, wait()); got.WorkerID != "worker-a" || got.Attempt != 1 {
			t.Errorf("the email was sent by %s at attempt %d, want worker-a at attempt 1, which finished it while stopping", got.WorkerID, got.Attempt)
		}
		if got := emails(t) - before; got != 1 {
			t.Errorf("%d emails to dana, want 1", got)
		}
	})

	t.Run("ATaskThatCannotFinishIsHandedBackAtTheTimeout", func(t *testing.T) {
		before := emails(t)
		env, _, cmd, exited, wait := run(t, "1s")
		stopped := time.Now()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("worker-a: %v, want exit status 0", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("worker-a was still running 30s after SIGTERM with a 1s shutdown timeout")
		}
		t.Logf("worker-a exited %s after SIGTERM", time.Since(stopped).Round(time.Millisecond))
		handedBack := time.Now()
		startWorkerProcess(t, env, "worker-b", mailpit.SMTPAddr)
		got := sent(t, wait())
		if got.WorkerID != "worker-b" || got.Attempt != 2 {
			t.Errorf("the email was sent by %s at attempt %d, want worker-b at attempt 2, after worker-a handed the task back", got.WorkerID, got.Attempt)
		}
		// Handed back means reported as failed at once; otherwise Temporal retries the task only after
		// SendEmail's start-to-close timeout of a minute.
		took := time.Since(handedBack)
		t.Logf("worker-b finished the program %s after it started", took.Round(time.Millisecond))
		if took >= 45*time.Second {
			t.Errorf("worker-b got the task %s after it started: worker-a did not hand it back, and Temporal waited for the task's timeout", took.Round(time.Second))
		}
		if got := emails(t) - before; got != 1 {
			t.Errorf("%d emails to dana, want 1", got)
		}
	})
}

// cleanEnvForWorker is the test's environment without EAAPL_*, TEMPORAL_* and KAFKA_* variables.
func cleanEnvForWorker() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "EAAPL_") && !strings.HasPrefix(name, "TEMPORAL_") && !strings.HasPrefix(name, "KAFKA_") {
			env = append(env, kv)
		}
	}
	return env
}
