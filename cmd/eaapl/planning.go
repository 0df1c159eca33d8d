package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/devstack"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
	"github.com/eaapl/eaapl/worker"
)

// confirmInput is where `eaapl run --confirm` reads the answer; tests replace it.
var confirmInput io.Reader = os.Stdin

// plannerFlags are the flags that choose how a program is planned, shared by `eaapl plan` and `eaapl run`.
type plannerFlags struct {
	planner string
	noCache bool
}

func (f *plannerFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.planner, "planner", "", "the planner: rules or llm (default: EAAPL_PLANNER; llm when a model is configured)")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "ask the model even when the plan cache has this program's plan")
	_ = cmd.RegisterFlagCompletionFunc("planner", cobra.FixedCompletions([]string{planner.KindRules, planner.KindLLM}, cobra.ShellCompDirectiveNoFileComp))
}

func (f *plannerFlags) options() (planner.Options, error) {
	switch f.planner {
	case "", planner.KindRules, planner.KindLLM, planner.KindAuto:
		return planner.Options{Planner: f.planner, NoCache: f.noCache}, nil
	}
	return planner.Options{}, usageError{msg: fmt.Sprintf("--planner is %q; it must be rules or llm", f.planner)}
}

// planHere plans a program in this process, as a worker would: the same configuration, planners and
// cache. It returns the validated plan, how it was made, and the time it was planned at.
func planHere(ctx context.Context, cfg config.Config, program string, opts planner.Options) (*plan.Plan, planner.Report, time.Time, error) {
	if zone := programZone(cfg); zone != "" {
		cfg.Timezone = zone
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, planner.Report{}, time.Time{}, err
	}
	now := time.Now().In(loc) // the read-back shows times in the zone the program is planned in
	p, rep, err := worker.NewPlanner(cfg, loc).Plan(ctx, program, now, opts)
	if err != nil {
		return nil, rep, now, err
	}
	if err := plan.Validate(p); err != nil {
		return nil, rep, now, err
	}
	return p, rep, now, nil
}

// programZone is the time zone a program started from here is planned in, sent with it (Input.TimeZone):
// EAAPL_TIMEZONE as this shell has it when set, else the running dev stack worker's, else "" (each worker's
// own). `eaapl plan`, `eaapl run` and `--confirm` all plan in it, so "today" is the same day for all three.
func programZone(cfg config.Config) string {
	if _, set := os.LookupEnv("EAAPL_TIMEZONE"); set {
		return cfg.Timezone
	}
	if ws, err := devstack.ReadSettings(cfg.DataDir); err == nil {
		return ws.Timezone
	}
	return ""
}

// describeReport is one line saying how a plan was made.
func describeReport(rep planner.Report) string {
	switch {
	case rep.Planner != planner.KindLLM:
		return "Planned by the rule-based planner."
	case rep.Cached:
		return fmt.Sprintf("Planned by %s earlier (from the plan cache, no tokens used).", rep.Model)
	}
	line := fmt.Sprintf("Planned by %s in %d round(s): %d tokens (%d prompt, %d completion).",
		rep.Model, rep.Rounds, rep.Usage.TotalTokens, rep.Usage.PromptTokens, rep.Usage.CompletionTokens)
	if rep.CacheError != "" {
		line += " Not cached: " + rep.CacheError
	}
	return line
}

// confirm shows a plan read back in English and asks whether to run it; only "y" or "yes" runs it.
func confirm(cfg config.Config, p *plan.Plan, now time.Time, stderr io.Writer) error {
	fmt.Fprintln(stderr, "The plan:")
	starter.PrintReadBack(stderr, p, now, starter.WithModel(cfg.TextModelView()))
	fmt.Fprint(stderr, "Run it? [y/N] ")
	answer, _ := bufio.NewReader(confirmInput).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	fmt.Fprintln(stderr)
	return fmt.Errorf("not started: the plan was not confirmed")
}
