// Command eaapl runs English programs durably: `eaapl dev` starts the embedded stack, `eaapl run` runs a
// program, `eaapl worker` serves programs on a Temporal cluster. The commands are in root.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var bad flagError
		if !errors.As(err, &bad) { // the command has printed it, with its flags
			fmt.Fprintln(os.Stderr, "eaapl:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors and 1 for everything else.
func exitCode(err error) int {
	var u usageError
	var f flagError
	if errors.As(err, &u) || errors.As(err, &f) {
		return 2
	}
	return 1
}
