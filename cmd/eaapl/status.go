package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

// finishedStatus is `eaapl status --json` of a program that has ended: the status query's answer, as
// for a running program, with how it ended, its result and every question it asked with its answer.
type finishedStatus struct {
	workflows.Status
	Ended  string               `json:"ended"` // completed, failed, canceled, terminated, timed_out
	Result *workflows.Result    `json:"result,omitempty"`
	Asked  []workflows.Question `json:"asked"`
	Error  string               `json:"error,omitempty"`
}

func newStatusCmd() *cobra.Command {
	var asJSON bool
	var address string
	cmd := &cobra.Command{
		Use: "status [--json] <workflow-id>",
		Short: "show a program's progress and its open questions; of a finished program, who got what and how its " +
			"questions were answered (exits 1 when it failed)",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{msg: "eaapl status needs one workflow ID"}
			}
			c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), address)
			if err != nil {
				return err
			}
			defer c.Close()
			s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}
			stdout := cmd.OutOrStdout()
			f, finished, err := s.Finished(ctx, args[0])
			if err != nil {
				return err
			}
			if finished {
				qs, qerr := s.Questions(ctx, args[0])
				if asJSON {
					st, err := s.Status(ctx, args[0]) // a finished program answers while a worker runs
					if err != nil {
						st = workflows.Status{WorkflowID: args[0], Program: f.Result.Program, State: f.Result.State, Steps: []workflows.StepStatus{}}
					}
					out := finishedStatus{Status: st, Ended: f.Status, Asked: qs}
					if f.Result.WorkflowID != "" {
						out.Result = &f.Result
					}
					if out.Asked == nil {
						out.Asked = []workflows.Question{}
					}
					if f.Err != nil {
						out.Error = f.Err.Error()
					}
					if err := writeJSON(stdout, out); err != nil {
						return err
					}
				} else {
					printFinished(cmd, args[0], f, qs, qerr)
				}
				return finishedError(args[0], f)
			}
			st, err := s.Status(ctx, args[0])
			if err != nil {
				return err
			}
			// A large step's batches report their items in heartbeats before the workflow hears of them.
			if dc, err := dataConverter(cfg); err == nil {
				if rep, err := s.Reported(ctx, args[0], dc); err == nil {
					st = starter.WithReported(st, rep)
				}
			}
			if asJSON {
				return writeJSON(stdout, st)
			}
			starter.PrintStatus(stdout, st)
			if st.State == workflows.StateRunning {
				retrying, err := s.Retrying(ctx, args[0])
				if err != nil {
					return err
				}
				starter.PrintRetrying(stdout, retrying)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	addAddressFlag(cmd, &address)
	return cmd
}

// printFinished writes what a finished program did, as `eaapl run` prints it at its end, then how its
// questions were answered.
func printFinished(cmd *cobra.Command, id string, f starter.Finished, qs []workflows.Question, qerr error) {
	stdout := cmd.OutOrStdout()
	if f.Result.WorkflowID == "" {
		fmt.Fprintf(stdout, "Workflow: %s\nState:    %s\n", id, f.Status)
	} else {
		starter.PrintEnded(stdout, f.Result, f.Status)
	}
	if qerr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "eaapl: its questions cannot be shown: %v\n", qerr)
	}
	starter.PrintAnswered(stdout, qs)
}

// finishedError is the error `eaapl status` ends with for a program that did not complete, so that its
// exit code says so.
func finishedError(id string, f starter.Finished) error {
	if f.Status == "completed" && f.Err == nil {
		return nil
	}
	var failed *starter.FailedError
	if errors.As(f.Err, &failed) {
		return fmt.Errorf("%s: %s", id, failed.Message)
	}
	if f.Err != nil && !temporal.IsCanceledError(f.Err) { // a cancel's error says only "canceled"
		return fmt.Errorf("program %s %s: %w", id, f.Status, f.Err)
	}
	return fmt.Errorf("program %s %s", id, f.Status)
}
