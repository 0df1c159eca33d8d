package planner

import (
	"context"
	"fmt"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// The planners a program can ask for (`eaapl run --planner`, EAAPL_PLANNER).
const (
	KindRules = "rules" // the rule-based planner: controlled English, no network
	KindLLM   = "llm"   // a language model through an OpenAI-compatible API
	KindAuto  = "auto"  // the LLM planner when one is configured, the rule-based planner otherwise
)

// Options are one planning request's choices.
type Options struct {
	Planner string // KindRules, KindLLM, or empty or KindAuto for the agent's default
	NoCache bool   // ask the model even when the cache has a plan
	// Location is the zone time phrases resolve in ("today", "at 5pm"): the person's, sent with the
	// program; the planners' own when nil.
	Location *time.Location
}

type zoneKey struct{}

// zoneFrom is the zone a plan's time phrases resolve in: the one the request carries (Options.Location),
// else the planner's own, else UTC.
func zoneFrom(ctx context.Context, own *time.Location) *time.Location {
	if loc, ok := ctx.Value(zoneKey{}).(*time.Location); ok && loc != nil {
		return loc
	}
	if own != nil {
		return own
	}
	return time.UTC
}

// Agent is the Planner Agent: it plans each program with the planner the request asks for, or its default.
type Agent struct {
	Rules   *Rules
	LLM     *LLM   // nil when no model is configured
	Default string // KindRules, KindLLM or KindAuto; KindAuto when empty
	// Places, when set, checks the files, patterns and web addresses a plan names with the rules the
	// worker applies when its steps run (worker.PlaceCheck): a place it would refuse is refused now, by
	// either planner, before anything starts. Nil: only plan.Validate's checks, which need no configuration.
	Places func(*plan.Plan) error
}

// Plan plans a program and says how.
func (a *Agent) Plan(ctx context.Context, program string, now time.Time, opts Options) (*plan.Plan, Report, error) {
	if opts.Location != nil {
		ctx = context.WithValue(ctx, zoneKey{}, opts.Location)
	}
	kind, err := a.choose(opts.Planner)
	if err != nil {
		return nil, Report{}, err
	}
	var p *plan.Plan
	rep := Report{Planner: KindRules}
	if kind == KindLLM {
		p, rep, err = a.LLM.Plan(ctx, program, now, opts.NoCache)
	} else {
		p, err = a.Rules.Plan(ctx, program, now)
	}
	if err == nil && a.Places != nil {
		if perr := a.Places(p); perr != nil {
			return nil, rep, &PlaceError{Err: perr}
		}
	}
	return p, rep, err
}

// PlaceError is a plan refused because a file, pattern or web address it names is one the worker would
// refuse when the step runs (Agent.Places). Its words are the worker's.
type PlaceError struct{ Err error }

func (e *PlaceError) Error() string { return "refused, nothing was read or sent: " + e.Err.Error() }
func (e *PlaceError) Unwrap() error { return e.Err }

func (a *Agent) choose(asked string) (string, error) {
	kind := asked
	if kind == "" || kind == KindAuto {
		kind = a.Default
	}
	switch kind {
	case "", KindAuto:
		if a.LLM != nil {
			return KindLLM, nil
		}
		return KindRules, nil
	case KindRules:
		return KindRules, nil
	case KindLLM:
		if a.LLM == nil {
			return "", fmt.Errorf("the LLM planner is not configured on this worker: set OPENAI_API_KEY or OPENAI_BASE_URL")
		}
		return KindLLM, nil
	}
	return "", fmt.Errorf("unknown planner %q: use %s, %s or %s", kind, KindRules, KindLLM, KindAuto)
}
