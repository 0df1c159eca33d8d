package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/workflows"
)

func newStatusCmd() *cobra.Command {
	var asJSON bool
	var address string
	cmd := &cobra.Command{
		Use:               "status [--json] <workflow-id>",
		Short:             "show a program's progress and its open questions",
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
			st, err := s.Status(ctx, args[0])
			if err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
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
