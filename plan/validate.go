package plan

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	// The built-in commands: every plan may use them, so whatever checks or runs plans knows them.
	_ "github.com/eaapl/eaapl/activities/builtin"
	"github.com/eaapl/eaapl/catalog"
	"github.com/google/cel-go/cel"
)

// Error is a plan that cannot run: it names the step and the field at fault.
type Error struct {
	Step  string // empty when the fault is in the plan as a whole
	Field string // e.g. "command", "args.to", "depends_on", "if"
	Err   error
}

func (e *Error) Error() string {
	switch {
	case e.Step != "":
		return fmt.Sprintf("invalid plan: step %q: %s: %v", e.Step, e.Field, e.Err)
	case e.Field != "":
		return fmt.Sprintf("invalid plan: %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("invalid plan: %v", e.Err) // the document itself, from Parse
}

func (e *Error) Unwrap() error { return e.Err }

// ValueError is a literal argument its command's type refuses: a file path that leaves the workspace, a
// malformed address. Written by a person into a program, it is the program's fault, not the planner's.
type ValueError struct{ Err error }

func (e *ValueError) Error() string { return e.Err.Error() }
func (e *ValueError) Unwrap() error { return e.Err }

var (
	idPattern        = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	referencePattern = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*(\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$`)
)

// Compiled is a validated plan with its expressions compiled, ready for the workflow to evaluate.
type Compiled struct {
	Plan  *Plan
	Order []string // step ids, dependencies first, otherwise in plan order
	steps map[string]*compiledStep
	cat   Catalog // where the commands were looked up, for those a construct asks (ReplyFinder)
}

type compiledStep struct {
	step       *Step
	cmd        catalog.Command
	deps       []string // depends_on, after and the steps its expressions read, in plan order
	orderOnly  []string // after: the deps it waits for only for order, in plan order
	dependents []string
	args       map[string]value
	items      value
	itemType   catalog.Type
	cond       *expression
	construct  map[string]value // a construct step's expressions, by field: "that", "value", "to", "from"
	checkItem  string           // a check over a list: the name of its item (FailingItems)
	poll       catalog.Command  // an await_reply step: the command it asks whether the reply came
}

// Validate checks a plan against the command catalog: version, step ids, commands, arguments and their
// types, references to other steps and their outputs, conditions, for_each lists and dependency cycles;
// for a plan with a schedule, the schedule and the steps as the plan of one run. The error names the step
// and the field.
func Validate(p *Plan) error {
	if p != nil && p.Schedule != nil {
		return validateScheduled(p)
	}
	_, err := Compile(p)
	return err
}

// Catalog is where a plan's commands are looked up: the registry (Registered), or the entries a plan was
// checked against when it was made (catalog.Entries), so that a running program keeps them whatever a
// new release changes.
type Catalog interface {
	Lookup(name string) (catalog.Command, bool)
	Names() []string
}

// Registered is the catalog of the registered commands.
var Registered Catalog = registered{}

type registered struct{}

func (registered) Lookup(name string) (catalog.Command, bool) { return catalog.Lookup(name) }
func (registered) Names() []string                            { return catalog.Names() }

// Compile validates a plan against the registered commands and compiles its expressions (CompileWith), to
// run it. A plan with a schedule is not run itself (constructs.go, errScheduled), so it does not compile;
// Validate checks it.
//
//workflowcheck:ignore
func Compile(p *Plan) (*Compiled, error) { return CompileWith(p, Registered) }

// CompileWith validates a plan against the commands of cat and compiles its expressions. It is a pure
// function of the plan and cat, safe in workflow code; workflowcheck sees CEL's parser's unused debug
// printing and sorted map walks, so it is told to skip it.
//
//workflowcheck:ignore
func CompileWith(p *Plan, cat Catalog) (*Compiled, error) {
	if p == nil {
		return nil, &Error{Field: "plan", Err: errors.New("no plan")}
	}
	if p.Version != Version {
		return nil, &Error{Field: "version", Err: fmt.Errorf("version %d is not supported; this EaaPL reads version %d", p.Version, Version)}
	}
	if len(p.Steps) == 0 {
		return nil, &Error{Field: "steps", Err: errors.New("the plan has no steps")}
	}
	c := &Compiled{Plan: p, cat: cat, steps: make(map[string]*compiledStep, len(p.Steps))}
	for i := range p.Steps {
		s := &p.Steps[i]
		if !idPattern.MatchString(s.ID) {
			return nil, &Error{Field: fmt.Sprintf("steps[%d].id", i), Err: fmt.Errorf("%q is not a step id: use lower-case letters, digits and _, starting with a letter", s.ID)}
		}
		if _, dup := c.steps[s.ID]; dup {
			return nil, &Error{Step: s.ID, Field: "id", Err: errors.New("two steps have this id")}
		}
		cmd, err := commandOf(s, cat)
		if err != nil {
			return nil, err
		}
		c.steps[s.ID] = &compiledStep{step: s, cmd: cmd}
	}
	if p.Schedule != nil {
		return nil, &Error{Field: "schedule", Err: errScheduled}
	}
	for i := range p.Steps {
		if err := c.compileStep(&p.Steps[i]); err != nil {
			return nil, err
		}
	}
	if err := c.order(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Compiled) compileStep(s *Step) error {
	cs := c.steps[s.ID]
	fail := func(field string, err error) error { return &Error{Step: s.ID, Field: field, Err: err} }
	deps := map[string]bool{}
	for _, d := range s.DependsOn {
		if d == s.ID {
			return fail("depends_on", errors.New("a step cannot depend on itself"))
		}
		if _, ok := c.steps[d]; !ok {
			return fail("depends_on", fmt.Errorf("no step %q; the steps are %s", d, c.stepList()))
		}
		deps[d] = true
	}
	for _, d := range s.After {
		switch _, ok := c.steps[d]; {
		case d == s.ID:
			return fail("after", errors.New("a step cannot come after itself"))
		case !ok:
			return fail("after", fmt.Errorf("no step %q; the steps are %s", d, c.stepList()))
		case deps[d]:
			return fail("after", fmt.Errorf("%q is in depends_on too: list it in depends_on if this step must not run when it is skipped, in after if it only comes after it", d))
		}
	}
	switch s.Priority {
	case "", PriorityNormal, PriorityHigh:
	default:
		return fail("priority", fmt.Errorf("%q is not a priority; use %q or %q", s.Priority, PriorityNormal, PriorityHigh))
	}
	if _, err := applyRetry(cs.cmd.Retry, s.Retry); err != nil {
		var pe *Error
		errors.As(err, &pe)
		return fail(pe.Field, pe.Err)
	}

	itemName := ""
	if s.ForEach != nil {
		itemName = s.ForEach.As
		if !idPattern.MatchString(itemName) || itemName == varSteps || itemName == varNow {
			return fail("for_each.as", fmt.Errorf("%q cannot name the item: use lower-case letters, digits and _, and not %q or %q", itemName, varSteps, varNow))
		}
		if reserved[itemName] {
			return fail("for_each.as", fmt.Errorf("%q cannot name the item: it is a reserved word in expressions", itemName))
		}
		items, err := compileValue(baseEnv, s.ForEach.Items)
		if err != nil {
			return fail("for_each.items", err)
		}
		typ, err := c.checkValue(s, deps, items, "", nil)
		if err != nil {
			return fail("for_each.items", err)
		}
		elem, isList := typ.Elem()
		switch {
		case isList:
			cs.itemType = elem
		case typ == catalog.Any:
			cs.itemType = catalog.Any
		default:
			return fail("for_each.items", fmt.Errorf("must be a list, and %s is %s", s.ForEach.Items, catalog.TypeName(typ)))
		}
		cs.items = items
	}
	env, err := envFor(itemName)
	if err != nil {
		return fail("for_each.as", err)
	}

	cs.args = make(map[string]value, len(s.Args))
	for _, name := range sortedKeys(s.Args) {
		field, ok := cs.cmd.Arg(name)
		if !ok {
			return fail("args."+name, fmt.Errorf("%s takes no argument %q; its arguments are %s", s.Command, name, fieldList(cs.cmd.Args)))
		}
		v, err := compileValue(env, s.Args[name])
		if err != nil {
			return fail("args."+name, err)
		}
		typ, err := c.checkValue(s, deps, v, itemName, &cs.itemType)
		if err != nil {
			return fail("args."+name, err)
		}
		if !assignable(typ, field.Type) {
			return fail("args."+name, fmt.Errorf("%s needs %s here, and %v is %s", s.Command, catalog.TypeName(field.Type), s.Args[name], catalog.TypeName(typ)))
		}
		if len(v.expressions()) == 0 {
			// No expression: the value is known now (an object or list too), so check it now.
			lit, err := v.eval(Scope{})
			if err == nil {
				if err = CheckType(field.Type, lit); err != nil {
					err = &ValueError{Err: err}
				}
			}
			if err != nil {
				return fail("args."+name, err)
			}
		}
		cs.args[name] = v
	}
	for _, f := range cs.cmd.Args {
		if _, ok := s.Args[f.Name]; f.Required && !ok {
			return fail("args."+f.Name, fmt.Errorf("%s needs the argument %q (%s, %s)", s.Command, f.Name, f.Type, f.Description))
		}
	}

	if s.If != "" {
		e, err := compileExpression(env, s.If)
		if err != nil {
			return fail("if", err)
		}
		if t := e.ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			return fail("if", fmt.Errorf("%q must be true or false, and it is %s", s.If, celTypeName(t)))
		}
		typ, err := c.checkValue(s, deps, whole{e}, itemName, &cs.itemType)
		if err != nil {
			return fail("if", err)
		}
		if typ != catalog.Bool && typ != catalog.Any {
			return fail("if", fmt.Errorf("%q must be true or false, and it is %s", s.If, catalog.TypeName(typ)))
		}
		cs.cond = e
	}

	if err := c.compileConstruct(s, deps); err != nil {
		return err
	}
	after := map[string]bool{}
	for _, d := range s.After {
		if deps[d] { // read: a step it reads is one it depends on, which after would let run without it
			return fail("after", fmt.Errorf("this step reads steps.%s, so it depends on it; after is for a step it only comes after", d))
		}
		after[d] = true
	}
	for _, other := range c.Plan.Steps {
		if deps[other.ID] || after[other.ID] {
			cs.deps = append(cs.deps, other.ID)
		}
		if after[other.ID] {
			cs.orderOnly = append(cs.orderOnly, other.ID)
		}
	}
	return nil
}

// checkValue checks the references of a compiled value and returns its static type: the referenced
// field's type for a bare reference, string for text, the literal's type, and any when it cannot tell.
// Steps it reads are added to deps.
func (c *Compiled) checkValue(s *Step, deps map[string]bool, v value, itemName string, itemType *catalog.Type) (catalog.Type, error) {
	for _, e := range v.expressions() {
		for _, path := range e.references(varSteps) {
			if _, err := c.stepRefType(s, path); err != nil {
				return "", err
			}
			if len(path) > 0 {
				deps[path[0]] = true
			}
		}
		if itemName != "" {
			for _, path := range e.references(itemName) {
				if _, err := walkFields(*itemType, itemName, path); err != nil {
					return "", err
				}
			}
		}
	}
	switch x := v.(type) {
	case literal:
		return literalType(x.v), nil
	case template:
		return catalog.String, nil
	case whole:
		if !referencePattern.MatchString(x.e.src) {
			return catalog.Any, nil
		}
		path := strings.Split(strings.Join(strings.Fields(x.e.src), ""), ".")
		switch {
		case path[0] == varSteps:
			return c.stepRefType(s, path[1:])
		case itemName != "" && path[0] == itemName:
			return walkFields(*itemType, itemName, path[1:])
		}
	}
	return catalog.Any, nil
}

// stepRefType returns the type of steps.<path>.
func (c *Compiled) stepRefType(s *Step, path []string) (catalog.Type, error) {
	if len(path) == 0 {
		// Without a step id the step cannot know what to wait for, and would read outputs not made yet.
		return "", fmt.Errorf("steps must be followed by a step id, as in steps.%s.<output>", c.Plan.Steps[0].ID)
	}
	id := path[0]
	if id == s.ID {
		return "", fmt.Errorf("steps.%s: a step cannot read its own output", id)
	}
	target, ok := c.steps[id]
	if !ok {
		return "", fmt.Errorf("steps.%s: no step %q; the steps are %s", id, id, c.stepList())
	}
	if target.step.ForEach != nil {
		if len(path) > 1 {
			return "", fmt.Errorf("steps.%s.%s: step %q runs once per item, so its output is a list", id, path[1], id)
		}
		return catalog.ListOf(catalog.Any), nil
	}
	if len(path) == 1 {
		return catalog.Any, nil
	}
	field, ok := target.cmd.OutputField(path[1])
	if !ok {
		return "", fmt.Errorf("steps.%s.%s: %s has no output %q; its outputs are %s", id, path[1], target.cmd.Name, path[1], fieldList(target.cmd.Output))
	}
	return walkFields(field.Type, "steps."+id+"."+path[1], path[2:])
}

// walkFields follows field names into an object type.
func walkFields(t catalog.Type, prefix string, path []string) (catalog.Type, error) {
	for _, name := range path {
		if t == catalog.Any {
			return catalog.Any, nil
		}
		fields, ok := t.Fields()
		if !ok {
			return "", fmt.Errorf("%s is a %s, which has no field %q", prefix, t, name)
		}
		f, ok := findField(fields, name)
		if !ok {
			return "", fmt.Errorf("%s is a %s, which has no field %q; its fields are %s", prefix, t, name, fieldList(fields))
		}
		t, prefix = f.Type, prefix+"."+name
	}
	return t, nil
}

func findField(fields []catalog.Field, name string) (catalog.Field, bool) {
	i := slices.IndexFunc(fields, func(f catalog.Field) bool { return f.Name == name })
	if i < 0 {
		return catalog.Field{}, false
	}
	return fields[i], true
}

// literalType is the static type of a literal: its JSON kind. An object is of no type in particular
// (any): the argument's type checks its content (CheckType), whatever its fields are called.
func literalType(v any) catalog.Type {
	switch v.(type) {
	case string:
		return catalog.String
	case bool:
		return catalog.Bool
	case []any:
		return catalog.ListOf(catalog.Any)
	}
	if catalog.IsWholeNumber(v) {
		return catalog.Int
	}
	return catalog.Any
}

// assignable reports whether a value of type from may be given where to is expected, as the types'
// definitions say: a string may stand for an address, a time or a contact (an address); CheckType checks
// its content.
func assignable(from, to catalog.Type) bool { return catalog.Assignable(from, to) }

// CheckType checks a JSON value against a catalog type, with an error that says what was expected.
func CheckType(t catalog.Type, v any) error { return catalog.CheckValue(t, v) }

// order sorts the steps so that each comes after its dependencies, keeping plan order otherwise, and
// fails on a cycle, naming it.
func (c *Compiled) order() error {
	indegree := map[string]int{}
	for _, s := range c.Plan.Steps {
		cs := c.steps[s.ID]
		indegree[s.ID] = len(cs.deps)
		for _, d := range cs.deps {
			c.steps[d].dependents = append(c.steps[d].dependents, s.ID)
		}
	}
	done := map[string]bool{}
	for len(c.Order) < len(c.Plan.Steps) {
		progressed := false
		for _, s := range c.Plan.Steps {
			if done[s.ID] || indegree[s.ID] > 0 {
				continue
			}
			done[s.ID], progressed = true, true
			c.Order = append(c.Order, s.ID)
			for _, d := range c.steps[s.ID].dependents {
				indegree[d]--
			}
		}
		if !progressed {
			cycle := c.findCycle(done)
			return &Error{Step: cycle[0], Field: "depends_on", Err: fmt.Errorf("dependency cycle: %s", strings.Join(cycle, " -> "))}
		}
	}
	return nil
}

// findCycle returns one cycle among the steps not done, as a path that ends where it starts.
func (c *Compiled) findCycle(done map[string]bool) []string {
	var start string
	for _, s := range c.Plan.Steps {
		if !done[s.ID] {
			start = s.ID
			break
		}
	}
	seen := map[string]int{}
	var path []string
	for cur := start; ; {
		if i, ok := seen[cur]; ok {
			return append(path[i:], cur)
		}
		seen[cur] = len(path)
		path = append(path, cur)
		for _, d := range c.steps[cur].deps {
			if !done[d] {
				cur = d
				break
			}
		}
	}
}

func (c *Compiled) stepList() string {
	ids := make([]string, len(c.Plan.Steps))
	for i, s := range c.Plan.Steps {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}

func fieldList(fields []catalog.Field) string {
	if len(fields) == 0 {
		return "none"
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}

// celTypeName names a CEL type in plain words, as catalog.TypeName names the catalog's: "a whole number".
func celTypeName(t *cel.Type) string {
	switch t.Kind() {
	case cel.StringType.Kind():
		return "text"
	case cel.IntType.Kind(), cel.UintType.Kind():
		return "a whole number"
	case cel.DoubleType.Kind():
		return "a number"
	case cel.TimestampType.Kind():
		return "a time"
	case cel.DurationType.Kind():
		return "a duration"
	case cel.BytesType.Kind():
		return "bytes"
	case cel.NullType.Kind():
		return "nothing (null)"
	case cel.ListType(cel.DynType).Kind():
		return "a list"
	case cel.MapType(cel.DynType, cel.DynType).Kind():
		return "an object"
	}
	return "a " + t.String()
}
