package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

func newRunCmd() *cobra.Command {
	var (
		asJSON, confirmFirst, yes, dryRun, sameSettings, allowReuse bool
		planFile, id, address                                       string
		pf                                                          plannerFlags
	)
	cmd := &cobra.Command{
		Use: `run [--json] [--yes] [--dry-run] [--id ID] [--confirm] [--planner rules|llm] [--no-cache] "<program>"` + "\n" +
			`run [--json] [--yes] [--dry-run] [--id ID] [--confirm] --plan plan.json`,
		Short: "run a program and wait for its result; --confirm reads the plan back in English and asks before " +
			"starting it; --yes approves in advance, as EAAPL_USER_ID, a step over the worker's EAAPL_APPROVAL_THRESHOLD",
		Long:              formsHelp(), // the English a program may use, as eaapl plan --help lists it
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			opts, err := pf.options()
			if err != nil {
				return err
			}
			in := workflows.Input{Program: strings.Join(args, " "), UserID: cfg.UserID, MaxConcurrency: cfg.MaxConcurrency, EventsTimeout: cfg.EventsTimeout.String(),
				Planner: opts.Planner, NoCache: opts.NoCache,
				QuestionTimeout: cfg.QuestionTimeout.String(), QuestionDefault: cfg.QuestionDefault, Approved: yes, DryRun: dryRun,
				TimeZone: programZone(cfg)}
			switch {
			case planFile != "" && in.Program != "":
				return usageError{msg: "give either a program or --plan, not both"}
			case planFile != "":
				p, err := readPlan(planFile)
				if err != nil {
					return err
				}
				in.Plan = p
			case len(args) == 0:
				return usageError{msg: "eaapl run needs a program in quotes, e.g. eaapl run \"Send 'Hi' to bob@example.com\""}
			case strings.TrimSpace(in.Program) == "":
				return usageError{msg: emptyProgram("run")}
			}
			return runProgram(ctx, cfg, cmd, in, runOptions{asJSON: asJSON, confirm: confirmFirst, sameSettings: sameSettings, id: id, address: address, planner: opts, allowReuse: allowReuse})
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&planFile, "plan", "", "run a hand-written plan from this JSON file instead of English")
	cmd.Flags().StringVar(&id, "id", "", "the workflow ID (default: a new program-... ID); one that a program has used is refused")
	cmd.Flags().BoolVar(&allowReuse, "allow-reuse", false, "run with the --id of a program that has ended; no email the earlier run sent is sent again")
	addAddressFlag(cmd, &address)
	pf.add(cmd)
	cmd.Flags().BoolVar(&confirmFirst, "confirm", false, "plan here, read the plan back in English and ask before starting it")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "run the steps that only read, and show what the steps that write (send, write a file) would do without doing it")
	cmd.Flags().BoolVar(&sameSettings, "same-settings", false, "refuse to start when the running dev stack's worker has other contacts, sender, time zone or task queue than this shell (make run uses it)")
	cmd.Flags().BoolVar(&yes, "yes", false, "approve in advance, as EAAPL_USER_ID, a step that sends more emails than the worker's EAAPL_APPROVAL_THRESHOLD")
	_ = cmd.MarkFlagFilename("plan", "json")
	return cmd
}

// runOptions are the flags of `eaapl run` that say how to start and follow a program.
type runOptions struct {
	asJSON, confirm bool
	// sameSettings refuses a start when the running worker's settings differ from these: `make run`'s
	// Hello World must not email an address book a stack was started with earlier.
	sameSettings bool
	allowReuse   bool // start with the ID of an ended program (starter.Starter.AllowReuse)
	id, address  string
	planner      planner.Options
}

// runProgram starts a program, prints its progress and questions while it runs, then its result.
func runProgram(ctx context.Context, cfg config.Config, cmd *cobra.Command, in workflows.Input, o runOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if o.sameSettings {
		if err := refuseOtherSettings(cfg); err != nil {
			return err
		}
	}
	if in.Plan == nil && !o.confirm && plannedByRules(cfg, o.planner) {
		// The rule-based planner plans here as the worker would: a program it cannot plan is refused
		// now, instead of leaving a failed workflow behind.
		p, _, _, err := planHere(ctx, cfg, in.Program, o.planner)
		if err != nil {
			return fmt.Errorf("not started: %w", err)
		}
		if p.Schedule != nil {
			// "Every Monday at 9am, ..." runs nothing now: it creates a Temporal Schedule.
			return createSchedule(ctx, cfg, cmd, p.Schedule, in, o)
		}
	}
	if in.Plan == nil && !o.confirm && !plannedByRules(cfg, o.planner) && cfg.ModelConfigured() {
		// The model plans here too, so that a schedule it plans is created like the rule-based one's
		// (a worker cannot create one) and the plan that runs is the one reported. A model that is busy
		// (429, 5xx, a timeout) leaves the planning to the worker, whose planning task retries it.
		p, rep, _, err := planHere(ctx, cfg, in.Program, o.planner)
		var busy *planner.ModelError
		switch {
		case errors.As(err, &busy) && busy.Temporary():
			fmt.Fprintf(stderr, "The model did not plan the program here (%v); the worker plans it, retrying. A schedule planned there is refused: run it again later to create one.\n", err)
		case err != nil:
			return fmt.Errorf("not started: %w", err)
		case p.Schedule != nil:
			fmt.Fprintln(stderr, describeReport(rep))
			return createSchedule(ctx, cfg, cmd, p.Schedule, in, o)
		default:
			fmt.Fprintln(stderr, describeReport(rep))
			in.Plan = p
		}
	}
	if o.confirm {
		// The plan that runs is the one read back: planned here, then started as a plan, so that
		// nothing (a model's second answer, a later time) changes it after the yes.
		now := time.Now()
		if in.Plan == nil {
			p, rep, at, err := planHere(ctx, cfg, in.Program, o.planner)
			if err != nil {
				return err
			}
			fmt.Fprintln(stderr, describeReport(rep))
			in.Plan, now = p, at
		}
		if err := confirm(cfg, in.Plan, now, stderr); err != nil {
			return err
		}
	}
	if in.Plan != nil && in.Plan.Schedule != nil {
		return createSchedule(ctx, cfg, cmd, in.Plan.Schedule, in, o)
	}

	logger := newLogger(cfg, stderr).With("component", "client")
	c, err := dial(ctx, cfg, quiet(logger), o.address)
	if err != nil {
		return err
	}
	defer c.Close()
	p := &progress{w: stderr}
	warn := func(msg string) { // also called while the progress prints, from the worker check
		p.mu.Lock()
		defer p.mu.Unlock()
		fmt.Fprintln(stderr, "Warning:", msg)
	}
	s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Encrypted: encrypts(cfg), Warn: warn, Identity: cfg.UserID, AllowReuse: o.allowReuse}
	warnSettings(cfg, warn)
	id := o.id
	if id == "" {
		id = starter.NewWorkflowID(time.Now())
	}
	wr, err := s.Start(ctx, id, in)
	if err != nil {
		return err
	}
	dry := ""
	if in.DryRun {
		dry = " as a dry run: the steps that read run, the steps that write only say what they would do"
	}
	fmt.Fprintf(stderr, "Started %s%s\n  Web UI: %s\n", wr.GetID(), dry, webUIURL(cfg, wr.GetID()))
	stopWorkerCheck := warnNoWorker(ctx, s, warn)
	defer stopWorkerCheck()
	stopReports := p.followReports(ctx, s, cfg, wr.GetID())
	shown := map[string]bool{} // questions already printed
	res, err := s.Wait(ctx, wr, 300*time.Millisecond, func(st workflows.Status) {
		p.status(st)
		for _, q := range st.Questions {
			if !shown[q.ID] {
				shown[q.ID] = true
				starter.PrintQuestion(stderr, st.WorkflowID, q)
			}
		}
	})
	stopReports()
	var failed *starter.FailedError
	var canceled *starter.CanceledError
	switch {
	case errors.As(err, &failed) && failed.Result.WorkflowID != "":
		res = failed.Result
	case errors.As(err, &canceled): // eaapl cancel, or the Web UI's Cancel: what it did, then the error
		res = canceled.Result
	case err != nil && ctx.Err() != nil: // Ctrl-C stops the waiting, not the program
		return fmt.Errorf("stopped waiting; the program goes on: eaapl status %s", wr.GetID())
	case temporal.IsCanceledError(err): // eaapl cancel, or the Web UI's Cancel
		return fmt.Errorf("program %s was canceled before it ended", wr.GetID())
	case err != nil:
		return err
	}
	if o.asJSON {
		if encErr := writeJSON(stdout, res); encErr != nil {
			return encErr
		}
	} else if in.DryRun {
		starter.PrintDryRun(stdout, res)
	} else {
		starter.PrintResult(stdout, res)
	}
	return err
}

// workerSettingsEnv are the settings the dev stack's worker reads that a person may set differently here.
var workerSettingsEnv = []string{"EAAPL_CONTACTS", "EAAPL_USER_NAME", "EAAPL_USER_EMAIL", "EAAPL_TASK_QUEUE"}

// refuseOtherSettings refuses to start a program when the running dev stack's worker has other settings than
// this process: each difference, and what to do.
func refuseOtherSettings(cfg config.Config) error {
	var diffs []string
	warnSettings(cfg, func(msg string) { diffs = append(diffs, "  - "+msg) })
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("not started: the running dev stack's worker has other settings than this shell, and --same-settings "+
		"(make run) runs only on this shell's:\n%s\nStop the stack (`make stop`) and run again, or give the stack's settings here "+
		"(e.g. `EAAPL_CONTACTS=<its file> make run`)", strings.Join(diffs, "\n"))
}

// warnSettings warns of each setting given here that the running dev stack's worker has otherwise: the
// worker, not this CLI, reads the contacts and sends the emails, so a setting given here alone would be
// silently ignored.
func warnSettings(cfg config.Config, warn func(string)) {
	given := func(env string) bool {
		_, set := os.LookupEnv(env)
		return set
	}
	diffs, err := starter.CompareSettings(cfg, given)
	if err != nil {
		warn("could not compare these settings with the dev stack's worker's: " + err.Error())
		return
	}
	for _, d := range diffs {
		warn(d.String())
	}
}

// warnNoWorker warns, while the program waits, when no worker polls its task queue within a few seconds
// (a typo in EAAPL_TASK_QUEUE, no worker running); the program keeps waiting for one. stop ends the check.
func warnNoWorker(ctx context.Context, s *starter.Starter, warn func(string)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var noWorker *starter.NoWorkerError
		if err := s.WaitForWorker(ctx, 0); errors.As(err, &noWorker) {
			warn(err.Error())
		}
	}()
	return func() { cancel(); <-done }
}

// progress prints a running program's progress: its status, with what its running batches have
// reported in their heartbeats, so that a large step counts what it has sent before its batches end.
type progress struct {
	w    io.Writer
	mu   sync.Mutex
	raw  workflows.Status // the last status the workflow gave
	rep  map[string]starter.Reported
	last workflows.Status // the last one printed
}

// status prints the steps that changed, given a new status from the workflow. Heartbeats read before it
// are dropped: a batch that has ended since is in the status now, and counting its heartbeat too would
// count its items twice. (Heartbeats read after a status can only miss a batch that ended in between.)
func (p *progress) status(st workflows.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.raw, p.rep = st, nil
	p.print()
}

// print prints the steps that changed. An item done stays done: a step's count never goes down on the
// screen when a status and the heartbeats read beside it disagree for a moment.
func (p *progress) print() {
	cur := starter.WithReported(p.raw, p.rep)
	shown := map[string]int{}
	for _, s := range p.last.Steps {
		shown[s.ID] = s.Done
	}
	for i, s := range cur.Steps {
		if d := shown[s.ID] - s.Done; d > 0 && s.State == workflows.StateRunning {
			s.Done += d
			s.Running = max(s.Running-d, 0)
			cur.Steps[i] = s
		}
	}
	starter.PrintProgress(p.w, p.last, cur)
	p.last = cur
}

// followReports reads the running batches' heartbeats every second until the returned function is called.
func (p *progress) followReports(ctx context.Context, s *starter.Starter, cfg config.Config, id string) (stop func()) {
	dc, err := dataConverter(cfg)
	if err != nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			rep, err := s.Reported(ctx, id, dc)
			if err != nil {
				continue // the status query still shows progress; the next tick tries again
			}
			p.mu.Lock()
			if p.raw.WorkflowID != "" {
				p.rep = rep
				p.print()
			}
			p.mu.Unlock()
		}
	}()
	return func() { cancel(); <-done }
}

// plannedByRules reports whether a program started with these options is planned by the rule-based
// planner, as the worker chooses (planner.Agent): asked for, the default, or auto without a model. The
// CLI reads the same settings as a worker started from the same environment (eaapl dev).
func plannedByRules(cfg config.Config, opts planner.Options) bool {
	kind := opts.Planner
	if kind == "" || kind == planner.KindAuto {
		kind = cfg.Planner
	}
	switch kind {
	case planner.KindRules:
		return true
	case "", planner.KindAuto:
		return !cfg.ModelConfigured()
	}
	return false
}

func readPlan(path string) (*plan.Plan, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the plan file %s does not exist", path) // not "read plan: open ...: no such file or directory"
	}
	if err != nil {
		return nil, fmt.Errorf("read the plan file: %w", err)
	}
	p, err := plan.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := plan.Validate(p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func webUIURL(cfg config.Config, id string) string {
	ns := os.Getenv("TEMPORAL_NAMESPACE")
	if ns == "" {
		ns = "default"
	}
	return fmt.Sprintf("http://127.0.0.1:%d/namespaces/%s/workflows/%s", cfg.DevUIPort, ns, id)
}
