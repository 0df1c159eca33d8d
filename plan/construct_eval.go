package plan

import (
	"fmt"
	"regexp"

	"github.com/eaapl/eaapl/catalog"
)

// ConstructValue evaluates one expression of a construct step: a check's "that", an answer's "value",
// a wait for a reply's "to" and "from".
//
//workflowcheck:ignore (pure: see Compile)
func (c *Compiled) ConstructValue(id, field string, s Scope) (any, error) {
	v, ok := c.steps[id].construct[field]
	if !ok {
		return nil, fmt.Errorf("step %q has no %s", id, field)
	}
	out, err := v.eval(s)
	if err != nil {
		return nil, fmt.Errorf("step %q: %s.%s: %w", id, c.steps[id].step.Construct(), field, err)
	}
	return out, nil
}

// checkAll is the shape of a check over a list, as the planner writes it: LIST.all(ITEM, CONDITION).
var checkAll = regexp.MustCompile(`^\s*(.+?)\.all\(\s*([a-z][a-z0-9_]*)\s*,\s*(.+)\)\s*$`)

// compileCheckItems compiles, for a check of the shape LIST.all(ITEM, CONDITION), the list and the
// condition on one item, so that a failed check can name the items that fail it. A check of another
// shape, or one whose parts do not compile alone, names none: its sentence is all it says.
func (c *Compiled) compileCheckItems(s *Step) {
	m := checkAll.FindStringSubmatch(s.Check.That)
	if m == nil || reserved[m[2]] || m[2] == varSteps || m[2] == varNow {
		return
	}
	list, err := compileExpression(baseEnv, m[1])
	if err != nil {
		return
	}
	env, err := envFor(m[2])
	if err != nil {
		return
	}
	cond, err := compileExpression(env, m[3])
	if err != nil {
		return
	}
	cs := c.steps[s.ID]
	cs.construct["items"], cs.construct["item"] = whole{list}, whole{cond}
	cs.checkItem = m[2]
}

// FailingItems returns the items of a check over a list (LIST.all(ITEM, CONDITION)) that fail its
// condition, to name them when the check fails; nil for a check of another shape.
//
//workflowcheck:ignore (pure: see Compile)
func (c *Compiled) FailingItems(id string, s Scope) ([]any, error) {
	cs := c.steps[id]
	if cs.checkItem == "" {
		return nil, nil
	}
	v, err := cs.construct["items"].eval(s)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("step %q: check: the list is %s", id, catalog.Describe(v))
	}
	var failing []any
	s.ItemName = cs.checkItem
	for _, it := range items {
		s.Item = it
		v, err := cs.construct["item"].eval(s)
		if err != nil {
			return nil, err
		}
		if passed, _ := v.(bool); !passed {
			failing = append(failing, it)
		}
	}
	return failing, nil
}
