package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

func runCommand(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	planFile := fs.String("plan", "", "run a hand-written plan from this JSON file instead of English")
	id := fs.String("id", "", "the workflow ID (default: a new program-... ID)")
	address := fs.String("address", "", addressUsage)
	pf := addPlannerFlags(fs)
	confirmFirst := fs.Bool("confirm", false, "plan here, read the plan back in English and ask before starting it")
	yes := fs.Bool("yes", false, "approve in advance a step that sends more emails than EAAPL_APPROVAL_THRESHOLD")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts, err := pf.options()
	if err != nil {
		return err
	}
	in := workflows.Input{Program: strings.Join(fs.Args(), " "), UserID: cfg.UserID, MaxConcurrency: cfg.MaxConcurrency, EventsTimeout: cfg.EventsTimeout.String(),
		Planner: opts.Planner, NoCache: opts.NoCache,
		QuestionTimeout: cfg.QuestionTimeout.String(), QuestionDefault: cfg.QuestionDefault, ApprovalThreshold: cfg.ApprovalThreshold, Approved: *yes}
	switch {
	case *planFile != "" && in.Program != "":
		return usageError{"give either a program or --plan, not both"}
	case *planFile != "":
		p, err := readPlan(*planFile)
		if err != nil {
			return err
		}
		in.Plan = p
	case strings.TrimSpace(in.Program) == "":
		return usageError{"eaapl run needs a program in quotes, e.g. eaapl run \"Send 'Hi' to bob@example.com\""}
	}
	if *confirmFirst {
		// The plan that runs is the one read back: planned here, then started as a plan, so that
		// nothing (a model's second answer, a later time) changes it after the yes.
		now := time.Now()
		if in.Plan == nil {
			p, rep, at, err := planHere(ctx, cfg, in.Program, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(stderr, describeReport(rep))
			in.Plan, now = p, at
		}
		if err := confirm(in.Plan, now, stderr); err != nil {
			return err
		}
	}

	logger := newLogger(cfg, stderr).With("component", "client")
	c, err := dial(ctx, cfg, quiet(logger), *address)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}
	if *id == "" {
		*id = starter.NewWorkflowID(time.Now())
	}
	wr, err := s.Start(ctx, *id, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Started %s\n  Web UI: %s\n", wr.GetID(), webUIURL(cfg, wr.GetID()))
	var last workflows.Status
	shown := map[string]bool{} // questions already printed
	res, err := s.Wait(ctx, wr, 300*time.Millisecond, func(st workflows.Status) {
		starter.PrintProgress(stderr, last, st)
		last = st
		for _, q := range st.Questions {
			if !shown[q.ID] {
				shown[q.ID] = true
				starter.PrintQuestion(stderr, st.WorkflowID, q)
			}
		}
	})
	var failed *starter.FailedError
	switch {
	case errors.As(err, &failed) && failed.Result.WorkflowID != "":
		res = failed.Result
	case err != nil && ctx.Err() != nil: // Ctrl-C stops the waiting, not the program
		return fmt.Errorf("stopped waiting; the program goes on: eaapl status %s", wr.GetID())
	case err != nil:
		return err
	}
	if *asJSON {
		if encErr := writeJSON(stdout, res); encErr != nil {
			return encErr
		}
	} else {
		starter.PrintResult(stdout, res)
	}
	return err
}

// quiet keeps the SDK's own logging to warnings: a CLI prints its own progress.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelFloor{l.Handler(), slog.LevelWarn})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func readPlan(path string) (*plan.Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
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

func planCommand(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", stderr)
	asJSON := fs.Bool("json", false, "print the plan as JSON only")
	pf := addPlannerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts, err := pf.options()
	if err != nil {
		return err
	}
	program := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(program) == "" {
		return usageError{"eaapl plan needs a program in quotes"}
	}
	p, rep, now, err := planHere(ctx, cfg, program, opts)
	if err != nil {
		return err
	}
	if !*asJSON {
		starter.PrintReadBack(stdout, p, now)
		fmt.Fprintln(stdout)
		fmt.Fprintln(stderr, describeReport(rep))
	}
	return writeJSON(stdout, p)
}

// writeJSON prints v as indented JSON for people to read and tools to parse. It leaves <, > and &
// as they are (encoding/json escapes them for HTML by default), so a Message-ID reads <eaapl.…@…>
// rather than \u003ceaapl.…@…\u003e.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func statusCommand(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	address := fs.String("address", "", addressUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"eaapl status needs one workflow ID"}
	}
	c, err := dial(ctx, cfg, quiet(newLogger(cfg, stderr)), *address)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}
	st, err := s.Status(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, st)
	}
	starter.PrintStatus(stdout, st)
	if st.State == workflows.StateRunning {
		retrying, err := s.Retrying(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		starter.PrintRetrying(stdout, retrying)
	}
	return nil
}
