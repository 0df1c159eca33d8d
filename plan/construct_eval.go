package plan

import "fmt"

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
