package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/worker"
)

func workerCommand(ctx context.Context, cfg config.Config, args []string, stderr io.Writer) error {
	fs := newFlags("worker", stderr)
	address := fs.String("address", "", addressUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return serve(ctx, cfg, newLogger(cfg, stderr), *address, nil)
}

// serve runs a worker, with its Kafka bridge when configured, until ctx ends.
// onReady, when set, is called once the worker polls.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, address string, onReady func() error) error {
	svc, err := worker.Setup(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	c, err := dial(ctx, cfg, svc.Logger, address)
	if err != nil {
		return err
	}
	defer c.Close()
	return svc.Run(ctx, c, onReady)
}
