package main

import (
	"context"
	"fmt"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/worker"
)

func workerCommand(ctx context.Context, cfg config.Config, args []string, stderr io.Writer) error {
	fs := newFlags("worker", stderr)
	address := fs.String("address", "", "Temporal address (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	c, err := dial(ctx, logger, *address)
	if err != nil {
		return err
	}
	defer c.Close()
	return serve(ctx, c, cfg, logger)
}

// serve runs a worker until ctx ends.
func serve(ctx context.Context, c client.Client, cfg config.Config, logger interface{ Info(string, ...any) }) error {
	deps, err := worker.NewDependencies(cfg)
	if err != nil {
		return err
	}
	w := worker.New(c, cfg, deps)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("worker started", "task_queue", cfg.TaskQueue, "identity", worker.Identity(cfg),
		"contacts", cfg.Contacts, "smtp", cfg.SMTPAddr, "mailbox", cfg.MailboxURL)
	<-ctx.Done()
	w.Stop()
	logger.Info("worker stopped")
	return nil
}
