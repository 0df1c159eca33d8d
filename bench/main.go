// Command bench measures EaaPL on the embedded stack and writes bench/results.md. It is `make bench`; it is
// a program rather than a test, so that `make test` stays quick and the figures are printed, not asserted.
//
// What it measures now (issue 3, "Measured"): the Hello World program over N generated contacts with the
// Kafka bridge off and on, in the same run and on the same stack, and the delay from a task's end to its
// task.result record being readable. Every run checks that each contact got exactly one email.
//
// The stack is started here: the Temporal dev server (bin/temporal, in-memory), a fresh Mailpit per run
// (bin/mailpit), a kfake broker (bridge.StartBroker, in a child process of this program so that its
// records do not count as the worker's memory), and the worker in this process (worker.Setup and Run, as
// `eaapl worker` runs it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/eaapl/eaapl/config"
)

// helloWorld is the program measured by default: the Hello World program without its condition, so that
// every contact gets an email.
const helloWorld = "Send an email to each of my contacts that says 'Hello World!'"

// options are the command line.
type options struct {
	sizes       []int
	repeat      int
	concurrency int
	warmup      int
	program     string
	out         string
	progress    time.Duration
	runTimeout  time.Duration
	temporalBin string
	mailpitBin  string
	verbose     bool
	partitions  int
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == brokerChildArg {
		if err := serveBroker(); err != nil {
			fmt.Fprintln(os.Stderr, "bench broker:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	machine := describeMachine()
	machine.withTemporalVersion(o.temporalBin)
	fmt.Println(machine.summary())

	st, err := startStack(ctx, o)
	if err != nil {
		return err
	}
	defer st.stop()

	var runs []runResult
	if o.warmup > 0 {
		fmt.Printf("\nWarm-up (not measured): %d contacts, bridge off then on\n", o.warmup)
		for _, c := range []configuration{bridgeOff, bridgeOn} {
			if _, err := st.measure(ctx, o, c, o.warmup, "warmup"); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	seq := 0
	for _, n := range o.sizes {
		for rep := range o.repeat {
			// Alternate the order (off,on,on,off,...), so that neither configuration always runs on the
			// warmer stack.
			order := []configuration{bridgeOff, bridgeOn}
			if rep%2 == 1 {
				order = []configuration{bridgeOn, bridgeOff}
			}
			for _, c := range order {
				seq++
				r, err := st.measure(ctx, o, c, n, fmt.Sprintf("run %d", seq))
				if err != nil {
					return err
				}
				r.seq = seq
				runs = append(runs, r)
			}
		}
	}

	rep := report{machine: machine, opts: o, runs: runs, args: args}
	text := rep.markdown()
	fmt.Println()
	fmt.Println(rep.tables())
	if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	fmt.Printf("Wrote %s\n", o.out)
	return nil
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("n", "1000", "numbers of contacts, comma-separated (e.g. 100,1000)")
	o := options{}
	fs.IntVar(&o.repeat, "repeat", 1, "runs of each configuration per N; the order alternates off,on,on,off,...")
	fs.IntVar(&o.concurrency, "concurrency", 100, fmt.Sprintf("the program's max_concurrency (1..%d)", config.MaxConcurrencyLimit))
	fs.IntVar(&o.warmup, "warmup", 50, "contacts of an unmeasured warm-up run of each configuration; 0 for none")
	fs.StringVar(&o.program, "program", helloWorld, "the English program; it must email every contact once on a fresh mailbox")
	fs.StringVar(&o.out, "out", "bench/results.md", "where to write the results")
	fs.DurationVar(&o.progress, "progress", time.Second, "how often to print progress")
	fs.DurationVar(&o.runTimeout, "run-timeout", 10*time.Minute, "bound on one run")
	fs.StringVar(&o.temporalBin, "temporal-bin", "bin/temporal", "the Temporal CLI (make tools builds it)")
	fs.StringVar(&o.mailpitBin, "mailpit-bin", "bin/mailpit", "Mailpit (make tools builds it)")
	fs.IntVar(&o.partitions, "task-queue-partitions", 0, "task queue partitions of the Temporal dev server; 0 keeps the server's default (4), as eaapl dev runs it")
	fs.BoolVar(&o.verbose, "v", false, "print each PublishEvents call's timeline")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return options{}, fmt.Errorf("-n %q: want positive whole numbers separated by commas", *sizes)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.repeat < 1 {
		return options{}, errors.New("-repeat must be at least 1")
	}
	if o.concurrency < 1 || o.concurrency > config.MaxConcurrencyLimit {
		return options{}, fmt.Errorf("-concurrency %d: must be between 1 and %d", o.concurrency, config.MaxConcurrencyLimit)
	}
	if o.partitions < 0 {
		return options{}, errors.New("-task-queue-partitions must not be negative")
	}
	if o.warmup < 0 {
		return options{}, errors.New("-warmup must not be negative")
	}
	return o, nil
}
