package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/crypt"
	"github.com/eaapl/eaapl/internal/identity"
	"github.com/eaapl/eaapl/worker"
)

// newLogger returns the process's structured logger at the configured level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.SlogLevel() // checked by config.Load
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
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

// addAddressFlag gives a command that talks to Temporal its --address flag, with dial's fallback.
func addAddressFlag(cmd *cobra.Command, address *string) {
	cmd.Flags().StringVar(address, "address", "", "Temporal address (default: TEMPORAL_ADDRESS, or the dev stack's 127.0.0.1:EAAPL_DEV_TEMPORAL_PORT)")
}

// dial connects to Temporal with the standard TEMPORAL_* settings; hostPort, when set, overrides them.
// Without TEMPORAL_ADDRESS it dials the dev stack's port, EAAPL_DEV_TEMPORAL_PORT.
// svc, for a worker's client, is the worker's service: its metrics handler, when not nil, is where the
// client and its workers report the SDK's metrics, and it watches the workflow tasks the client polls.
func dial(ctx context.Context, cfg config.Config, logger *slog.Logger, hostPort string, svc ...*worker.Service) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal configuration: %w", err)
	}
	if hostPort != "" {
		opts.HostPort = hostPort
	}
	if opts.HostPort == "" {
		opts.HostPort = fmt.Sprintf("127.0.0.1:%d", cfg.DevTemporalPort)
	}
	opts.Logger = sdklog.NewStructuredLogger(logger)
	// Who is acting: Temporal records the client's identity with each request (a cancel's too), and the
	// propagator sends EAAPL_USER_ID in the eaapl-identity header of starts and answers; on a worker,
	// the same propagator reads it back for the workflow (internal/identity).
	if opts.Identity == "" {
		opts.Identity = cfg.UserID
	}
	opts.ContextPropagators = append(opts.ContextPropagators, identity.Propagator())
	keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	crypt.ClientOptions(&opts, keys)
	if keys != nil {
		// Encrypted payloads do not compress: gzip on every request would only cost CPU (about a tenth
		// of a worker's at 10,000 contacts, docs/scale.md).
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if cfg.TemporalTokenFile != "" { // for a server with an authorizer (docs/security.md)
		tokens, err := config.NewTokenFile(cfg.TemporalTokenFile)
		if err != nil {
			return nil, err
		}
		opts.Credentials = client.NewAPIKeyDynamicCredentials(tokens.Token)
	}
	var handler client.MetricsHandler
	if len(svc) > 0 {
		handler = svc[0].MetricsHandler()
		svc[0].ClientOptions(&opts)
	}
	if err := observeClient(ctx, &opts, handler); err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w (is `eaapl dev` running? TEMPORAL_ADDRESS sets the address)", opts.HostPort, err)
	}
	return c, nil
}

// dataConverter is the data converter dial gives the client, for payloads the SDK leaves encoded (the
// heartbeats in a described workflow's pending activities).
func dataConverter(cfg config.Config) (converter.DataConverter, error) {
	keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		return converter.GetDefaultDataConverter(), nil
	}
	return crypt.DataConverter(keys), nil
}

// noFiles completes no positional argument: a program, a workflow ID or an answer is not a file name.
func noFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// encrypts says whether dial's clients encrypt payloads: the program's text then stays out of the
// unencrypted search attributes.
func encrypts(cfg config.Config) bool {
	keys, err := crypt.Load(cfg.KeyFile, cfg.DataDir)
	return err == nil && keys != nil
}
