package plan

import (
	"fmt"

	"github.com/eaapl/eaapl/catalog"
)

// Step returns a step of the compiled plan.
func (c *Compiled) Step(id string) *Step { return c.steps[id].step }

// Command returns the catalog entry of a step's command.
func (c *Compiled) Command(id string) catalog.Command { return c.steps[id].cmd }

// ItemType returns the type of a for_each step's items (any when it cannot tell, or without for_each).
func (c *Compiled) ItemType(id string) catalog.Type {
	if t := c.steps[id].itemType; t != "" {
		return t
	}
	return catalog.Any
}

// Deps returns the steps a step waits for: its depends_on, its after and the steps its expressions read.
func (c *Compiled) Deps(id string) []string { return c.steps[id].deps }

// OrderOnly returns the steps of Deps a step waits for only for order (its after): one of them skipped
// by a condition does not skip it.
func (c *Compiled) OrderOnly(id string) []string { return c.steps[id].orderOnly }

// Dependents returns the steps that wait for a step.
func (c *Compiled) Dependents(id string) []string { return c.steps[id].dependents }

// Items evaluates a for_each step's list.
//
//workflowcheck:ignore (pure: see Compile)
func (c *Compiled) Items(id string, s Scope) ([]any, error) {
	cs := c.steps[id]
	if cs.items == nil {
		return nil, fmt.Errorf("step %q has no for_each", id)
	}
	v, err := cs.items.eval(s)
	if err != nil {
		return nil, fmt.Errorf("step %q: for_each.items: %w", id, err)
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("step %q: for_each.items: %s is %s, not a list", id, cs.step.ForEach.Items, catalog.Describe(v))
	}
	return items, nil
}

// Condition evaluates a step's if; a step without one always runs.
//
//workflowcheck:ignore (pure: see Compile)
func (c *Compiled) Condition(id string, s Scope) (bool, error) {
	cs := c.steps[id]
	if cs.cond == nil {
		return true, nil
	}
	v, err := cs.cond.eval(s)
	if err != nil {
		return false, fmt.Errorf("step %q: if: %w", id, err)
	}
	ok, isBool := v.(bool)
	if !isBool {
		return false, fmt.Errorf("step %q: if: %q is %s, not true or false", id, cs.step.If, catalog.Describe(v))
	}
	return ok, nil
}

// Args evaluates a step's arguments and checks them against the command's argument types.
//
//workflowcheck:ignore (pure: see Compile)
func (c *Compiled) Args(id string, s Scope) (map[string]any, error) {
	cs := c.steps[id]
	args := make(map[string]any, len(cs.args))
	for _, name := range sortedKeys(cs.args) {
		v, err := cs.args[name].eval(s)
		if err != nil {
			return nil, fmt.Errorf("step %q: args.%s: %w", id, name, err)
		}
		field, _ := cs.cmd.Arg(name)
		// A stored list given to an argument that takes one: the command reads and checks its items.
		if stored := field.Stored && catalog.IsStoredList(v); !stored {
			if err := CheckType(field.Type, v); err != nil {
				return nil, fmt.Errorf("step %q: args.%s: %w", id, name, err)
			}
		}
		args[name] = v
	}
	return args, nil
}
