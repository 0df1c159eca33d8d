//go:build unix

package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/internal/testenv/tools"
)

// stopBudget bounds every Stop in these tests: a clean shutdown of either part takes well under it.
const stopBudget = 10 * time.Second

func TestMailpit(t *testing.T) {
	t.Parallel()
	bin := repoBin(t, "mailpit")
	dataDir := t.TempDir()
	ctx := context.Background()
	const from, to = "EaaPL Demo <me@example.com>", "ann@example.com"
	weekStart := time.Now().Add(-7 * 24 * time.Hour)

	begin := time.Now()
	m, err := StartMailpit(ctx, MailpitOptions{Bin: bin, DataDir: dataDir, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mailpit ready in %s (SMTP %s, API %s)", time.Since(begin), m.SMTPAddr, m.APIURL)
	smtpPort, httpPort := port(t, m.SMTPAddr), port(t, m.APIURL)

	t.Run("SeedsOnceThenFindsTheMessage", func(t *testing.T) {
		if sent, err := SeedHistory(ctx, m, from, to, weekStart); err != nil || !sent {
			t.Fatalf("first SeedHistory = %v, %v; want true, nil", sent, err)
		}
		if sent, err := SeedHistory(ctx, m, from, to, weekStart); err != nil || sent {
			t.Fatalf("second SeedHistory = %v, %v; want false, nil", sent, err)
		}
		msgs, err := searchMailpit(ctx, m.APIURL, "to:ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(msgs), 1; got != want {
			t.Fatalf("Mailpit lists %d messages to ann@example.com, want %d", got, want)
		}
	})

	t.Run("MatchesAddressesAndTimeExactly", func(t *testing.T) {
		for _, c := range []struct {
			name, from, to string
			since          time.Time
			want           bool
		}{
			{"SameContactThisWeek", "me@example.com", "ann@example.com", weekStart, true},
			{"AddressesIgnoreCase", "Me@Example.com", "ANN@example.com", weekStart, true},
			{"SinceLaterThanTheMessage", "me@example.com", "ann@example.com", time.Now().Add(time.Minute), false},
			{"LongerAddressContainingTheContact", "me@example.com", "joann@example.com", weekStart, false},
			{"ContactWithinALongerAddress", "me@example.com", "ann@example.co", weekStart, false},
			{"OtherSender", "you@example.com", "ann@example.com", weekStart, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := hasMessage(ctx, m.APIURL, c.from, c.to, c.since)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Fatalf("hasMessage(%s -> %s since %s) = %v, want %v", c.from, c.to, c.since.Format(time.RFC3339), got, c.want)
				}
			})
		}
	})

	t.Run("RejectsSinceInTheFuture", func(t *testing.T) {
		if sent, err := SeedHistory(ctx, m, from, "bob@example.com", time.Now().Add(time.Hour)); err == nil || sent {
			t.Fatalf("SeedHistory with since in an hour = %v, %v; want false and an error", sent, err)
		}
	})

	stopPromptly(t, m.Process, smtpPort, httpPort)

	t.Run("KeepsMessagesAcrossRestart", func(t *testing.T) {
		begin := time.Now()
		m, err := StartMailpit(ctx, MailpitOptions{Bin: bin, DataDir: dataDir, SMTPPort: smtpPort, HTTPPort: httpPort, Log: testLog(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("mailpit restarted in %s", time.Since(begin))
		defer stopPromptly(t, m.Process, smtpPort, httpPort)
		if sent, err := SeedHistory(ctx, m, from, to, weekStart); err != nil || sent {
			t.Fatalf("SeedHistory after restart = %v, %v; want false, nil", sent, err)
		}
		msgs, err := searchMailpit(ctx, m.APIURL, "subject:\""+SeedSubject+"\"")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(msgs), 1; got != want {
			t.Fatalf("Mailpit lists %d seed messages after restart, want %d", got, want)
		}
	})
}

func TestTemporal(t *testing.T) {
	t.Parallel()
	bin := repoBin(t, "temporal")
	dataDir := t.TempDir()
	ctx := context.Background()
	const namespace, workflowID = "eaapl-devstack-test", "devstack-test-survives-restart"

	begin := time.Now()
	tp, err := StartTemporal(ctx, TemporalOptions{Bin: bin, DataDir: dataDir, Namespace: namespace, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("temporal ready in %s, cold (new SQLite file) (gRPC %s, UI %s)", time.Since(begin), tp.Address, tp.UIURL)
	grpcPort, uiPort := port(t, tp.Address), port(t, tp.UIURL)

	t.Run("AnswersTheSDK", func(t *testing.T) {
		c := dial(t, tp.Address, namespace)
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			t.Fatal(err)
		}
		// No worker runs: the execution only has to be recorded, to be found after the restart.
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: "devstack-test"}, "NoSuchWorkflow")
		if err != nil {
			t.Fatal(err)
		}
	})

	stopPromptly(t, tp.Process, grpcPort, uiPort)

	t.Run("KeepsNamespaceAndWorkflowsAcrossRestart", func(t *testing.T) {
		begin := time.Now()
		tp, err := StartTemporal(ctx, TemporalOptions{Bin: bin, DataDir: dataDir, Port: grpcPort, UIPort: uiPort, Namespace: namespace, Log: testLog(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("temporal restarted in %s, warm", time.Since(begin))
		defer stopPromptly(t, tp.Process, grpcPort, uiPort)
		c := dial(t, tp.Address, namespace)
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			t.Fatal(err)
		}
		desc, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
		if err != nil {
			t.Fatalf("workflow started before the restart: %v", err)
		}
		if got, want := desc.GetWorkflowExecutionInfo().GetStatus(), enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING; got != want {
			t.Fatalf("workflow status after restart = %v, want %v", got, want)
		}
		ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ns.GetNamespaceInfo().GetName(), namespace; got != want {
			t.Fatalf("namespace = %q, want %q", got, want)
		}
	})
}

func TestStart(t *testing.T) {
	t.Parallel()
	temporalBin, mailpitBin := repoBin(t, "temporal"), repoBin(t, "mailpit")
	ctx := context.Background()

	t.Run("StopsMailpitWhenTemporalPortIsTaken", func(t *testing.T) {
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		takenPort := taken.Addr().(*net.TCPAddr).Port
		smtpPort, mailpitPort := freePort(t), freePort(t)

		s, err := Start(ctx, Options{
			TemporalBin: temporalBin, MailpitBin: mailpitBin, DataDir: t.TempDir(),
			TemporalPort: takenPort, SMTPPort: smtpPort, MailpitPort: mailpitPort,
			Log: testLog(t),
		})
		if err == nil {
			s.Stop(ctx)
			t.Fatal("Start succeeded with the Temporal port taken")
		}
		var inUse *PortInUseError
		if !errors.As(err, &inUse) || inUse.Part != "Temporal gRPC" || inUse.Port != takenPort {
			t.Fatalf("Start error = %v, want a PortInUseError for Temporal gRPC port %d", err, takenPort)
		}
		t.Logf("error: %v", err)
		assertPortsFree(t, smtpPort, mailpitPort)
	})

	t.Run("StartsAndStopsBoth", func(t *testing.T) {
		dataDir := t.TempDir()
		begin := time.Now()
		s, err := Start(ctx, Options{TemporalBin: temporalBin, MailpitBin: mailpitBin, DataDir: dataDir, Log: testLog(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("stack ready in %s", time.Since(begin))
		ports := []int{port(t, s.Temporal.Address), port(t, s.Temporal.UIURL), port(t, s.Mailpit.SMTPAddr), port(t, s.Mailpit.APIURL)}
		for _, u := range []string{s.Temporal.UIURL, s.Mailpit.APIURL + "/api/v1/info"} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %s", u, resp.Status)
			}
		}
		for _, f := range []string{"temporal/temporal.db", "mailpit/mailpit.db"} {
			if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
				t.Errorf("data file: %v", err)
			}
		}

		stopCtx, cancel := context.WithTimeout(ctx, stopBudget)
		defer cancel()
		begin = time.Now()
		if err := s.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		t.Logf("stack stopped in %s", time.Since(begin))
		assertPortsFree(t, ports...)
	})
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("MissingBinarySaysRunMakeTools", func(t *testing.T) {
		_, err := StartTemporal(ctx, TemporalOptions{Bin: filepath.Join(t.TempDir(), "bin", "temporal")})
		var missing *MissingBinaryError
		if !errors.As(err, &missing) {
			t.Fatalf("StartTemporal error = %v, want a MissingBinaryError", err)
		}
		if !strings.Contains(err.Error(), "run `make tools`") {
			t.Fatalf("error %q does not tell the user to run `make tools`", err)
		}
	})

	t.Run("ChildExitingEarlyQuotesItsOutput", func(t *testing.T) {
		bin := script(t, "echo 'mailpit: cannot open database'\nexit 3\n")
		_, err := StartMailpit(ctx, MailpitOptions{Bin: bin})
		if err == nil {
			t.Fatal("StartMailpit succeeded with a binary that exits")
		}
		for _, want := range []string{"mailpit exited before it was ready", "exit status 3", "cannot open database"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})

	t.Run("NotReadyInTimeStopsTheChild", func(t *testing.T) {
		bin := script(t, "echo starting\nexec sleep 60\n")
		begin := time.Now()
		_, err := StartMailpit(ctx, MailpitOptions{Bin: bin, ReadyTimeout: 500 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "was not ready within 500ms") || !strings.Contains(err.Error(), "starting") {
			t.Fatalf("StartMailpit error = %v, want a readiness timeout quoting the output", err)
		}
		if took := time.Since(begin); took > 5*time.Second {
			t.Fatalf("StartMailpit took %s to give up", took)
		}
	})
}

func TestProcessStop(t *testing.T) {
	t.Parallel()

	t.Run("KillsTheGroupWhenTheChildIgnoresTheSignal", func(t *testing.T) {
		// The child ignores SIGTERM and has a child of its own that holds the output pipe.
		bin := script(t, "trap '' TERM\nsleep 60 &\necho $!\nwait\n")
		p, err := startProcess("stubborn", bin, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		grandchild := waitForOutputLine(t, p)

		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		begin := time.Now()
		if err := p.Stop(ctx); err == nil {
			t.Fatal("Stop returned nil after having to kill")
		}
		if took := time.Since(begin); took > 3*time.Second {
			t.Fatalf("Stop took %s", took)
		}
		select {
		case <-p.Done():
		default:
			t.Fatal("Stop returned before the child exited")
		}
		pid, err := strconv.Atoi(grandchild)
		if err != nil {
			t.Fatalf("grandchild pid %q: %v", grandchild, err)
		}
		waitGone(t, pid)
	})

	t.Run("StopAfterExitReturnsNil", func(t *testing.T) {
		p, err := startProcess("quick", script(t, "exit 0\n"), nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := p.Stop(context.Background()); err != nil {
			t.Fatalf("Stop after exit = %v, want nil", err)
		}
	})
}

// repoBin is the path of bin/name in the module root, which `make tools` fills.
func repoBin(tb testing.TB, name string) string {
	tb.Helper()
	return tools.Path(tb, name)
}

// testLog sends the children's output to the test log, shown with -v or on failure.
func testLog(tb testing.TB) *tbWriter { return &tbWriter{tb: tb} }

type tbWriter struct{ tb testing.TB }

func (w *tbWriter) Write(b []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func dial(tb testing.TB, addr, namespace string) client.Client {
	tb.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: namespace, Logger: quietLogger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// stopPromptly stops p within stopBudget and checks that its ports are free afterwards.
func stopPromptly(tb testing.TB, p *Process, ports ...int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stopBudget)
	defer cancel()
	begin := time.Now()
	if err := p.Stop(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s stopped in %s", p.Name(), time.Since(begin))
	assertPortsFree(tb, ports...)
}

func assertPortsFree(tb testing.TB, ports ...int) {
	tb.Helper()
	for _, p := range ports {
		l, err := net.Listen("tcp", loopback(p))
		if err != nil {
			tb.Errorf("port %d is still taken: %v", p, err)
			continue
		}
		l.Close()
	}
}

func port(tb testing.TB, addrOrURL string) int {
	tb.Helper()
	_, p, err := net.SplitHostPort(strings.TrimPrefix(addrOrURL, "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := net.LookupPort("tcp", p)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func freePort(tb testing.TB) int {
	tb.Helper()
	p, err := FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// script writes a shell script standing in for a part's binary.
func script(tb testing.TB, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "fake")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		tb.Fatal(err)
	}
	return path
}

func waitForOutputLine(tb testing.TB, p *Process) string {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if lines := p.out.tail(); len(lines) > 0 {
			return lines[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatal("no output from the child")
	return ""
}

// waitGone waits until pid no longer runs: it does not exist, or it is a zombie waiting for a parent
// (in a container, PID 1 may never reap it).
func waitGone(tb testing.TB, pid int) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] == "Z" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("process %d of the child's group still runs after Stop", pid)
}

// Two parts of one stack given the same port fail to start (CI saw Mailpit's SMTP and web on one port):
// FreePort never hands a port out twice.
func TestFreePortNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		p := freePort(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}
