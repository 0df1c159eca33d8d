// Command eaapl runs English programs durably: `eaapl dev` starts the embedded stack, `eaapl run` runs a
// program, `eaapl worker` serves programs on a Temporal cluster.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"

	"github.com/eaapl/eaapl/config"
)

const usage = `eaapl runs programs written in English as durable Temporal workflows.

Usage:
  eaapl dev [--background | --stop]     start the embedded stack (Temporal dev server, Mailpit, a worker)
  eaapl run [--json] [--yes] [--id ID] [--confirm] [--planner rules|llm] [--no-cache] "<program>"
  eaapl run [--json] [--yes] [--id ID] [--confirm] --plan plan.json
                                        run a program and wait for its result; --confirm reads the
                                        plan back in English and asks before starting it; --yes
                                        approves in advance a step over EAAPL_APPROVAL_THRESHOLD
  eaapl plan [--json] [--planner rules|llm] [--no-cache] "<program>"
                                        show the plan of a program, read back in English, without running it
  eaapl status [--json] <workflow-id>   show a program's progress and its open questions
  eaapl answer <workflow-id> <question-id> "<answer>"
                                        answer a program's question
  eaapl events [--topic T] [--follow] [--json]
                                        print the events mirrored onto Kafka (KAFKA_BROKERS)
  eaapl worker                          run a worker against TEMPORAL_ADDRESS

Configuration comes from EAAPL_* and TEMPORAL_* environment variables; see the README.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var bad flagError
		if !errors.Is(err, flag.ErrHelp) && !errors.As(err, &bad) { // the flag package has printed those
			fmt.Fprintln(os.Stderr, "eaapl:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors and 1 for everything else.
func exitCode(err error) int {
	var u usageError
	var f flagError
	if errors.As(err, &u) || errors.As(err, &f) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n\n" + usage }

// flagError is a command line the flag package rejected; it has already printed the error and the
// command's flags.
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	// Help and a mistyped command need no configuration: they must work when a variable is wrong.
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "dev", "run", "plan", "status", "answer", "worker", "events":
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	switch cmd {
	case "dev":
		return devCommand(ctx, cfg, rest, stdout, stderr)
	case "run":
		return runCommand(ctx, cfg, rest, stdout, stderr)
	case "plan":
		return planCommand(ctx, cfg, rest, stdout, stderr)
	case "status":
		return statusCommand(ctx, cfg, rest, stdout, stderr)
	case "events":
		return eventsCommand(ctx, cfg, rest, stdout, stderr)
	case "answer":
		return answerCommand(ctx, cfg, rest, stdout, stderr)
	default: // "worker"
		return workerCommand(ctx, cfg, rest, stderr)
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("eaapl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses a command's flags, before or after its other arguments (`eaapl run "..." --json`);
// a flag it does not know is a usage error, like a missing argument. "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		err := fs.Parse(args)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			return flagError{err}
		}
		if err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// newLogger returns the process's structured logger at the configured level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.SlogLevel() // checked by config.Load
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// addressUsage documents every command's --address flag, with dial's fallback.
const addressUsage = "Temporal address (default: TEMPORAL_ADDRESS, or the dev stack's 127.0.0.1:EAAPL_DEV_TEMPORAL_PORT)"

// dial connects to Temporal with the standard TEMPORAL_* settings; hostPort, when set, overrides them.
// Without TEMPORAL_ADDRESS it dials the dev stack's port, EAAPL_DEV_TEMPORAL_PORT.
func dial(ctx context.Context, cfg config.Config, logger *slog.Logger, hostPort string) (client.Client, error) {
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
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w (is `eaapl dev` running? TEMPORAL_ADDRESS sets the address)", opts.HostPort, err)
	}
	return c, nil
}
