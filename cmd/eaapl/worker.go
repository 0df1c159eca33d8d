package main

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/worker"
)

func newWorkerCmd() *cobra.Command {
	var address string
	cmd := &cobra.Command{
		Use:               "worker",
		Short:             "run a worker against TEMPORAL_ADDRESS",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, _ []string) error {
			return serve(ctx, cfg, newLogger(cfg, cmd.ErrOrStderr()), address, nil)
		}),
	}
	addAddressFlag(cmd, &address)
	return cmd
}

// serve runs a worker, with its Kafka bridge when configured, until ctx ends.
// onReady, when set, is called once the worker polls.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, address string, onReady func() error) error {
	svc, err := worker.Setup(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	c, err := dial(ctx, cfg, svc.Logger, address, svc)
	if err != nil {
		return err
	}
	defer c.Close()
	return svc.Run(ctx, c, onReady)
}
