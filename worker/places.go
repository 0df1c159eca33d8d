package worker

import (
	"cmp"
	"strings"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/internal/fetch"
	"github.com/eaapl/eaapl/internal/workspace"
	"github.com/eaapl/eaapl/plan"
)

// PlaceCheck refuses, when a program is planned, a place its steps name that this worker's own rules
// would refuse when the step runs: a file outside the workspace (an absolute path elsewhere, as well as
// ".."), a pattern that is outside it or not a valid glob, a web address that is not http(s) or is an
// address the guard blocks (EAAPL_HTTP_ALLOW). It calls the functions the commands call
// (workspace.Rel, workspace.Pattern, fetch.CheckURL), so the words are the same. Only literal values
// are checked: one made by an expression (a row's cell) is known when it runs, and checked then, as are
// what needs the file itself (a link that points out) or DNS (a host name that resolves inward).
type PlaceCheck struct {
	// Workspace is the worker's workspace folder; nil when it cannot be opened (then paths and patterns
	// get only plan.Validate's check for "..", and the worker, which needs it, does not start).
	Workspace *workspace.Workspace
	Allow     fetch.Allow
}

// NewPlaceCheck is the check of the configuration: EAAPL_WORKSPACE (the working directory when empty) and
// EAAPL_HTTP_ALLOW (config.Validate has refused a malformed one; here it then allows nothing more). The
// folder stays open for the life of the process, like the worker's own (one per process, in NewPlanner).
func NewPlaceCheck(cfg config.Config) PlaceCheck {
	var c PlaceCheck
	if ws, err := workspace.Open(cmp.Or(cfg.Workspace, ".")); err == nil {
		c.Workspace = ws
	}
	c.Allow, _ = fetch.ParseAllow(cfg.HTTPAllow)
	return c
}

// Check is planner.Agent.Places: the first place of the plan that would be refused, in the words of the
// command's own refusal.
func (c PlaceCheck) Check(p *plan.Plan) error {
	for _, s := range p.Steps {
		cmd, ok := catalog.Lookup(s.Command)
		if !ok {
			continue // a construct (wait, check, answer) names no place
		}
		for _, f := range cmd.Args {
			for _, v := range literals(s.Args[f.Name]) {
				if err := c.place(f.Type, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// place checks one literal value of type t.
func (c PlaceCheck) place(t catalog.Type, v string) error {
	if elem, ok := t.Elem(); ok {
		t = elem
	}
	var err error
	switch {
	case t == catalog.Path && c.Workspace != nil:
		_, err = c.Workspace.Rel(v)
	case t == catalog.Glob && c.Workspace != nil:
		_, err = c.Workspace.Pattern(v)
	case t == catalog.URL:
		_, err = fetch.CheckURL(v, c.Allow)
	}
	return err
}

// literals are the texts of an argument's value (one, or a list's) that hold no expression.
func literals(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "${") {
			out = append(out, x)
		}
	case []any:
		for _, item := range x {
			out = append(out, literals(item)...)
		}
	}
	return out
}
