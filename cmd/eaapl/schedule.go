package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

func newScheduleCmd() *cobra.Command {
	var (
		address string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use: "schedule list [--json]\n" +
			"schedule pause|unpause|trigger|delete <schedule-id>",
		Short: "list, pause, unpause, trigger (run once now) or delete the schedules that `eaapl run \"Every Monday at 9am, ...\"` creates",
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []string{"list", "pause", "unpause", "trigger", "delete"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{msg: "eaapl schedule needs list, pause, unpause, trigger or delete"}
			}
			verb := args[0]
			act := map[string]func(*starter.Starter, context.Context, string) error{
				"pause": (*starter.Starter).PauseSchedule, "unpause": (*starter.Starter).UnpauseSchedule,
				"trigger": (*starter.Starter).TriggerSchedule, "delete": (*starter.Starter).DeleteSchedule,
			}[verb]
			switch {
			case verb == "list" && len(args) != 1:
				return usageError{msg: "eaapl schedule list takes no arguments"}
			case verb != "list" && act == nil:
				return usageError{msg: fmt.Sprintf("eaapl schedule: unknown action %q; use list, pause, unpause, trigger or delete", verb)}
			case act != nil && len(args) != 2:
				return usageError{msg: fmt.Sprintf("eaapl schedule %s needs one schedule ID", verb)}
			}
			c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), address)
			if err != nil {
				return err
			}
			defer c.Close()
			s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Encrypted: encrypts(cfg), Identity: cfg.UserID}
			out := cmd.OutOrStdout()
			if verb == "list" {
				dc, err := dataConverter(cfg)
				if err != nil {
					return err
				}
				list, err := s.Schedules(ctx, dc)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(out, list)
				}
				printSchedules(out, list)
				return nil
			}
			if err := act(s, ctx, args[1]); err != nil {
				return err
			}
			done := map[string]string{"pause": "Paused %s: it starts no run until eaapl schedule unpause %[1]s.\n",
				"unpause": "Unpaused %s: it starts its runs again.\n",
				"trigger": "Triggered %s: one run starts now (eaapl list shows it).\n",
				"delete":  "Deleted %s: it starts no more runs; runs already started go on.\n"}[verb]
			if asJSON {
				return writeJSON(out, map[string]string{"schedule_id": args[1], "done": verb})
			}
			fmt.Fprintf(out, done, args[1])
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	addAddressFlag(cmd, &address)
	return cmd
}

func printSchedules(w io.Writer, list []starter.ScheduleSummary) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No schedules.")
		return
	}
	for _, s := range list {
		state := "next " + nextRun(s.Next)
		if s.Paused {
			state = "paused"
		}
		fmt.Fprintf(w, "%s  %s  %s\n", s.ID, state, s.Program)
	}
}

func nextRun(next []time.Time) string {
	if len(next) == 0 {
		return "none"
	}
	return next[0].Local().Format("Mon 2006-01-02 15:04 MST")
}

// shownRuns is how many of the next runs `eaapl run` prints (--json gives all the server gives).
const shownRuns = 5

// createSchedule creates the Temporal Schedule of a plan with a schedule, prints its ID and its next
// runs, and returns: nothing runs now.
func createSchedule(ctx context.Context, cfg config.Config, cmd *cobra.Command, sc *plan.Schedule, in workflows.Input, o runOptions) error {
	if in.DryRun {
		return fmt.Errorf("not scheduled: --dry-run would make every run a dry run; to see what one run does, eaapl run --dry-run %q", sc.Program)
	}
	c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), o.address)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Encrypted: encrypts(cfg), Identity: cfg.UserID}
	id := o.id
	if id == "" {
		id = starter.NewScheduleID(time.Now())
	}
	res, err := s.CreateSchedule(ctx, id, sc, in)
	if err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	out := cmd.OutOrStdout()
	loc, err := time.LoadLocation(sc.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	fmt.Fprintf(out, "Created schedule %s\n  %s\n  Next runs:\n", res.ID, planner.ReadBackSchedule(sc))
	for _, t := range res.Next[:min(len(res.Next), shownRuns)] {
		fmt.Fprintf(out, "    %s\n", t.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(out, "  eaapl schedule pause|unpause|trigger|delete %s manages it; eaapl schedule list lists them all.\n", res.ID)
	return nil
}
