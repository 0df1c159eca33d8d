package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/eaapl/eaapl/activities/email"
	"github.com/eaapl/eaapl/plan"
)

// Plans are compared by what they do, not how they are written. canonical rewrites a valid plan into a
// form where two plans that run the same commands with the same arguments, lists, conditions and order
// constraints are the same text:
//
//   - descriptions, skip reasons and the program text are dropped (they are prose for people);
//   - step ids become s1, s2, ... in dependency order (ties by command name), and every reference follows;
//   - a for_each item is always called "item";
//   - CEL expressions are re-printed from their syntax tree, so spacing and redundant parentheses do not
//     count;
//   - depends_on becomes every step a step waits for, directly or through others, whether the plan says
//     so in depends_on, in after or by reading that step's output; the steps of its after are also
//     listed as order_only, for they behave differently when a condition skips them;
//   - an optional argument that says what its absence says is dropped: an empty subject, a priority of
//     "normal", an "until" equal to the start of the program (rounded up to the second), and the empty
//     name of a literal contact; a literal contact with only an address is that address, as SendEmail
//     reads it.
//
// Everything else counts: the commands, the messages to the character, the recipients, the times.
func canonical(p *plan.Plan, now time.Time) (string, error) {
	schedule := p.Schedule
	if schedule != nil {
		// A schedule's plan is compared as the schedule and the plan of one run.
		if err := plan.Validate(p); err != nil {
			return "", err
		}
		run := *p
		run.Schedule = nil
		p = &run
	}
	c, err := plan.Compile(p)
	if err != nil {
		return "", err
	}
	// Dependency order with ties broken by command, then by the original order.
	order := make([]string, 0, len(p.Steps))
	done := map[string]bool{}
	for len(order) < len(p.Steps) {
		var ready []*plan.Step
		for i := range p.Steps {
			s := &p.Steps[i]
			if done[s.ID] {
				continue
			}
			if !slices.ContainsFunc(c.Deps(s.ID), func(d string) bool { return !done[d] }) {
				ready = append(ready, s)
			}
		}
		slices.SortStableFunc(ready, func(a, b *plan.Step) int { return cmp.Compare(a.Command, b.Command) })
		done[ready[0].ID] = true
		order = append(order, ready[0].ID)
	}
	rename := map[string]string{}
	for i, id := range order {
		rename[id] = fmt.Sprintf("s%d", i+1)
	}
	closure := func(id string) []string {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(id string) {
			for _, d := range c.Deps(id) {
				if !seen[d] {
					seen[d] = true
					walk(d)
				}
			}
		}
		walk(id)
		var out []string
		for d := range seen {
			out = append(out, rename[d])
		}
		slices.Sort(out)
		return out
	}
	until := ceilSecond(now).Format(time.RFC3339)

	var steps []map[string]any
	for _, id := range order {
		s := c.Step(id)
		item := ""
		if s.ForEach != nil {
			item = s.ForEach.As
		}
		rw := func(text string, isExpr bool) (string, error) { return rewrite(text, isExpr, rename, item) }
		out := map[string]any{"id": rename[id], "command": s.Command}
		args := map[string]any{}
		for k, v := range s.Args {
			v, err := canonicalValue(v, rw)
			if err != nil {
				return "", fmt.Errorf("step %q: args.%s: %w", id, k, err)
			}
			if v == "" || (k == "until" && s.Command == email.CheckEmailHistory.Name && sameTime(v, until)) {
				continue
			}
			args[k] = v
		}
		if len(args) > 0 {
			out["args"] = args
		}
		if deps := closure(id); len(deps) > 0 {
			out["after"] = deps
		}
		// Which of them it waits for only for order (plan.Step.After): one a condition skipped does not
		// skip it, as a dependency would.
		if only := c.OrderOnly(id); len(only) > 0 {
			renamed := make([]string, len(only))
			for i, d := range only {
				renamed[i] = rename[d]
			}
			slices.Sort(renamed)
			out["order_only"] = renamed
		}
		if s.ForEach != nil {
			items, err := rw(s.ForEach.Items, false)
			if err != nil {
				return "", fmt.Errorf("step %q: for_each.items: %w", id, err)
			}
			out["for_each"] = items
		}
		if s.If != "" {
			cond, err := rw(s.If, true)
			if err != nil {
				return "", fmt.Errorf("step %q: if: %w", id, err)
			}
			out["if"] = cond
		}
		if s.Priority == plan.PriorityHigh {
			out["priority"] = s.Priority
		}
		if name := s.Construct(); name != "" {
			v, err := constructValue(s, rw)
			if err != nil {
				return "", fmt.Errorf("step %q: %s: %w", id, name, err)
			}
			out[name] = v
		}
		steps = append(steps, out)
	}
	var doc any = steps
	if schedule != nil {
		doc = map[string]any{"schedule": schedule, "steps": steps}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return string(b), err
}

// constructValue is a construct step's fields, with its expressions rewritten and the prose (a check's
// error, an answer's label) dropped.
func constructValue(s *plan.Step, rw func(string, bool) (string, error)) (any, error) {
	var fields map[string]any
	b, err := json.Marshal(struct {
		*plan.Wait
		*plan.AwaitReply
		*plan.Check
		*plan.Answer
	}{s.Wait, s.AwaitReply, s.Check, s.Answer})
	if err == nil {
		err = json.Unmarshal(b, &fields)
	}
	if err != nil {
		return nil, err
	}
	delete(fields, "error")
	delete(fields, "label")
	for k, v := range fields {
		text, _ := v.(string)
		if k == "that" {
			v, err = rw(text, true)
		} else {
			v, err = canonicalValue(text, rw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		fields[k] = v
	}
	return fields, nil
}

// canonicalValue rewrites the expressions of an argument value and drops empty contact names.
func canonicalValue(v any, rw func(string, bool) (string, error)) (any, error) {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return t.UTC().Format(time.RFC3339), nil
		}
		return rw(x, false)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			e, err := canonicalValue(e, rw)
			if err != nil {
				return nil, err
			}
			if k == "name" && e == "" {
				continue
			}
			out[k] = e
		}
		if email, ok := out["email"].(string); ok && len(out) == 1 {
			return email, nil // a literal contact with only an address sends as the address does
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			e, err := canonicalValue(e, rw)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	return v, nil
}

var (
	stepsPattern = regexp.MustCompile(`\bsteps\.([a-z][a-z0-9_]*)`)
	celParser    = mustParser()
)

func mustParser() *cel.Env {
	env, err := cel.NewEnv(cel.EnableMacroCallTracking()) // so that filter(...) and all(...) print back
	if err != nil {
		panic(err)
	}
	return env
}

// rewrite renames steps and the item in a text argument's ${...} parts, or in a whole expression (a
// condition), and re-prints each expression from its syntax tree. Literal text is kept as written.
func rewrite(text string, isExpr bool, rename map[string]string, item string) (string, error) {
	one := func(expr string) (string, error) {
		expr = stepsPattern.ReplaceAllStringFunc(expr, func(m string) string {
			if id, ok := rename[m[len("steps."):]]; ok {
				return "steps." + id
			}
			return m
		})
		if item != "" {
			expr = renameIdent(expr, item, "item")
		}
		ast, iss := celParser.Parse(expr)
		if iss.Err() != nil {
			return "", iss.Err()
		}
		return cel.AstToString(ast)
	}
	if isExpr {
		return one(text)
	}
	parts, err := plan.SplitTemplate(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, part := range parts {
		if !part.Expr {
			b.WriteString(strings.ReplaceAll(part.Text, "${", "$${"))
			continue
		}
		e, err := one(part.Text)
		if err != nil {
			return "", err
		}
		b.WriteString("${" + e + "}")
	}
	return b.String(), nil
}

// renameIdent renames an identifier outside CEL string literals, and not after a dot (a field of the same
// name stays).
func renameIdent(expr, from, to string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(expr); i++ {
		ch := expr[i]
		switch {
		case quote != 0:
			if ch == '\\' && i+1 < len(expr) {
				b.WriteByte(ch)
				i++
				ch = expr[i]
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case strings.HasPrefix(expr[i:], from) && (i == 0 || !isIdentByte(expr[i-1]) && expr[i-1] != '.') &&
			(i+len(from) == len(expr) || !isIdentByte(expr[i+len(from)])):
			b.WriteString(to)
			i += len(from) - 1
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func sameTime(v any, rfc3339 string) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err1 := time.Parse(time.RFC3339, s)
	b, err2 := time.Parse(time.RFC3339, rfc3339)
	return err1 == nil && err2 == nil && a.Equal(b)
}

func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}
