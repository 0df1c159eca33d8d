package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/eaapl/eaapl/activities"
	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/activities/email/mailpit"
	"github.com/eaapl/eaapl/activities/email/smtp"
	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
	"github.com/eaapl/eaapl/workflows"
)

// kind is what a run measures.
type kind string

const (
	kindEaaPL       kind = "EaaPL"
	kindHandWritten kind = "(a) hand-written Temporal"
	kindExpert      kind = "(a') expert hand-written Temporal"
	kindPlain       kind = "(b) plain SMTP loop"
	kindOneEmail    kind = "one-email program through `eaapl run`"
)

// sendStep is the id of the planner's for_each step that sends the emails; its tasks are sendStep_1..N.
const sendStep = "send"

// The message the baselines send: the one the Hello World program sends.
const (
	benchSubject = "Hello World!"
	benchBody    = "Hello World!"
)

// urgentAddress gets the one-email high-priority program of the priority run.
const urgentAddress = "urgent@bench.example.com"

// runResult is one measured run.
type runResult struct {
	kind    kind
	n       int
	workers int             // EaaPL: worker processes
	noKafka bool            // EaaPL: the Kafka bridge off
	fixed   bool            // EaaPL: adaptive tuning off (EAAPL_ADAPTIVE=off), the fixed batch sizes
	wall    time.Duration   // from starting the workflow (or the loop) to its end
	walls   []time.Duration // of every repeat, when this is the median of several (sorted)
	hist    historyStats    // EaaPL and (a)
	peakRSS uint64          // EaaPL: the highest VmHWM of its worker processes
	split   map[string]int
	// The priority run: how long the one-email high-priority program took, from its start to its result,
	// while the N-contact program ran.
	priorityWait time.Duration
	priorityRun  bool
	// failed says why the run did not complete or its check failed; skipped why it was not run.
	failed, skipped string
	// The one-email runs: each run's wall time through `eaapl run`, sorted.
	oneEmail []time.Duration
}

func (r runResult) label() string {
	switch {
	case r.priorityRun:
		return fmt.Sprintf("%s, N=%d, with a high-priority program", r.kind, r.n)
	case r.kind == kindOneEmail:
		return fmt.Sprintf("%s, %d runs", r.kind, r.n)
	case r.noKafka:
		return fmt.Sprintf("%s, N=%d, Kafka bridge off", r.kind, r.n)
	case r.fixed:
		return fmt.Sprintf("%s, N=%d, adaptive tuning off", r.kind, r.n)
	case r.kind == kindEaaPL && r.workers > 1:
		return fmt.Sprintf("%s, N=%d, %d workers", r.kind, r.n, r.workers)
	}
	return fmt.Sprintf("%s, N=%d", r.kind, r.n)
}

// freshMailpit starts a Mailpit with an empty mailbox for one run.
func (s *stack) freshMailpit(ctx context.Context, o options) (*devstack.Mailpit, func(), error) {
	dir, err := os.MkdirTemp(s.dir, "mailpit-")
	if err != nil {
		return nil, nil, err
	}
	mp, err := devstack.StartMailpit(ctx, devstack.MailpitOptions{Bin: o.mailpitBin, DataDir: dir})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("start Mailpit: %w", err)
	}
	return mp, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = mp.Stop(sctx)
		_ = os.RemoveAll(dir)
	}, nil
}

// input is what a measured run sends to: n contacts, in a file and as addresses, and a fresh Mailpit.
type input struct {
	contacts string
	addrs    []string
	mp       *devstack.Mailpit
	stop     func() // stops the Mailpit
}

// prepare readies a run over n contacts: every kind of run starts from the same contacts and an empty
// mailbox.
func (s *stack) prepare(ctx context.Context, o options, n int) (input, error) {
	contacts, addrs, err := s.contactsFile(n)
	if err != nil {
		return input{}, err
	}
	mp, stop, err := s.freshMailpit(ctx, o)
	if err != nil {
		return input{}, err
	}
	return input{contacts: contacts, addrs: addrs, mp: mp, stop: stop}, nil
}

// begin readies a measured run over n contacts (prepare's) under the deadline o gives n, with a workflow
// ID, and task queue, that is prefix and a number unique in the bench; done stops its Mailpit and ends
// the deadline.
func (s *stack) begin(ctx context.Context, o options, n int, prefix string) (_ context.Context, _ input, id string, done func(), _ error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout(n))
	in, err := s.prepare(ctx, o, n)
	if err != nil {
		cancel()
		return nil, input{}, "", nil, err
	}
	s.seq++
	return ctx, in, fmt.Sprintf("%s-%d", prefix, s.seq), func() { in.stop(); cancel() }, nil
}

// variant is how an EaaPL run differs from the default one: one worker, the Kafka bridge on, adaptive
// tuning on, as `eaapl dev` runs them.
type variant struct {
	workers  int  // worker processes; 1 when 0
	noKafka  bool // the Kafka bridge off
	fixed    bool // adaptive tuning off
	priority bool // also start a one-email high-priority program once the emails are going out, and time it
}

// measureEaaPL runs the Hello World program over n contacts as v says.
func (s *stack) measureEaaPL(ctx context.Context, o options, n int, v variant) (runResult, error) {
	workers, noKafka, priority := max(v.workers, 1), v.noKafka, v.priority
	r := runResult{kind: kindEaaPL, n: n, workers: workers, noKafka: noKafka, fixed: v.fixed, priorityRun: priority}
	ctx, in, id, done, err := s.begin(ctx, o, n, fmt.Sprintf("bench-eaapl-n%d-w%d", n, workers))
	if err != nil {
		return r, err
	}
	defer done()
	env := []string{
		"TEMPORAL_ADDRESS=" + s.temporal.Address,
		"TEMPORAL_NAMESPACE=" + s.temporal.Namespace,
		"EAAPL_TASK_QUEUE=" + id,
		"EAAPL_CONTACTS=" + in.contacts,
		"EAAPL_SMTP_ADDR=" + in.mp.SMTPAddr,
		"EAAPL_MAILBOX_URL=" + in.mp.APIURL,
		"KAFKA_BROKERS=" + s.broker.addr,
		"EAAPL_PLANNER=rules",         // the benchmark measures running a program, not a model's planning
		"EAAPL_APPROVAL_THRESHOLD=0",  // nobody is there to approve a step of N emails
		"EAAPL_KEY_FILE=" + s.keyFile, // payloads encrypted, as `eaapl dev` runs them
	}
	if noKafka {
		env = append(env, "KAFKA_BROKERS=") // the last value wins
	}
	if v.fixed {
		env = append(env, "EAAPL_ADAPTIVE=off")
	}
	profiling := o.profileDir != "" && n == o.profileN && workers == 1 && !noKafka && !v.fixed && !priority
	var metricsAddr string
	if profiling {
		if metricsAddr, err = freeAddr(); err != nil {
			return r, err
		}
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return r, err
		}
		env = append(env, "EAAPL_METRICS_ADDR="+metricsAddr, "EAAPL_PPROF=true")
	}
	var procs []*workerProcess
	defer func() {
		for _, w := range procs {
			w.stop()
		}
	}()
	for i := range workers {
		w, err := startWorkerProcess(ctx, s.eaaplBin, fmt.Sprintf("bench-worker-%d", i+1), env)
		if err != nil {
			return r, fmt.Errorf("%s: %w", r.label(), err)
		}
		procs = append(procs, w)
	}

	var prof *profiler
	if profiling {
		prof = startProfiler(o.profileDir, metricsAddr)
	}
	fmt.Printf("\n%s: starting\n", r.label())
	st := &starter.Starter{Client: s.client, TaskQueue: id}
	began := time.Now()
	run, err := st.Start(ctx, id, workflows.Input{Program: o.program, UserID: "user_123", MaxConcurrency: o.concurrency})
	if err != nil {
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	urgent := make(chan error, 1)
	urgentStarted := false
	lastPrint := time.Time{}
	// The benchmark answers no question: a program that asks one has met something it cannot do alone
	// (a contacts file it cannot read, a mail server that refuses), so the run fails now, saying what
	// was asked, instead of waiting for the question's timeout.
	waitCtx, stopWaiting := context.WithCancelCause(ctx)
	defer stopWaiting(nil)
	res, err := st.Wait(waitCtx, run, o.progress, func(status workflows.Status) {
		if len(status.Questions) > 0 {
			q := status.Questions[0]
			stopWaiting(fmt.Errorf("the program asked %s: %s %s", q.ID, q.Text, q.Error))
			_ = s.client.TerminateWorkflow(context.Background(), id, "", "bench: the program asked a question")
			return
		}
		if priority && !urgentStarted && sendingNow(status) {
			urgentStarted = true
			go func() {
				// Once the emails have been going out for a second: the worker is busy with the big one.
				time.Sleep(time.Second)
				urgent <- s.runUrgent(ctx, id, &r)
			}()
		}
		if time.Since(lastPrint) < o.progress/2 {
			return
		}
		lastPrint = time.Now()
		fmt.Printf("  %6.1fs  %s\n", time.Since(began).Seconds(), progressLine(status))
	})
	r.wall = time.Since(began)
	for _, w := range procs {
		r.peakRSS = max(r.peakRSS, w.peakRSS())
	}
	if prof != nil {
		if line, perr := prof.finish(); perr != nil {
			fmt.Printf("  profile: %v\n", perr)
		} else {
			fmt.Printf("  %s\n", line)
		}
	}
	if cause := context.Cause(waitCtx); err != nil && cause != nil && ctx.Err() == nil {
		err = cause
	}
	if err != nil {
		var failed *starter.FailedError
		if errors.As(err, &failed) {
			err = fmt.Errorf("the program failed: %s", failed.Message)
		}
		for _, w := range procs {
			err = fmt.Errorf("%w\n%s", err, w.logs.String())
		}
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	if err := checkResult(res, n); err != nil {
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	if priority {
		if !urgentStarted {
			return r, fmt.Errorf("%s: the program ended before its emails were seen going out, so the high-priority one did not start", r.label())
		}
		if err := <-urgent; err != nil {
			return r, fmt.Errorf("%s: high-priority program: %w", r.label(), err)
		}
		in.addrs = append(in.addrs, urgentAddress)
	}
	fmt.Printf("  %6.1fs  done: %s\n", r.wall.Seconds(), res.Summary)
	if r.hist, err = readHistory(ctx, s.client, s.dc, id); err != nil {
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	r.split = r.hist.itemsByWorker
	return r, s.checked(ctx, r, in.mp, in.addrs)
}

// runUrgent runs a one-email program whose step is "priority": "high", started with the highest
// workflow priority, on the same task queue as the running program, and records how long it took.
func (s *stack) runUrgent(ctx context.Context, taskQueue string, r *runResult) error {
	p, err := plan.Parse([]byte(`{"version": 1, "program": "Send 'Urgent' to ` + urgentAddress + `", "steps": [
		{"id": "send", "command": "SendEmail", "priority": "high",
		 "args": {"to": {"email": "` + urgentAddress + `", "name": ""}, "subject": "Urgent", "body": "Urgent"}}]}`))
	if err != nil {
		return err
	}
	began := time.Now()
	run, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        taskQueue + "-urgent",
		TaskQueue: taskQueue,
		Priority:  temporal.Priority{PriorityKey: 1},
	}, workflows.WorkflowType, workflows.Input{Plan: p, UserID: "user_123"})
	if err != nil {
		return err
	}
	var res workflows.Result
	if err := run.Get(ctx, &res); err != nil {
		return err
	}
	r.priorityWait = time.Since(began)
	fmt.Printf("  high-priority one-email program: %s in %.2fs\n", res.State, r.priorityWait.Seconds())
	return nil
}

// measureHandWritten runs baseline (a) over n contacts on a worker in this process.
func (s *stack) measureHandWritten(ctx context.Context, o options, n int) (runResult, error) {
	r := runResult{kind: kindHandWritten, n: n}
	ctx, in, id, done, err := s.begin(ctx, o, n, fmt.Sprintf("bench-handwritten-n%d", n))
	if err != nil {
		return r, err
	}
	defer done()
	stop, err := s.baselineWorker(r, id, in.mp, func(w sdkworker.Worker, deps email.Deps) {
		w.RegisterWorkflowWithOptions(handWritten, workflow.RegisterOptions{Name: handWrittenType})
		(&activities.Commands{Deps: catalog.Deps{deps}, WorkerID: "bench-handwritten"}).Register(w)
	})
	if err != nil {
		return r, err
	}
	defer stop()
	err = s.runBaseline(ctx, &r, id, in, handWrittenType,
		handWrittenInput{Contacts: in.addrs, Subject: benchSubject, Body: benchBody, Window: o.concurrency})
	return r, err
}

// measureExpert runs baseline (a') over n contacts on a worker in this process, with EaaPL's SMTP
// sender and mailbox and batches of the size EaaPL would make.
func (s *stack) measureExpert(ctx context.Context, o options, n int) (runResult, error) {
	r := runResult{kind: kindExpert, n: n}
	ctx, in, id, done, err := s.begin(ctx, o, n, fmt.Sprintf("bench-expert-n%d", n))
	if err != nil {
		return r, err
	}
	defer done()
	stop, err := s.baselineWorker(r, id, in.mp, func(w sdkworker.Worker, deps email.Deps) {
		w.RegisterWorkflowWithOptions(expertWorkflow, workflow.RegisterOptions{Name: expertType})
		w.RegisterActivityWithOptions((&expertSender{deps: deps}).SendBatch, activity.RegisterOptions{Name: expertActivity})
	})
	if err != nil {
		return r, err
	}
	defer stop()
	// The batch size EaaPL's workflow would choose: enough batches for the window, at most 100 items
	// each unless that makes more than 1,000 batches.
	size := max(min((n+o.concurrency-1)/o.concurrency, 100), (n+999)/1000, 1)
	err = s.runBaseline(ctx, &r, id, in, expertType,
		expertInput{Contacts: n, Subject: benchSubject, Body: benchBody, Window: o.concurrency, BatchSize: size})
	return r, err
}

// baselineWorker starts an SDK worker in this process on the task queue id, with the email dependencies
// an EaaPL worker has (its SMTP sender to mp, mp's mailbox); register adds the baseline's workflow and
// activities to it. stop stops it.
func (s *stack) baselineWorker(r runResult, id string, mp *devstack.Mailpit, register func(sdkworker.Worker, email.Deps)) (stop func(), _ error) {
	sender, err := smtp.New(smtp.Config{Addr: mp.SMTPAddr})
	if err != nil {
		return nil, err
	}
	w := sdkworker.New(s.client, id, sdkworker.Options{MaxConcurrentActivityExecutionSize: worker.ActivitySlots})
	register(w, email.Deps{
		Mailbox: mailpit.New(mp.APIURL, &http.Client{Timeout: 30 * time.Second}),
		Sender:  sender,
		From:    benchFrom(),
	})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("%s: start worker: %w", r.label(), err)
	}
	return w.Stop, nil
}

// runBaseline runs a baseline's workflow (type wf, input arg) with the ID id on the task queue id, timing
// it into r up to its count of emails sent, then reads its history into r and checks the mailbox.
func (s *stack) runBaseline(ctx context.Context, r *runResult, id string, in input, wf string, arg any) error {
	fmt.Printf("\n%s: starting\n", r.label())
	began := time.Now()
	run, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: id}, wf, arg)
	if err != nil {
		return fmt.Errorf("%s: %w", r.label(), err)
	}
	var sent int
	err = run.Get(ctx, &sent)
	r.wall = time.Since(began)
	if err != nil {
		return fmt.Errorf("%s: %w", r.label(), err)
	}
	fmt.Printf("  %6.1fs  done: %d sent\n", r.wall.Seconds(), sent)
	if r.hist, err = readHistory(ctx, s.client, s.dc, id); err != nil {
		return fmt.Errorf("%s: %w", r.label(), err)
	}
	return s.checked(ctx, *r, in.mp, in.addrs)
}

// measurePlain runs baseline (b) over n contacts.
func (s *stack) measurePlain(ctx context.Context, o options, n int) (runResult, error) {
	r := runResult{kind: kindPlain, n: n}
	ctx, in, _, done, err := s.begin(ctx, o, n, "bench-plain")
	if err != nil {
		return r, err
	}
	defer done()
	fmt.Printf("\n%s: starting\n", r.label())
	began := time.Now()
	err = plainSMTP(ctx, in.mp.SMTPAddr, benchFrom(), in.addrs, benchSubject, benchBody, o.concurrency)
	r.wall = time.Since(began)
	if err != nil {
		return r, fmt.Errorf("%s: %w", r.label(), err)
	}
	fmt.Printf("  %6.1fs  done\n", r.wall.Seconds())
	return r, s.checked(ctx, r, in.mp, in.addrs)
}

// checked checks the run's mailbox and prints the run's figures.
func (s *stack) checked(ctx context.Context, r runResult, mp *devstack.Mailpit, addrs []string) error {
	got, err := checkMailbox(ctx, mp.APIURL, addrs)
	if err != nil {
		return fmt.Errorf("%s: %w", r.label(), err)
	}
	fmt.Printf("  checked: Mailpit holds %d emails, exactly one to each of the %d addresses\n", got, len(addrs))
	fmt.Printf("  wall %.2fs, %.0f emails/s", r.wall.Seconds(), float64(r.n)/r.wall.Seconds())
	if r.hist.events > 0 {
		fmt.Printf(", %d history events (%.1f MB), %d activities", r.hist.events, float64(r.hist.sizeBytes)/(1<<20), r.hist.totalActivities())
	}
	if r.hist.sending > 0 {
		fmt.Printf(", server phases %.2fs before the first email activity, %.2fs sending, %.2fs after", r.hist.beforeSend.Seconds(), r.hist.sending.Seconds(), r.hist.afterSend.Seconds())
	}
	if r.peakRSS > 0 {
		fmt.Printf(", worker peak RSS %s", mb(r.peakRSS))
	}
	if len(r.split) > 1 {
		fmt.Printf(", split %s", splitText(r.split))
	}
	fmt.Println()
	return nil
}

func benchFrom() mail.Address {
	cfg, err := config.Load()
	if err != nil {
		return mail.Address{Name: "EaaPL Demo", Address: "me@example.com"}
	}
	return mail.Address{Name: cfg.UserName, Address: cfg.UserEmail}
}

// sendingNow says whether the status shows emails on their way.
func sendingNow(st workflows.Status) bool {
	for _, s := range st.Steps {
		if s.ID == sendStep {
			return s.Running > 0
		}
	}
	return false
}

// progressLine is one status as "sent 340/1000 (running 100, failed 0)".
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
		// A step lists the items that were not done first (a sharded step lists only those): when every
		// listed item is done, so are those it leaves out.
		if done == len(s.Items) {
			done += s.NotListed
		}
		if done != n {
			return fmt.Errorf("step %s: %d tasks done, want %d (%s)", sendStep, done, n, res.Summary)
		}
		return nil
	}
	return fmt.Errorf("the plan has no step %q; -program must send an email to each contact", sendStep)
}
