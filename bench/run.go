package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/bridge"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// configuration is what differs between the measured worker setups.
type configuration string

const (
	bridgeOff configuration = "bridge off"
	bridgeOn  configuration = "bridge on"
)

// sendStep is the id of the planner's for_each step that sends the emails; its tasks are sendStep_1..N.
const sendStep = "send"

// runResult is one measured run.
type runResult struct {
	seq    int
	config configuration
	n      int
	wall   time.Duration // from starting the workflow to having its result
	hist   historyStats
	mem    memPeak
	cpu    cpuUse
	// For the bridge on: per SendEmail task, from its ActivityTaskCompleted event to its task.result record
	// being read by the follow-consumer, and to the record's timestamp.
	readDelays, stampDelays []time.Duration
	recordsMissing          int // task.result records of this run never read
}

// measure runs the program once over n contacts with a fresh Mailpit and a fresh worker, checks the
// mailbox, and returns the figures.
func (s *stack) measure(ctx context.Context, o options, c configuration, n int, label string) (runResult, error) {
	r := runResult{config: c, n: n}
	ctx, cancel := context.WithTimeout(ctx, o.runTimeout)
	defer cancel()
	name := fmt.Sprintf("%s, %s, N=%d", label, c, n)

	contactsPath, addrs, err := s.contactsFile(n)
	if err != nil {
		return r, err
	}
	mailDir, err := os.MkdirTemp(s.dir, "mailpit-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(mailDir)
	mp, err := devstack.StartMailpit(ctx, devstack.MailpitOptions{Bin: o.mailpitBin, DataDir: mailDir})
	if err != nil {
		return r, fmt.Errorf("%s: start Mailpit: %w", name, err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = mp.Stop(sctx)
	}()

	id := fmt.Sprintf("bench-%s-n%d-%s", strings.ReplaceAll(string(c), " ", "-"), n, strings.ReplaceAll(label, " ", ""))
	cfg, err := config.Load()
	if err != nil {
		return r, err
	}
	cfg.TaskQueue = id
	cfg.Contacts = contactsPath
	cfg.SMTPAddr, cfg.MailboxURL = mp.SMTPAddr, mp.APIURL
	cfg.WorkerID = "bench-worker"
	cfg.Planner = "rules" // the benchmark measures running a program, not a model's planning
	cfg.MaxConcurrency = o.concurrency
	cfg.Kafka.Brokers = nil
	if c == bridgeOn {
		cfg.Kafka.Brokers = []string{s.broker.addr}
	}
	w, err := startWorker(ctx, s.temporal.Address, s.temporal.Namespace, cfg)
	if err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	workerStopped := false
	stopWorker := func() {
		if !workerStopped {
			workerStopped = true
			w.stop()
		}
	}
	defer stopWorker()

	fmt.Printf("\n%s: starting\n", name)
	cpuBefore := s.cpuNow(mp)
	mem := startMemSampler()
	st := &starter.Starter{Client: s.client, TaskQueue: cfg.TaskQueue}
	began := time.Now()
	wr, err := st.Start(ctx, id, workflows.Input{Program: o.program, UserID: cfg.UserID, MaxConcurrency: cfg.MaxConcurrency, EventsTimeout: cfg.EventsTimeout.String()})
	if err != nil {
		mem.stop()
		return r, fmt.Errorf("%s: %w", name, err)
	}
	lastPrint := time.Time{}
	res, err := st.Wait(ctx, wr, o.progress, func(status workflows.Status) {
		if time.Since(lastPrint) < o.progress/2 {
			return
		}
		lastPrint = time.Now()
		fmt.Printf("  %6.1fs  %s\n", time.Since(began).Seconds(), progressLine(status))
	})
	r.wall = time.Since(began)
	r.mem = mem.stop()
	r.cpu = s.cpuNow(mp).minus(cpuBefore)
	if err != nil {
		var failed *starter.FailedError
		if errors.As(err, &failed) {
			return r, fmt.Errorf("%s: the program failed: %s", name, failed.Message)
		}
		return r, fmt.Errorf("%s: %w", name, err)
	}
	stopWorker()
	if err := checkResult(res, n); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("  %6.1fs  done: %s\n", r.wall.Seconds(), res.Summary)

	if r.hist, err = readHistory(ctx, s.client, id); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	got, err := checkMailbox(ctx, mp.APIURL, addrs)
	if err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("  checked: Mailpit holds %d emails, exactly one to each of the %d contacts\n", got, n)

	if c == bridgeOn {
		s.resultDelays(ctx, id, n, &r)
		fmt.Printf("  task end -> task.result read: p50 %s, p99 %s over %d tasks", ms(percentile(r.readDelays, 50)), ms(percentile(r.readDelays, 99)), len(r.readDelays))
		if r.recordsMissing > 0 {
			fmt.Printf(" (%d records never read!)", r.recordsMissing)
		}
		fmt.Println()
	}
	fmt.Printf("  server: %.2fs before the first SendEmail, %.2fs sending, %.2fs after the last; SendEmail queued p50 %s p99 %s, running p50 %s p99 %s; %d retried attempts\n",
		r.hist.beforeSend.Seconds(), r.hist.sending.Seconds(), r.hist.afterSend.Seconds(),
		ms(percentile(r.hist.sendQueued, 50)), ms(percentile(r.hist.sendQueued, 99)),
		ms(percentile(r.hist.sendRunning, 50)), ms(percentile(r.hist.sendRunning, 99)), r.hist.retried)
	if c == bridgeOn {
		fmt.Printf("  PublishEvents: %d calls, queued p50 %s, running p50 %s\n", len(r.hist.publishQueued),
			ms(percentile(r.hist.publishQueued, 50)), ms(percentile(r.hist.publishRunning, 50)))
		if o.verbose {
			for i, line := range r.hist.publishTimeline {
				fmt.Printf("    PublishEvents %d: %s\n", i+1, line)
			}
		}
	}
	fmt.Printf("  wall %.2fs, %.0f emails/s, %d history events, peak heap in use %s, peak RSS %s\n",
		r.wall.Seconds(), float64(n)/r.wall.Seconds(), r.hist.events, mb(r.mem.heapInuse), mb(r.mem.rss))
	return r, nil
}

// progressLine is one status as "send 340/1000 done".
func progressLine(st workflows.Status) string {
	if st.State == workflows.StatePlanning {
		return "planning"
	}
	var parts []string
	for _, s := range st.Steps {
		if s.ID == sendStep {
			return fmt.Sprintf("sent %d/%d (running %d, failed %d)", s.Done, s.Total, s.Running, s.Failed)
		}
		parts = append(parts, s.ID+" "+s.State)
	}
	return strings.Join(parts, ", ")
}

// checkResult checks that the program completed with all n emails done.
func checkResult(res workflows.Result, n int) error {
	if res.State != workflows.StateCompleted {
		return fmt.Errorf("program state %s, want %s: %s", res.State, workflows.StateCompleted, res.Summary)
	}
	for _, s := range res.Steps {
		if s.ID != sendStep {
			continue
		}
		done := 0
		for _, it := range s.Items {
			if it.State == workflows.StateDone {
				done++
			}
		}
		if done != n {
			return fmt.Errorf("step %s: %d tasks done, want %d (%s)", sendStep, done, n, res.Summary)
		}
		return nil
	}
	return fmt.Errorf("the plan has no step %q; -program must send an email to each contact", sendStep)
}

// resultDelays waits (up to 30s) for the task.result records of the run's SendEmail tasks to be read,
// and computes each one's delay after the task's ActivityTaskCompleted event.
func (s *stack) resultDelays(ctx context.Context, workflowID string, n int, r *runResult) {
	deadline := time.Now().Add(30 * time.Second)
	for i := 1; i <= n; i++ {
		taskID := fmt.Sprintf("%s_%d", sendStep, i)
		eventID := workflowID + "/" + bridge.TopicTaskResult + "/" + taskID
		end, ok := r.hist.completed[taskID]
		if !ok {
			r.recordsMissing++
			continue
		}
		rec, ok := s.results.get(eventID)
		for !ok && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			rec, ok = s.results.get(eventID)
		}
		if !ok {
			r.recordsMissing++
			continue
		}
		r.readDelays = append(r.readDelays, rec.read.Sub(end))
		r.stampDelays = append(r.stampDelays, rec.stamped.Sub(end))
	}
}

// runningWorker is a worker in this process, as `eaapl worker` runs one.
type runningWorker struct {
	svc     *worker.Service
	client  client.Client
	cancel  context.CancelFunc
	stopped chan error
}

func startWorker(ctx context.Context, address, namespace string, cfg config.Config) (*runningWorker, error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := worker.Setup(ctx, cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("worker setup: %w", err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace, Logger: sdklog.NewStructuredLogger(svc.Logger)})
	if err != nil {
		svc.Close()
		return nil, fmt.Errorf("worker: connect to Temporal at %s: %w", address, err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	w := &runningWorker{svc: svc, client: c, cancel: cancel, stopped: make(chan error, 1)}
	started := make(chan struct{})
	go func() { w.stopped <- svc.Run(wctx, c, func() error { close(started); return nil }) }()
	select {
	case <-started:
		return w, nil
	case err := <-w.stopped:
		cancel()
		c.Close()
		svc.Close()
		return nil, fmt.Errorf("worker: %w", err)
	}
}

func (w *runningWorker) stop() {
	w.cancel()
	if err := <-w.stopped; err != nil {
		fmt.Fprintln(os.Stderr, "bench: worker:", err)
	}
	w.client.Close()
	w.svc.Close()
}
