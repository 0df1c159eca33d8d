package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/starter"
)

func newCancelCmd() *cobra.Command {
	var address string
	cmd := &cobra.Command{
		Use:               "cancel <workflow-id>",
		Short:             "stop a running program: nothing more is started, and what was done stays done",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{msg: "eaapl cancel needs one workflow ID"}
			}
			c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), address)
			if err != nil {
				return err
			}
			defer c.Close()
			s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Identity: cfg.UserID}
			if err := s.Cancel(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Asked %s to stop; eaapl status %s shows what it did.\n", args[0], args[0])
			return nil
		}),
	}
	addAddressFlag(cmd, &address)
	return cmd
}
