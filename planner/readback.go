package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// ReadBackConstruct writes a construct step in plain English for the read-back shown before a program
// runs, and false for a step that runs a command (the command's own read-back covers it). The times are
// written in loc.
func ReadBackConstruct(s plan.Step, loc *time.Location) (string, bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case s.Wait != nil && s.Wait.Until != "":
		t, err := time.Parse(time.RFC3339, s.Wait.Until)
		if err != nil {
			return "Wait until " + s.Wait.Until + ".", true
		}
		return "Wait until " + t.In(loc).Format("Monday 2 January at 15:04") + ".", true
	case s.Wait != nil:
		d, err := time.ParseDuration(s.Wait.For)
		if err != nil {
			return "Wait " + s.Wait.For + ".", true
		}
		return "Wait " + catalog.DescribeDuration(d) + ".", true
	case s.AwaitReply != nil:
		within := s.AwaitReply.Within
		if d, err := time.ParseDuration(within); err == nil {
			within = catalog.DescribeDuration(d)
		}
		from := s.AwaitReply.From
		if strings.Contains(from, "${") {
			from = "the recipient"
		}
		return fmt.Sprintf("Wait up to %s for a reply from %s to that email; a reply ends the wait.", within, from), true
	case s.Check != nil:
		return "Before sending, check: " + checkWords(s.Check) + ".", true
	case s.Answer != nil:
		switch s.Answer.Kind {
		case plan.AnswerNumber:
			return "Answer with " + s.Answer.Label + ".", true
		case plan.AnswerList:
			return "Answer with the list of " + s.Answer.Label + ".", true
		}
		return "Answer with " + s.Answer.Label + ".", true
	}
	return "", false
}

// checkWords says what a check checks, from its error ("the placeholder {first name} cannot be filled:
// ...") when it is one of the planner's.
func checkWords(c *plan.Check) string {
	if ph, _, ok := strings.Cut(strings.TrimPrefix(c.Error, "the placeholder "), " cannot be filled"); ok && strings.HasPrefix(c.Error, "the placeholder ") {
		return "every contact it goes to has a name to fill " + ph
	}
	return c.Error
}

// ReadBackSchedule writes a schedule in plain English: "Every weekday at 9:00 (UTC), run: send ...".
func ReadBackSchedule(sc *plan.Schedule) string {
	var parts []string
	for _, cal := range sc.Calendar {
		c := scheduleClause{days: cal.DaysOfWeek, dayOfMonth: cal.DayOfMonth, clock: clock{cal.Hour, cal.Minute}}
		parts = append(parts, c.describe())
	}
	when := strings.Join(parts, ", and ")
	return fmt.Sprintf("%s%s (%s), run: %s", strings.ToUpper(when[:1]), when[1:], sc.TimeZone, sc.Program)
}

// ReadBackCondition writes a step's "if" in plain English, for the conditions the rule-based planner
// writes: "you have not emailed alice@example.com since Tuesday 1 December", "the label (step 2) is
// \"urgent\"", "the page's text (step 1) contains \"down\"", "there are more than 5 rows (step 1)"; false
// for any other condition (the read-back then shows it as written). The expression is parsed with CEL's
// parser, never matched as text, so a condition of another shape is never misread.
func ReadBackCondition(p *plan.Plan, cond string, loc *time.Location) (string, bool) {
	if loc == nil {
		loc = time.UTC
	}
	env, err := cel.NewEnv()
	if err != nil {
		return "", false
	}
	tree, iss := env.Parse(cond)
	if iss.Err() != nil {
		return "", false
	}
	return conditionWords(p, tree.NativeRep().Expr(), loc)
}

func conditionWords(p *plan.Plan, e celast.Expr, loc *time.Location) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); {
	case fn == "!_" && len(args) == 1:
		// !(x in steps.h.emailed): the check of one recipient; !(value condition): its negation.
		if in := args[0]; in.Kind() == celast.CallKind && in.AsCall().FunctionName() == "@in" && len(in.AsCall().Args()) == 2 {
			addr, ok := emailedWhom(p, in.AsCall().Args()[0])
			s, out, ok2 := stepOutput(p, in.AsCall().Args()[1])
			if !ok || !ok2 || out != "emailed" || s.Command == "" {
				return "", false
			}
			since, ok := s.Args["since"].(string)
			t, err := time.Parse(time.RFC3339, since)
			if !ok || err != nil {
				return "", false
			}
			return fmt.Sprintf("you have not emailed %s since %s", addr, t.In(loc).Format("Monday 2 January")), true
		}
		words, ok := conditionWords(p, args[0], loc)
		if !ok {
			return "", false
		}
		for _, r := range [][2]string{{" contains ", " does not contain "}, {" is ", " is not "}} {
			if strings.Contains(words, r[0]) {
				return strings.Replace(words, r[0], r[1], 1), true
			}
		}
		return "", false
	case fn == "_==_" && len(args) == 2: // steps.s.f.trim().lowerAscii() == "x"
		text, ok := stringLiteral(args[1])
		noun, ok2 := chainOn(p, args[0], "lowerAscii", "trim")
		if !ok || !ok2 {
			return "", false
		}
		return fmt.Sprintf("%s is %q", noun, text), true
	case fn == "contains" && call.IsMemberFunction() && len(args) == 1: // steps.s.f.lowerAscii().contains("x")
		text, ok := stringLiteral(args[0])
		noun, ok2 := chainOn(p, call.Target(), "lowerAscii")
		if !ok || !ok2 {
			return "", false
		}
		return fmt.Sprintf("%s contains %q", noun, text), true
	}
	// size(steps.s.f) > N, < N, >= N, == N
	ops := map[string]string{"_>_": "more than", "_<_": "fewer than", "_>=_": "at least", "_==_": "exactly"}
	op, isOp := ops[call.FunctionName()]
	if !isOp || len(args) != 2 || args[0].Kind() != celast.CallKind || args[0].AsCall().FunctionName() != "size" || len(args[0].AsCall().Args()) != 1 {
		return "", false
	}
	if args[1].Kind() != celast.LiteralKind {
		return "", false
	}
	n, ok := args[1].AsLiteral().Value().(int64)
	s, out, ok2 := stepOutput(p, args[0].AsCall().Args()[0])
	if !ok || !ok2 {
		return "", false
	}
	spec, ok := catalog.Get(s.Command)
	if !ok || spec.Forms.Results[out].Each == "" {
		return "", false
	}
	return fmt.Sprintf("there are %s %d %ss (step %d)", op, n, spec.Forms.Results[out].Each, stepNumber(p, s.ID)), true
}

// chainOn reads steps.<id>.<out> under the given member calls, outermost first (lowerAscii, then trim),
// and names it: "the label (step 2)".
func chainOn(p *plan.Plan, e celast.Expr, calls ...string) (string, bool) {
	for _, name := range calls {
		if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != name || !e.AsCall().IsMemberFunction() || len(e.AsCall().Args()) != 0 {
			return "", false
		}
		e = e.AsCall().Target()
	}
	s, out, ok := stepOutput(p, e)
	if !ok {
		return "", false
	}
	spec, ok := catalog.Get(s.Command)
	if !ok || spec.Forms.Results[out].Noun == "" {
		return "", false
	}
	return fmt.Sprintf("%s (step %d)", spec.Forms.Results[out].Noun, stepNumber(p, s.ID)), true
}

// stepOutput reads steps.<id>.<out>: the step and the output.
func stepOutput(p *plan.Plan, e celast.Expr) (plan.Step, string, bool) {
	if e.Kind() != celast.SelectKind {
		return plan.Step{}, "", false
	}
	out := e.AsSelect().FieldName()
	id := e.AsSelect().Operand()
	if id.Kind() != celast.SelectKind || id.AsSelect().Operand().Kind() != celast.IdentKind || id.AsSelect().Operand().AsIdent() != "steps" {
		return plan.Step{}, "", false
	}
	s, ok := p.Step(id.AsSelect().FieldName())
	if !ok {
		return plan.Step{}, "", false
	}
	return *s, out, true
}

// emailedWhom names the one recipient a history condition checks: an address, or the address of a
// contact a step found (steps.find.contact.email: "the contact (step 1)").
func emailedWhom(p *plan.Plan, e celast.Expr) (string, bool) {
	if addr, ok := stringLiteral(e); ok {
		return addr, true
	}
	if e.Kind() != celast.SelectKind || e.AsSelect().FieldName() != "email" {
		return "", false
	}
	s, out, ok := stepOutput(p, e.AsSelect().Operand())
	spec, known := catalog.Get(s.Command)
	if !ok || !known || spec.Forms.Results[out].Noun == "" {
		return "", false
	}
	return fmt.Sprintf("%s (step %d)", spec.Forms.Results[out].Noun, stepNumber(p, s.ID)), true
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().Value().(string)
	return s, ok
}

// stepNumber is a step's number in the read-back, from 1.
func stepNumber(p *plan.Plan, id string) int {
	for i, s := range p.Steps {
		if s.ID == id {
			return i + 1
		}
	}
	return 0
}
