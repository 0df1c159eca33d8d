package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

func newRunCmd() *cobra.Command {
	var (
		asJSON, confirmFirst, yes bool
		planFile, id, address     string
		pf                        plannerFlags
	)
	cmd := &cobra.Command{
		Use: `run [--json] [--yes] [--id ID] [--confirm] [--planner rules|llm] [--no-cache] "<program>"` + "\n" +
			`run [--json] [--yes] [--id ID] [--confirm] --plan plan.json`,
		Short: "run a program and wait for its result; --confirm reads the plan back in English and asks before " +
			"starting it; --yes approves in advance a step over EAAPL_APPROVAL_THRESHOLD",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			opts, err := pf.options()
			if err != nil {
				return err
			}
			in := workflows.Input{Program: strings.Join(args, " "), UserID: cfg.UserID, MaxConcurrency: cfg.MaxConcurrency, EventsTimeout: cfg.EventsTimeout.String(),
				Planner: opts.Planner, NoCache: opts.NoCache,
				QuestionTimeout: cfg.QuestionTimeout.String(), QuestionDefault: cfg.QuestionDefault, ApprovalThreshold: cfg.ApprovalThreshold, Approved: yes}
			switch {
			case planFile != "" && in.Program != "":
				return usageError{msg: "give either a program or --plan, not both"}
			case planFile != "":
				p, err := readPlan(planFile)
				if err != nil {
					return err
				}
				in.Plan = p
			case strings.TrimSpace(in.Program) == "":
				return usageError{msg: "eaapl run needs a program in quotes, e.g. eaapl run \"Send 'Hi' to bob@example.com\""}
			}
			return runProgram(ctx, cfg, cmd, in, runOptions{asJSON: asJSON, confirm: confirmFirst, id: id, address: address, planner: opts})
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&planFile, "plan", "", "run a hand-written plan from this JSON file instead of English")
	cmd.Flags().StringVar(&id, "id", "", "the workflow ID (default: a new program-... ID)")
	addAddressFlag(cmd, &address)
	pf.add(cmd)
	cmd.Flags().BoolVar(&confirmFirst, "confirm", false, "plan here, read the plan back in English and ask before starting it")
	cmd.Flags().BoolVar(&yes, "yes", false, "approve in advance a step that sends more emails than EAAPL_APPROVAL_THRESHOLD")
	_ = cmd.MarkFlagFilename("plan", "json")
	return cmd
}

// runOptions are the flags of `eaapl run` that say how to start and follow a program.
type runOptions struct {
	asJSON, confirm bool
	id, address     string
	planner         planner.Options
}

// runProgram starts a program, prints its progress and questions while it runs, then its result.
func runProgram(ctx context.Context, cfg config.Config, cmd *cobra.Command, in workflows.Input, o runOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
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
		if err := confirm(in.Plan, now, stderr); err != nil {
			return err
		}
	}

	logger := newLogger(cfg, stderr).With("component", "client")
	c, err := dial(ctx, cfg, quiet(logger), o.address)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Encrypted: encrypts(cfg)}
	id := o.id
	if id == "" {
		id = starter.NewWorkflowID(time.Now())
	}
	wr, err := s.Start(ctx, id, in)
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
	if o.asJSON {
		if encErr := writeJSON(stdout, res); encErr != nil {
			return encErr
		}
	} else {
		starter.PrintResult(stdout, res)
	}
	return err
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
