// Command eaapl-bench measures EaaPL on the embedded stack and writes bench/results.md. It is `make bench`; it is
// a program rather than a test, so that `make test` stays quick and the figures are printed, not asserted.
//
// For each N (100, 1,000, 10,000 and 100,000 contacts by default; `-n 1000000` for a bigger machine), on
// the same stack and the same contacts, it runs the Hello World program on an `eaapl worker` process (Kafka
// bridge on, as `eaapl dev` runs it), then with the bridge off and with adaptive tuning off, and the
// baselines: (a) the workflow a Temporal user would write by hand, one SendEmail activity per contact (up
// to 10,000: above, it breaks Temporal's history limits); (a') the batched workflow an expert would write;
// (b) a plain Go loop sending the same emails straight over SMTP with the same concurrency, no durability.
// At the largest N it also times a one-email high-priority program started while the big one runs, and
// runs the big one on two worker processes; last, a one-email program through `eaapl run`, 20 times. Every
// run has a fresh Mailpit and checks that each contact got exactly one email. The report opens with the
// targets of issue 16, each met or its distance. `-quick` checks the benchmark itself in a few minutes.
//
// The stack: the Temporal dev server (bin/temporal, in memory, configured as `eaapl dev` configures it),
// a fresh Mailpit per run (bin/mailpit), a kfake broker (devstack.StartBroker) in a child process.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
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
	concurrency int
	warmup      int
	repeat      int // runs of EaaPL and (b) at each N, of which the median is kept
	program     string
	out         string
	progress    time.Duration
	runTimeout  time.Duration
	temporalBin string
	mailpitBin  string
	extras      bool // the priority and two-worker runs at the largest N
	baselines   bool
	// oneEmailRuns is how many times the one-email program runs through `eaapl run`; 0 for none.
	oneEmailRuns int
	quick        bool
	profileDir   string // where the worker's profiles of the run at profileN go; empty for none
	profileN     int
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

	if o.warmup > 0 {
		fmt.Printf("\nWarm-up (not measured): %d contacts, EaaPL and (a)\n", o.warmup)
		if _, err := st.measureEaaPL(ctx, o, o.warmup, variant{}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		if _, err := st.measureHandWritten(ctx, o, o.warmup); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	var runs []runResult
	failures := 0
	failedAt := map[int]bool{} // the N at which the main EaaPL run failed
	// measure runs one measurement; a run that fails is reported as failed, with its reason, and the
	// benchmark goes on with the next (at 100,000 EaaPL may not finish yet: the report says why).
	measure := func(m func() (runResult, error)) error {
		r, err := m()
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Printf("  FAILED: %v\n", err)
			r.failed = err.Error()
			failures++
		}
		runs = append(runs, r)
		return nil
	}
	for _, n := range o.sizes {
		// The short runs are repeated and their median kept, as other processes on the shared machine can
		// slow any one of them; from repeatUpTo the runs are long enough to average the noise.
		k := o.repeat
		if n > repeatUpTo {
			k = 1
		}
		// step is one measurement at n; eaapl marks EaaPL's variants, which are not run once the main
		// EaaPL run at n failed: they would fail the same way, each after as long.
		type step struct {
			eaapl bool
			v     variant
			run   func() (runResult, error)
		}
		eaapl := func(v variant) step {
			return step{true, v, func() (runResult, error) {
				return medianOf(k, func() (runResult, error) { return st.measureEaaPL(ctx, o, n, v) })
			}}
		}
		steps := []step{eaapl(variant{})}
		if o.baselines {
			steps = append(steps, eaapl(variant{noKafka: true}))
			if n >= tunedFrom {
				steps = append(steps, eaapl(variant{fixed: true}))
			}
			steps = append(steps,
				step{false, variant{}, func() (runResult, error) {
					if n > handWrittenUpTo {
						r := runResult{kind: kindHandWritten, n: n, skipped: fmt.Sprintf("one activity per email is about %d history events at N=%d, over Temporal's limit of 51,200", 4*n, n)}
						fmt.Printf("\n%s: not run: %s\n", r.label(), r.skipped)
						return r, nil
					}
					return st.measureHandWritten(ctx, o, n)
				}},
				step{false, variant{}, func() (runResult, error) {
					return medianOf(k, func() (runResult, error) { return st.measureExpert(ctx, o, n) })
				}},
				step{false, variant{}, func() (runResult, error) {
					return medianOf(k, func() (runResult, error) { return st.measurePlain(ctx, o, n) })
				}})
		}
		for i, m := range steps {
			if m.eaapl && failedAt[n] {
				runs = append(runs, runResult{kind: kindEaaPL, n: n, noKafka: m.v.noKafka, fixed: m.v.fixed, skipped: "the main EaaPL run at this N failed"})
				continue
			}
			if err := measure(m.run); err != nil {
				return err
			}
			if i == 0 && runs[len(runs)-1].failed != "" {
				failedAt[n] = true
				fmt.Printf("  EaaPL failed at N=%d: its other variants (and the extra runs, at the largest N) are not run\n", n)
			}
		}
	}
	if n := slices.Max(o.sizes); o.extras && !failedAt[n] {
		for _, m := range []func() (runResult, error){
			func() (runResult, error) { return st.measureEaaPL(ctx, o, n, variant{priority: true}) },
			func() (runResult, error) { return st.measureEaaPL(ctx, o, n, variant{workers: 2}) },
		} {
			if err := measure(m); err != nil {
				return err
			}
		}
	}
	if o.oneEmailRuns > 0 {
		if err := measure(func() (runResult, error) { return st.measureOneEmail(ctx, o, o.oneEmailRuns) }); err != nil {
			return err
		}
	}

	rep := report{machine: machine, opts: o, runs: runs, args: args}
	fmt.Println()
	fmt.Println(rep.tables())
	if err := os.WriteFile(o.out, []byte(rep.markdown()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	fmt.Printf("Wrote %s\n", o.out)
	if failures > 0 {
		return fmt.Errorf("%d runs failed (see %s)", failures, o.out)
	}
	return nil
}

// Which runs are made at which N.
const (
	repeatUpTo      = 10_000 // runs are repeated (-repeat) up to this N; above, one run each
	handWrittenUpTo = 10_000 // (a) runs up to this N: one activity per email breaks Temporal's limits above
	tunedFrom       = 1_000  // the adaptive-off run is made from this N: smaller steps are not tuned
)

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("n", "100,1000,10000,100000", "numbers of contacts, comma-separated")
	o := options{}
	fs.IntVar(&o.concurrency, "concurrency", 100, fmt.Sprintf("the program's max_concurrency, and the baselines' (1..%d)", config.MaxConcurrencyLimit))
	fs.IntVar(&o.repeat, "repeat", 3, "runs of EaaPL and (b) at each N; the one with the median wall time is reported")
	fs.IntVar(&o.warmup, "warmup", 50, "contacts of an unmeasured warm-up run; 0 for none")
	fs.StringVar(&o.program, "program", helloWorld, "the English program; it must email every contact once on a fresh mailbox")
	fs.StringVar(&o.out, "out", "bench/results.md", "where to write the results")
	fs.DurationVar(&o.progress, "progress", time.Second, "how often to print progress")
	fs.DurationVar(&o.runTimeout, "run-timeout", 10*time.Minute, "bound on one run, plus a millisecond per contact")
	fs.StringVar(&o.temporalBin, "temporal-bin", "bin/temporal", "the Temporal CLI (make tools builds it)")
	fs.StringVar(&o.mailpitBin, "mailpit-bin", "bin/mailpit", "Mailpit (make tools builds it)")
	fs.BoolVar(&o.extras, "extras", true, "at the largest N, also the priority run and the two-worker run")
	fs.BoolVar(&o.baselines, "baselines", true, "run the baselines; false measures EaaPL alone (the report then has no ratios)")
	fs.IntVar(&o.oneEmailRuns, "one-email-runs", 20, "runs of the one-email program through `eaapl run`, whose p50 is reported; 0 for none")
	fs.StringVar(&o.profileDir, "profile", "", "write the worker's CPU and allocation profiles of the EaaPL run at -profile-n contacts to this directory")
	fs.IntVar(&o.profileN, "profile-n", 10_000, "the N whose EaaPL run -profile profiles")
	fs.BoolVar(&o.quick, "quick", false, "check the benchmark itself in a few minutes: -n 100,1000 -repeat 1 -warmup 0 -one-email-runs 5, unless given, written to $TMPDIR/eaapl-bench-quick.md")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if o.quick {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !given["n"] {
			*sizes = "100,1000"
		}
		if !given["repeat"] {
			o.repeat = 1
		}
		if !given["warmup"] {
			o.warmup = 0
		}
		if !given["one-email-runs"] {
			o.oneEmailRuns = 5
		}
		if !given["out"] {
			o.out = filepath.Join(os.TempDir(), "eaapl-bench-quick.md") // its figures are for checking the bench, not to keep
		}
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
	if o.concurrency < 1 || o.concurrency > config.MaxConcurrencyLimit {
		return options{}, fmt.Errorf("-concurrency %d: must be between 1 and %d", o.concurrency, config.MaxConcurrencyLimit)
	}
	if o.repeat < 1 {
		return options{}, errors.New("-repeat must be at least 1")
	}
	if o.warmup < 0 {
		return options{}, errors.New("-warmup must not be negative")
	}
	if o.oneEmailRuns < 0 {
		return options{}, errors.New("-one-email-runs must not be negative")
	}
	return o, nil
}

// timeout bounds one run over n contacts.
func (o options) timeout(n int) time.Duration {
	return o.runTimeout + time.Duration(n)*time.Millisecond
}

// medianOf runs measure k times and returns the run with the median wall time, with every run's wall
// time, and the highest peak RSS of them all.
func medianOf(k int, measure func() (runResult, error)) (runResult, error) {
	var rs []runResult
	for range k {
		r, err := measure()
		if err != nil {
			return r, err
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b runResult) int { return cmp.Compare(a.wall, b.wall) })
	m := rs[len(rs)/2]
	for _, r := range rs {
		m.walls = append(m.walls, r.wall)
		m.peakRSS = max(m.peakRSS, r.peakRSS)
	}
	return m, nil
}
