package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"google.golang.org/protobuf/types/known/structpb"
)

// Expressions are CEL (github.com/google/cel-go). They see three kinds of name:
const (
	varSteps = "steps" // map of step id -> that step's output
	varNow   = "now"   // the program's start time, a timestamp
	// ...and a for_each step's item, under the name its ForEach.As gives.
)

// reserved are CEL's reserved words (cel-spec langdef.md): an item called "null" would read as the literal,
// and one called "in" could not be written at all.
var reserved = map[string]bool{
	"as": true, "break": true, "const": true, "continue": true, "else": true, "false": true, "for": true,
	"function": true, "if": true, "import": true, "in": true, "let": true, "loop": true, "package": true,
	"namespace": true, "null": true, "return": true, "true": true, "var": true, "void": true, "while": true,
}

// costLimit bounds the work one expression may do, so that no plan can stall a workflow task.
const costLimit = 1_000_000

// Sizes bound what a plan's expressions make, because everything a step's arguments evaluate to goes into
// a Temporal payload, and a workflow task whose payloads pass Temporal's limits (2 MiB a payload, 4 MiB a
// gRPC message) fails at every retry, leaving the program running forever. The cost limit does not bound
// size: a template of 200 "${steps.compose.body}" costs 200 and makes 200 bodies. So both are checked as
// the values are made, before they grow past the limit, and the step fails with an error saying so.
const (
	// MaxTextBytes bounds a text a plan builds (a template, a string concatenation); an email body of a
	// quarter MiB is already far past what a person writes.
	MaxTextBytes = 256 << 10
	// MaxValueBytes bounds any value an argument, condition or for_each list evaluates to, measured as
	// the JSON it becomes: Temporal's default limit on one payload.
	MaxValueBytes = 2 << 20
)

// sizeEstimator is the CEL cost estimator that watches the texts an expression builds while it
// evaluates: CEL computes each concatenation, then asks its cost, and a text past MaxTextBytes stops the
// evaluation there. It leaves the cost of everything to CEL's defaults.
type sizeEstimator struct{}

func (sizeEstimator) CallCost(function, _ string, _ []ref.Val, result ref.Val) *uint64 {
	// By the function, not the overload: over dyn operands (every step output is dyn) the overload is
	// chosen at run time and the call carries none.
	if function != operators.Add {
		return nil
	}
	if n := textSize(result); n > MaxTextBytes {
		// The one way to stop an evaluation from inside: CEL's own cost limit panics so, and Eval
		// returns it as the error.
		panic(interpreter.EvalCancelledError{Cause: interpreter.CostLimitExceeded, Message: tooLongText(n)})
	}
	return nil
}

func textSize(v ref.Val) int {
	switch x := v.(type) {
	case types.String:
		return len(x)
	case types.Bytes:
		return len(x)
	}
	return 0
}

func tooLongText(n int) string {
	return fmt.Sprintf("it builds a text of %s, more than the %s a plan may build (MaxTextBytes)", kib(n), kib(MaxTextBytes))
}

func tooLargeValue() error {
	return fmt.Errorf("its value is larger than %s, Temporal's limit on a task's input (MaxValueBytes)", kib(MaxValueBytes))
}

// kib writes a size in KiB, or in MiB when it is whole MiBs.
func kib(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", (n+1023)>>10)
}

// celSize is the size of a CEL value as JSON, roughly; it stops counting once past limit, so measuring a
// huge value costs no more than measuring one at the limit.
func celSize(v ref.Val, limit int) int {
	switch x := v.(type) {
	case types.String:
		return len(x) + 2
	case types.Bytes:
		return len(x)*4/3 + 2
	case traits.Lister:
		n := 2
		for it := x.Iterator(); it.HasNext() == types.True && n <= limit; {
			n += celSize(it.Next(), limit-n) + 1
		}
		return n
	case traits.Mapper:
		n := 2
		for it := x.Iterator(); it.HasNext() == types.True && n <= limit; {
			k := it.Next()
			n += celSize(k, limit-n) + celSize(x.Get(k), limit-n) + 2
		}
		return n
	}
	return 8
}

// jsonSize is celSize for the plain Go values an evaluation returns.
func jsonSize(v any, limit int) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case []any:
		n := 2
		for _, e := range x {
			if n > limit {
				break
			}
			n += jsonSize(e, limit-n) + 1
		}
		return n
	case map[string]any:
		n := 2
		for k, e := range x {
			if n > limit {
				break
			}
			n += len(k) + 3 + jsonSize(e, limit-n) + 1
		}
		return n
	}
	return 8
}

// shortSource is an expression's source as errors quote it: at most a line's worth.
func shortSource(src string) string {
	const limit = 60
	if len(src) <= limit {
		return src
	}
	return src[:limit] + "..."
}

var structValueType = reflect.TypeFor[*structpb.Value]()

// baseEnv declares the names every expression sees.
// The string and list extensions give the planner's filters lowerAscii, split and slice ("the first 10").
var baseEnv = mustEnv(cel.NewEnv(
	cel.Variable(varSteps, cel.MapType(cel.StringType, cel.DynType)),
	cel.Variable(varNow, cel.TimestampType),
	ext.Strings(),
	ext.Lists(),
))

func mustEnv(env *cel.Env, err error) *cel.Env {
	if err != nil {
		// The declarations above are constants; an error here is a programming error caught by every test.
		panic(fmt.Sprintf("plan: CEL environment: %v", err))
	}
	return env
}

// envFor returns the environment of a step's expressions: the base names, plus its item name if any.
func envFor(item string) (*cel.Env, error) {
	if item == "" {
		return baseEnv, nil
	}
	return baseEnv.Extend(cel.Variable(item, cel.DynType))
}

// Scope is what expressions see when they are evaluated.
type Scope struct {
	Steps    map[string]any // outputs of the steps done so far
	Now      time.Time
	ItemName string
	Item     any
}

func (s Scope) activation() map[string]any {
	steps := s.Steps
	if steps == nil {
		steps = map[string]any{}
	}
	act := map[string]any{varSteps: steps, varNow: s.Now}
	if s.ItemName != "" {
		act[s.ItemName] = s.Item
	}
	return act
}

// expression is one compiled CEL expression.
type expression struct {
	src string
	ast *cel.Ast
	prg cel.Program
}

func compileExpression(env *cel.Env, src string) (*expression, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("expression %q: %s", src, strings.ReplaceAll(iss.Err().Error(), "\n", " "))
	}
	prg, err := env.Program(ast, cel.CostLimit(costLimit), cel.CostTracking(sizeEstimator{}))
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	return &expression{src: src, ast: ast, prg: prg}, nil
}

// eval returns the expression's value as plain JSON-like Go values (string, float64, bool, nil, []any,
// map[string]any), so it can go into an activity's parameters as it is.
func (e *expression) eval(s Scope) (any, error) {
	out, _, err := e.prg.Eval(s.activation())
	if err != nil {
		return nil, fmt.Errorf("${%s}: %w", shortSource(e.src), err)
	}
	// Measured before it is converted: the conversion would copy it whole.
	if celSize(out, MaxValueBytes) > MaxValueBytes {
		return nil, fmt.Errorf("${%s}: %w", shortSource(e.src), tooLargeValue())
	}
	native, err := out.ConvertToNative(structValueType)
	if err != nil {
		return nil, fmt.Errorf("${%s}: value of type %s cannot be used as data: %w", e.src, out.Type(), err)
	}
	return native.(*structpb.Value).AsInterface(), nil
}

// references returns the dotted paths the expression reads from name (steps or the item), e.g.
// ["contacts", "contacts"] for steps.contacts.contacts. A path stops at the first index or call.
func (e *expression) references(name string) [][]string {
	var paths [][]string
	root := celast.NavigateAST(e.ast.NativeRep())
	for _, n := range celast.MatchDescendants(root, celast.KindMatcher(celast.IdentKind)) {
		if n.AsIdent() != name {
			continue
		}
		var path []string
		cur := n
		for {
			parent, ok := cur.Parent()
			if !ok || parent.Kind() != celast.SelectKind || parent.AsSelect().Operand().ID() != cur.ID() {
				break
			}
			path = append(path, parent.AsSelect().FieldName())
			cur = parent
		}
		// An index such as steps["contacts"] reads a step too; its name is the literal key.
		if parent, ok := cur.Parent(); ok && len(path) == 0 && parent.Kind() == celast.CallKind {
			call := parent.AsCall()
			if call.FunctionName() == "_[_]" && len(call.Args()) == 2 && call.Args()[0].ID() == cur.ID() {
				if lit := call.Args()[1]; lit.Kind() == celast.LiteralKind {
					if key, ok := lit.AsLiteral().Value().(string); ok {
						path = append(path, key)
					}
				}
			}
		}
		paths = append(paths, path)
	}
	return paths
}

// value is a compiled argument value: literal JSON with any "${...}" strings compiled.
type value interface {
	eval(s Scope) (any, error)
	expressions() []*expression
}

type literal struct{ v any }

func (l literal) eval(Scope) (any, error)    { return l.v, nil }
func (l literal) expressions() []*expression { return nil }

// whole is a string that is exactly "${expr}": it takes the expression's value and type.
type whole struct{ e *expression }

func (w whole) eval(s Scope) (any, error)  { return w.e.eval(s) }
func (w whole) expressions() []*expression { return []*expression{w.e} }

// template is a string with text and "${expr}" parts: the parts' values are written into the text.
type template struct {
	texts []string // len(texts) == len(exprs)+1
	exprs []*expression
}

func (t template) eval(s Scope) (any, error) {
	var b strings.Builder
	write := func(text string) error {
		if n := b.Len() + len(text); n > MaxTextBytes {
			return errors.New(tooLongText(n))
		}
		b.WriteString(text)
		return nil
	}
	for i, e := range t.exprs {
		if err := write(t.texts[i]); err != nil {
			return nil, err
		}
		v, err := e.eval(s)
		if err != nil {
			return nil, err
		}
		if err := write(textOf(v)); err != nil {
			return nil, fmt.Errorf("${%s}: %w", shortSource(e.src), err)
		}
	}
	if err := write(t.texts[len(t.texts)-1]); err != nil {
		return nil, err
	}
	return b.String(), nil
}

func (t template) expressions() []*expression { return t.exprs }

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

type list []value

func (l list) eval(s Scope) (any, error) {
	out := make([]any, len(l))
	size := 2
	for i, v := range l {
		x, err := v.eval(s)
		if err != nil {
			return nil, err
		}
		if size += jsonSize(x, MaxValueBytes) + 1; size > MaxValueBytes {
			return nil, fmt.Errorf("[%d]: %w", i, tooLargeValue())
		}
		out[i] = x
	}
	return out, nil
}

func (l list) expressions() []*expression {
	var out []*expression
	for _, v := range l {
		out = append(out, v.expressions()...)
	}
	return out
}

type object map[string]value

func (o object) eval(s Scope) (any, error) {
	out := make(map[string]any, len(o))
	size := 2
	for _, k := range sortedKeys(o) { // sorted: the same plan fails at the same field every time
		x, err := o[k].eval(s)
		if err != nil {
			return nil, err
		}
		if size += len(k) + 3 + jsonSize(x, MaxValueBytes) + 1; size > MaxValueBytes {
			return nil, fmt.Errorf(".%s: %w", k, tooLargeValue())
		}
		out[k] = x
	}
	return out, nil
}

func (o object) expressions() []*expression {
	var out []*expression
	for _, k := range sortedKeys(o) {
		out = append(out, o[k].expressions()...)
	}
	return out
}

// compileValue compiles the "${...}" strings inside a JSON value.
func compileValue(env *cel.Env, v any) (value, error) {
	switch x := v.(type) {
	case string:
		return compileString(env, x)
	case []any:
		out := make(list, len(x))
		for i := range x {
			c, err := compileValue(env, x[i])
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(object, len(x))
		for _, k := range sortedKeys(x) {
			c, err := compileValue(env, x[k])
			if err != nil {
				return nil, fmt.Errorf(".%s: %w", k, err)
			}
			out[k] = c
		}
		return out, nil
	}
	return literal{v}, nil
}

// compileString compiles a string argument: literal text, one whole "${...}" expression (whose value
// keeps its type), or a template of text and expressions.
func compileString(env *cel.Env, s string) (value, error) {
	parts, err := SplitTemplate(s)
	if err != nil {
		return nil, err
	}
	var t template
	var text strings.Builder
	for _, part := range parts {
		if !part.Expr {
			text.WriteString(part.Text)
			continue
		}
		e, err := compileExpression(env, part.Text)
		if err != nil {
			return nil, err
		}
		t.texts = append(t.texts, text.String())
		t.exprs = append(t.exprs, e)
		text.Reset()
	}
	t.texts = append(t.texts, text.String())
	if len(t.exprs) == 0 {
		return literal{t.texts[0]}, nil
	}
	if len(t.exprs) == 1 && t.texts[0] == "" && t.texts[1] == "" {
		return whole{t.exprs[0]}, nil
	}
	return t, nil
}

// Part is a piece of a string argument: literal text, or the source of one "${...}" expression.
type Part struct {
	Text string
	Expr bool
}

// SplitTemplate splits a string argument into literal text and "${...}" expressions, the one way the
// plan and its readers (the evaluation's comparison) see them. "$${" is a literal "${".
func SplitTemplate(s string) ([]Part, error) {
	var parts []Part
	var text strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			text.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			text.WriteByte(s[i])
			i++
			continue
		}
		end, err := closingBrace(s, i+2)
		if err != nil {
			return nil, err
		}
		if text.Len() > 0 {
			parts = append(parts, Part{Text: text.String()})
			text.Reset()
		}
		parts = append(parts, Part{Text: s[i+2 : end], Expr: true})
		i = end + 1
	}
	if text.Len() > 0 || len(parts) == 0 {
		parts = append(parts, Part{Text: text.String()})
	}
	return parts, nil
}

// closingBrace finds the "}" that ends an expression starting at from, skipping braces inside the
// expression's own map literals and strings.
func closingBrace(s string, from int) (int, error) {
	depth := 0
	var quote byte
	for i := from; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			if depth == 0 {
				return i, nil
			}
			depth--
		}
	}
	return 0, fmt.Errorf("%q has \"${\" without a closing \"}\" (write \"$${\" for a literal \"${\")", s)
}
