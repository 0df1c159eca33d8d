// Command eaapl-eval measures the planners against the evaluation set: English programs, each with the plan it
// should give (or the refusal it should get), in eval/testdata. `make eval` runs it. The rule-based planner
// always runs (no network): the report says how many programs of the set it plans exactly right, and it
// must never plan one wrong (it refuses what it does not understand). The LLM planner runs when a model
// server is configured (OPENAI_API_KEY, or OPENAI_BASE_URL for a server that needs no key; the model is
// EAAPL_PLANNER_MODEL), without the plan cache, and costs tokens: it is not part of `make test`.
//
// How plans are compared is written at canonical, in compare.go.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/workspace"
	"github.com/eaapl/eaapl/plan"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/worker"
)

// evalNow is the start time every program of the set is planned at, and its expected plans' times are
// resolved from: Wednesday 25 November 2026, 21:40 UTC.
var evalNow = time.Date(2026, time.November, 25, 21, 40, 0, 0, time.UTC)

// evalMe is the address "me" is in the set's programs ("Send 'Lunch?' to me"): the default EAAPL_USER_EMAIL.
const evalMe = "me@example.com"

// evalCase is one program of the set and what it should give.
type evalCase struct {
	Name       string          `json:"-"`
	Program    string          `json:"program"`
	Plan       json.RawMessage `json:"plan,omitempty"`
	CannotPlan bool            `json:"cannot_plan,omitempty"` // no plan of the catalog can do it: a refusal is right
	// Part, when set, is the part of the program a refusal by the rule-based planner must quote: a
	// refusal that quotes another part points the person at the wrong words.
	Part string `json:"part,omitempty"`
	// Why, when set, is what the rule-based planner's refusal must say of the part: a wrong reason sends
	// the person after the wrong fix, which is worse than none.
	Why string `json:"why,omitempty"`

	want string // the expected plan, canonical
}

// planFunc plans one program, as a planner does.
type planFunc func(ctx context.Context, program string, now time.Time) (*plan.Plan, planner.Report, error)

// outcome is how a planner did on one case.
type outcome int

const (
	right   outcome = iota // the expected plan, or a refusal of a program that cannot be planned
	refused                // no plan for a program that has one
	wrong                  // a plan, but not the expected one (or a plan for a program that has none)
	failed                 // the planner could not answer (the model server failed)
)

var outcomeNames = []string{"right", "refused", "WRONG", "failed"}

func main() {
	dir := flag.String("set", filepath.Join("eval", "testdata"), "the folder of the evaluation set")
	verbose := flag.Bool("v", false, "print every case, and the plans of the wrong ones")
	flag.Parse()
	if err := run(context.Background(), *dir, *verbose, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, verbose bool, w io.Writer) error {
	cases, err := loadSet(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Evaluation set: %d programs (%s), planned at %s\n\n", len(cases), dir, evalNow.Format(time.RFC3339))

	rules, closeRules, err := rulesPlanner(dir, evalMe)
	if err != nil {
		return err
	}
	defer closeRules()
	counts := evaluate(ctx, w, "rule-based planner", cases, rules, verbose)
	if counts[wrong] > 0 {
		return fmt.Errorf("the rule-based planner planned %d programs wrong; it must refuse what it does not understand", counts[wrong])
	}

	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if !cfg.ModelConfigured() {
		fmt.Fprintln(w, "\nLLM planner: SKIPPED, no model is configured. Set OPENAI_API_KEY (and EAAPL_PLANNER_MODEL, default gpt-4o-mini),")
		fmt.Fprintln(w, "or OPENAI_BASE_URL for a server that needs no key (Ollama, vLLM, llama.cpp), to run the set against a model.")
		return nil
	}
	agent := worker.NewPlanner(cfg, time.UTC)
	agent.LLM.Cache = nil // measure the model, not the cache
	fmt.Fprintln(w)
	evaluate(ctx, w, "LLM planner ("+cfg.PlannerModel+")", cases, func(ctx context.Context, program string, now time.Time) (*plan.Plan, planner.Report, error) {
		return agent.LLM.Plan(ctx, program, now, true)
	}, verbose)
	return nil
}

// rulesPlanner is the rule-based planner as a worker runs it, whose workspace is the set's own folder
// and whose fetch guard allows nothing more: the places a program names are checked as such a worker
// checks them (worker.PlaceCheck). The function returned closes the workspace.
func rulesPlanner(dir, me string) (planFunc, func(), error) {
	ws, err := workspace.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	agent := &planner.Agent{Rules: &planner.Rules{Location: time.UTC, Me: me}, Default: planner.KindRules,
		Places: worker.PlaceCheck{Workspace: ws}.Check}
	return func(ctx context.Context, program string, now time.Time) (*plan.Plan, planner.Report, error) {
		return agent.Plan(ctx, program, now, planner.Options{})
	}, func() { ws.Close() }, nil
}

// evaluate runs one planner over the set and prints its score.
func evaluate(ctx context.Context, w io.Writer, name string, cases []evalCase, planFn planFunc, verbose bool) [4]int {
	var counts [4]int
	var outcomes []outcome
	var usage planner.Usage
	var rounds int
	began := time.Now()
	for _, c := range cases {
		p, rep, err := planFn(ctx, c.Program, evalNow)
		usage.PromptTokens += rep.Usage.PromptTokens
		usage.CompletionTokens += rep.Usage.CompletionTokens
		usage.TotalTokens += rep.Usage.TotalTokens
		if rep.Rounds > 1 {
			rounds++
		}
		o, detail := judge(c, p, err)
		counts[o]++
		outcomes = append(outcomes, o)
		if verbose || o == wrong || o == failed {
			fmt.Fprintf(w, "  %-7s %s: %s\n", outcomeNames[o], c.Name, detail)
		}
	}
	n, plans, plansRight := len(cases), 0, 0
	for i, c := range cases {
		if !c.CannotPlan {
			plans++
			if outcomes[i] == right {
				plansRight++
			}
		}
	}
	fmt.Fprintf(w, "%s: %d of %d right (%.0f%%): %d of the %d programs with a plan planned exactly, %d of the %d without one refused;\n  %d with a plan refused, %d wrong, %d failed; in %s\n",
		name, counts[right], n, 100*float64(counts[right])/float64(n), plansRight, plans, counts[right]-plansRight, n-plans,
		counts[refused], counts[wrong], counts[failed], time.Since(began).Round(time.Millisecond))
	if usage.TotalTokens > 0 {
		fmt.Fprintf(w, "  tokens: %d (%d prompt, %d completion), %d per program; %d programs needed a repair round\n",
			usage.TotalTokens, usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens/n, rounds)
	}
	return counts
}

// judge compares a planner's answer with the case's expectation.
func judge(c evalCase, p *plan.Plan, err error) (outcome, string) {
	var model *planner.ModelError
	switch {
	case errors.As(err, &model):
		return failed, err.Error()
	case err != nil && c.CannotPlan:
		var nu *planner.NotUnderstoodError
		if c.Part != "" && errors.As(err, &nu) && nu.Part != c.Part {
			return wrong, fmt.Sprintf("refused, quoting %q rather than %q: %s", nu.Part, c.Part, firstLine(err.Error()))
		}
		if c.Why != "" && errors.As(err, &nu) && !strings.Contains(err.Error(), c.Why) {
			return wrong, fmt.Sprintf("refused without saying %q: %s", c.Why, firstLine(err.Error()))
		}
		// A refusal of a place (a file outside the workspace) quotes no part of the sentence; it names
		// the place and says why, and both must be the expected ones.
		var place *planner.PlaceError
		if errors.As(err, &place) && (!strings.Contains(err.Error(), c.Part) || !strings.Contains(err.Error(), c.Why)) {
			return wrong, fmt.Sprintf("refused without naming %q and saying %q: %s", c.Part, c.Why, firstLine(err.Error()))
		}
		return right, "refused: " + firstLine(err.Error())
	case err != nil:
		return refused, firstLine(err.Error())
	case c.CannotPlan:
		b, _ := json.Marshal(p)
		return wrong, "planned a program that no plan can do: " + string(b)
	}
	got, cerr := canonical(p, evalNow)
	if cerr != nil {
		return wrong, "the plan does not compile: " + cerr.Error()
	}
	if got != c.want {
		return wrong, fmt.Sprintf("the plan differs\n    got:  %s\n    want: %s", oneLine(got), oneLine(c.want))
	}
	return right, "as expected"
}

// loadSet reads the set: every *.json file of dir, in name order, with its expected plan made canonical.
func loadSet(dir string) ([]evalCase, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no programs in %s (run from the repository's root, or give -set)", dir)
	}
	slices.Sort(files)
	var cases []evalCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		var c evalCase
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		c.Name = strings.TrimSuffix(filepath.Base(f), ".json")
		switch {
		case strings.TrimSpace(c.Program) == "":
			return nil, fmt.Errorf("%s: no program", f)
		case c.CannotPlan == (c.Plan != nil):
			return nil, fmt.Errorf("%s: give either the expected plan or \"cannot_plan\": true", f)
		case c.Plan != nil:
			p, err := plan.Parse(c.Plan)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if c.want, err = canonical(p, evalNow); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
