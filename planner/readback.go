package planner

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	celparser "github.com/google/cel-go/parser"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// ReadBackConstruct writes a construct step in plain English for the read-back shown before a program
// runs, and false for a step that runs a command (the command's own read-back covers it). The times are
// written in loc. Without the plan, a check's condition and an answer's value are not said
// (ReadBackConstructIn says them).
func ReadBackConstruct(s plan.Step, loc *time.Location) (string, bool) {
	if loc == nil {
		loc = time.UTC
	}
	return ReadBackConstructIn(nil, s, time.Time{}.In(loc))
}

// ReadBackConstructIn is ReadBackConstruct for a step of p: a check says its condition and an answer
// its value in words, from the expressions, not from the texts beside them (a model writes those).
// now is when the program is read back, in the zone its times are said in; a wait until another year
// than now's says the year ("Thursday 2 December 2027 at 09:00"). A zero now says no year.
func ReadBackConstructIn(p *plan.Plan, s plan.Step, now time.Time) (string, bool) {
	loc := now.Location()
	switch {
	case s.Wait != nil && s.Wait.Until != "":
		t, err := time.Parse(time.RFC3339, s.Wait.Until)
		if err != nil {
			return "Wait until " + s.Wait.Until + ".", true
		}
		t = t.In(loc)
		date := "Monday 2 January"
		if !now.IsZero() && t.Year() != now.Year() {
			date += " 2006"
		}
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			// 00:00 is midnight at the end of the day before: say both, as "Friday at midnight" is
			// easily taken for the night before Friday.
			return "Wait until midnight at the end of " + t.AddDate(0, 0, -1).Format(date) + " (" + t.Format(date+" at 15:04") + ").", true
		}
		return "Wait until " + t.Format(date+" at 15:04") + ".", true
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
			if p != nil {
				from = ReadBackValue(p, from, "", "", loc)
			} else {
				from = "the recipient"
			}
		}
		return fmt.Sprintf("Wait up to %s for a reply from %s to %s; a reply ends the wait.", within, from, repliedTo(p, s)), true
	case s.Check != nil:
		return checkWords(p, s.Check, loc), true
	case s.Answer != nil:
		if p == nil {
			label := s.Answer.Label
			if s.Answer.Kind == plan.AnswerList {
				label = "the list of " + label
			}
			return "Answer with " + label + ".", true
		}
		// The label is the answer's name, written by the planner (maybe a model); what it is, is its
		// value, said once: in the words of a selection when it is one, else part by part.
		if words, ok := answerWords(p, s.Answer, loc); ok {
			return "Answer with " + words + ".", true
		}
		return "Answer with " + ReadBackValue(p, s.Answer.Value, "", "", loc) + ".", true
	}
	return "", false
}

// answerWords says an answer that counts or lists the items of a step's list, maybe only those a
// filter keeps, as the rule-based planner writes it (size(L), size(L.filter(x, P)), L, L.filter(x, P)):
// "the number of your contacts you have not emailed since Tuesday 1 December", "the list of your contacts
// at acme.com"; false for any other value.
func answerWords(p *plan.Plan, a *plan.Answer, loc *time.Location) (string, bool) {
	inner, ok := strings.CutPrefix(a.Value, "${")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return "", false
	}
	e, ok := parseCEL(inner)
	if !ok {
		return "", false
	}
	count := a.Kind == plan.AnswerNumber
	if count {
		call := e.AsCall()
		if e.Kind() != celast.CallKind || call.FunctionName() != "size" || call.IsMemberFunction() || len(call.Args()) != 1 {
			return "", false
		}
		e = call.Args()[0]
	} else if a.Kind != plan.AnswerList {
		return "", false
	}
	list, filter := e, ""
	if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == "filter" {
		call := e.AsCall()
		args := call.Args()
		if !call.IsMemberFunction() || len(args) != 2 || args[0].Kind() != celast.IdentKind {
			return "", false
		}
		words, ok := itemFilter(p, call.Target(), args[0].AsIdent(), args[1], zoneTimes{loc})
		if !ok {
			return "", false
		}
		list, filter = call.Target(), " "+words
	}
	src, out, ok := stepOutput(p, list)
	if !ok || src.Command == "" {
		return "", false
	}
	spec, ok := catalog.Get(src.Command)
	if !ok || spec.Forms.Results[out].Noun == "" || spec.Forms.Results[out].Each == "" {
		return "", false
	}
	noun := spec.Forms.Results[out].Noun
	if n := stepNumber(p, src.ID); n != 1 {
		noun += fmt.Sprintf(" (step %d)", n)
	}
	if count {
		return "the number of " + noun + filter, true
	}
	return "the list of " + noun + filter, true
}

// zoneTimes says the times of a plan's arguments in a zone, as the read-back does ("Monday 23
// November", with the time when it is not midnight), where the time the plan was made is not known: a
// window's end that is not midnight is taken to be it (the planner ends a window at midnight, or now).
type zoneTimes struct{ loc *time.Location }

func (z zoneTimes) Time(v any) (string, bool) {
	text, ok := v.(string)
	t, err := time.Parse(time.RFC3339, text)
	if !ok || err != nil {
		return "", false
	}
	if t = t.In(z.loc); !midnightIn(t, z.loc) {
		return t.Format("15:04 on Monday 2 January"), true
	}
	return t.Format("Monday 2 January"), true
}

func (z zoneTimes) IsNow(v any) bool {
	u, err := time.Parse(time.RFC3339, fmt.Sprint(v))
	return err != nil || !midnightIn(u, z.loc)
}

// repliedTo names the email a reply wait waits for a reply to: "that email", the one the step before it
// sent; "the email of step 2" for an earlier one; else its Message-ID in words.
func repliedTo(p *plan.Plan, s plan.Step) string {
	if p == nil {
		return "that email"
	}
	n := stepNumber(p, s.ID)
	if e, ok := parseCEL(strings.TrimSuffix(strings.TrimPrefix(s.AwaitReply.To, "${"), "}")); ok && strings.HasPrefix(s.AwaitReply.To, "${") {
		if sent, out, ok := stepOutput(p, e); ok && out == "message_id" && sent.Command != "" {
			if m := stepNumber(p, sent.ID); m == n-1 {
				return "that email"
			} else if m > 0 {
				return fmt.Sprintf("the email of step %d", m)
			}
		}
	}
	return "the email whose Message-ID is " + ReadBackValue(p, s.AwaitReply.To, "", "", nil)
}

// checkWords says what a check checks: from its error when it is the rule-based planner's ("the
// placeholder {first name} cannot be filled: ..."), else from its condition, with the error it stops with.
func checkWords(p *plan.Plan, c *plan.Check, loc *time.Location) string {
	if ph, _, ok := strings.Cut(strings.TrimPrefix(c.Error, "the placeholder "), " cannot be filled"); ok && strings.HasPrefix(c.Error, "the placeholder ") && (p == nil || isNameCheck(p, c.That)) {
		// The placeholder in words, not braces: "to fill in their first name".
		whom := "every contact it goes to has"
		if e, ok := parseCEL(c.That); ok && (e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "all") {
			whom = "the contact it goes to has" // one recipient: x.name.trim() != ''
		}
		return "Before sending, check that " + whom + " a name, to fill in their " + strings.Trim(ph, "{}") + "."
	}
	that := strconv.Quote(c.That) + " (as written)"
	if words, ok := describeCondition(p, c.That, "", "", loc); ok && p != nil {
		that = words
	}
	return fmt.Sprintf("Check that %s; if not, stop before the steps after it with the error %q.", that, c.Error)
}

// isNameCheck says a check's condition is the one the rule-based planner writes before a send with a
// name placeholder: every item the send goes to has a name, x.name.trim() != ” for one recipient, or
// L.all(x, !(C) || x.name.trim() != ”) with L and C the items and the condition of a send of the plan
// (no "!(C) ||" for a send without one). The error's words are the planner's; this makes sure the
// condition is too.
func isNameCheck(p *plan.Plan, that string) bool {
	e, ok := parseCEL(that)
	if !ok {
		return false
	}
	hasName := func(e celast.Expr, v string) bool {
		want, ok := parseCEL(v + ".name.trim() != ''")
		return ok && unparsed(e) == unparsed(want)
	}
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "all" {
		for _, s := range p.Steps {
			if s.ForEach == nil && s.Command != "" {
				if to, ok := s.Args["to"].(string); ok && strings.HasPrefix(to, "${") && hasName(e, strings.TrimSuffix(strings.TrimPrefix(to, "${"), "}")) {
					return true
				}
			}
		}
		return false
	}
	call := e.AsCall()
	if !call.IsMemberFunction() || len(call.Args()) != 2 || call.Args()[0].Kind() != celast.IdentKind {
		return false
	}
	v, body := call.Args()[0].AsIdent(), call.Args()[1]
	for _, s := range p.Steps {
		if s.ForEach == nil || s.ForEach.As != v {
			continue
		}
		items, ok := parseCEL(strings.TrimSuffix(strings.TrimPrefix(s.ForEach.Items, "${"), "}"))
		if !ok || unparsed(items) != unparsed(call.Target()) {
			continue
		}
		if s.If == "" && hasName(body, v) {
			return true
		}
		if want, ok := parseCEL("!(" + s.If + ") || " + v + ".name.trim() != ''"); s.If != "" && ok && unparsed(body) == unparsed(want) {
			return true
		}
	}
	return false
}

// ReadBackSchedule writes a schedule in plain English: "Every weekday at 9:00 (UTC), run: send ...".
func ReadBackSchedule(sc *plan.Schedule) string {
	var parts []string
	var last *scheduleClause
	for _, cal := range sc.Calendar {
		c := clock{hour: cal.Hour, minute: cal.Minute}
		if last != nil && slices.Equal(last.days, cal.DaysOfWeek) && last.dayOfMonth == cal.DayOfMonth {
			last.clocks = append(last.clocks, c) // "every day at 9:00 and 17:00"
			parts[len(parts)-1] = last.describe()
			continue
		}
		last = &scheduleClause{days: cal.DaysOfWeek, dayOfMonth: cal.DayOfMonth, clocks: []clock{c}}
		parts = append(parts, last.describe())
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
	if words, ok := conditionWords(p, tree.NativeRep().Expr(), loc); ok {
		return words, true
	}
	// Any other condition, when each of its parts has exact words (describe.go).
	return describeCondition(p, cond, "", "", loc)
}

func conditionWords(p *plan.Plan, e celast.Expr, loc *time.Location) (string, bool) {
	if e.Kind() == celast.SelectKind {
		return textTestWords(p, e)
	}
	if e.Kind() != celast.CallKind {
		return "", false
	}
	call := e.AsCall()
	args := call.Args()
	switch fn := call.FunctionName(); {
	case fn == "!_" && len(args) == 1:
		// !(x in steps.h.emailed): the check of one recipient; !(value condition): its negation.
		if in := args[0]; in.Kind() == celast.CallKind && in.AsCall().FunctionName() == "@in" && len(in.AsCall().Args()) == 2 {
			return emailedWords(p, in, "you have not emailed", loc)
		}
		if s, out, ok := stepOutput(p, args[0]); ok && out == "replied" && s.AwaitReply != nil {
			// !steps.w.replied: no reply came while the wait of step N lasted.
			return fmt.Sprintf("no reply has come during the wait of step %d", stepNumber(p, s.ID)), true
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
	case fn == "_&&_" && len(args) == 2: // both: "you have not emailed ... and no reply has come ..."
		a, ok := conditionWords(p, args[0], loc)
		b, ok2 := conditionWords(p, args[1], loc)
		return a + " and " + b, ok && ok2
	case fn == "@in" && len(args) == 2: // x in steps.h.emailed: the check of one recipient, positive
		return emailedWords(p, e, "you have emailed", loc)
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
	// size(steps.s.f) > N, < N, >= N, == N; or steps.s.count, the command's count of its list
	ops := map[string]string{"_>_": "more than", "_<_": "fewer than", "_>=_": "at least", "_==_": "exactly"}
	op, isOp := ops[call.FunctionName()]
	if isOp && len(args) == 2 && args[1].Kind() == celast.LiteralKind {
		if s, out, ok := stepOutput(p, args[0]); ok && out == "count" {
			n, ok := args[1].AsLiteral().Value().(int64)
			spec, ok2 := catalog.Get(s.Command)
			if !ok || !ok2 {
				return "", false
			}
			for _, name := range slices.Sorted(maps.Keys(spec.Forms.Results)) {
				if each := spec.Forms.Results[name].Each; each != "" {
					return fmt.Sprintf("there are %s %d %ss (step %d)", op, n, each, stepNumber(p, s.ID)), true
				}
			}
			return "", false
		}
	}
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

// emailedWords reads x in steps.h.emailed, h a step of the email history: "<verb> alice@example.com since
// Tuesday 1 December", or "between Sunday 1 November and Monday 30 November" for a window of whole days
// that ends at midnight (yesterday, last week, last month): never "since X until Y".
func emailedWords(p *plan.Plan, in celast.Expr, verb string, loc *time.Location) (string, bool) {
	addr, ok := emailedWhom(p, in.AsCall().Args()[0])
	s, out, ok2 := stepOutput(p, in.AsCall().Args()[1])
	if !ok || !ok2 || out != "emailed" || s.Command == "" {
		return "", false
	}
	z := zoneTimes{loc}
	window, ok := catalog.SayWindow(z.Time, z.IsNow, s.Args["since"], s.Args["until"])
	if !ok {
		return "", false
	}
	return verb + " " + addr + " " + window, true
}

// midnightIn says t is 00:00 in loc.
func midnightIn(t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
}

// textTestWords reads steps.<id>.contains (or .equals) of a step of the command that tests a text
// (Forms.Condition): "the page's text (step 1) contains \"down\"".
func textTestWords(p *plan.Plan, e celast.Expr) (string, bool) {
	s, out, ok := stepOutput(p, e)
	if !ok {
		return "", false
	}
	spec, ok := catalog.Get(s.Command)
	if !ok || spec.Forms.Condition == nil {
		return "", false
	}
	w := spec.Forms.Condition
	phrase, ok := s.Args[w.Phrase].(string)
	if !ok {
		return "", false
	}
	text, ok := s.Args[w.Text].(string)
	if !ok || !strings.HasPrefix(text, "${") || !strings.HasSuffix(text, "}") {
		return "", false
	}
	env, err := cel.NewEnv()
	if err != nil {
		return "", false
	}
	tree, iss := env.Parse(strings.TrimSuffix(strings.TrimPrefix(text, "${"), "}"))
	if iss.Err() != nil {
		return "", false
	}
	noun, ok := chainOn(p, tree.NativeRep().Expr())
	if !ok {
		return "", false
	}
	switch out {
	case w.Contains:
		return fmt.Sprintf("%s contains %q", noun, phrase), true
	case w.Equals:
		return fmt.Sprintf("%s is %q", noun, phrase), true
	}
	return "", false
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
	if p == nil || e.Kind() != celast.SelectKind {
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

// Times says the times of a plan's arguments for people (the read-back's own wording).
type Times interface {
	Time(v any) (string, bool)
	IsNow(v any) bool
}

// Selection is the items a for_each step goes to, as the rule-based planner selects them: a list output
// of a step, maybe only its first First items, maybe only those Filter says.
type Selection struct {
	From   plan.Step
	Output string
	First  int    // 0: every item
	Filter string // "at acme.com, except those named Dave"; "" when every item is used
}

// ReadBackSelection says which items of a list a for_each step over items (as as, with the condition
// cond) goes to, for the selections the rule-based planner writes: "${steps.s.out}", the first N of it,
// and conditions on the item's domain, name, first letters, email history or a table column; false for
// any other shape, which the read-back then shows as written. Every expression is parsed with CEL's
// parser and each part must match a known shape exactly, so nothing unknown is put in words.
func ReadBackSelection(p *plan.Plan, items, as, cond string, t Times) (Selection, bool) {
	inner, ok := strings.CutPrefix(items, "${")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return Selection{}, false
	}
	list, ok := parseCEL(inner)
	if !ok {
		return Selection{}, false
	}
	var sel Selection
	if list.Kind() == celast.CallKind && list.AsCall().FunctionName() == "_?_:_" {
		first, whole, ok := firstN(list)
		if !ok {
			return Selection{}, false
		}
		sel.First, list = first, whole
		if list.Kind() == celast.CallKind && list.AsCall().FunctionName() == "filter" {
			// L.filter(as, cond): the condition is applied before the first N are taken.
			call := list.AsCall()
			args := call.Args()
			if !call.IsMemberFunction() || len(args) != 2 || args[0].Kind() != celast.IdentKind || args[0].AsIdent() != as || cond != "" {
				return Selection{}, false
			}
			words, ok := itemFilter(p, call.Target(), as, args[1], t)
			if !ok {
				return Selection{}, false
			}
			sel.Filter, list = words, call.Target()
		}
	} else if list.Kind() == celast.CallKind && list.AsCall().FunctionName() == "filter" && cond == "" {
		// L.filter(x, cond), every item it keeps.
		call := list.AsCall()
		args := call.Args()
		if !call.IsMemberFunction() || len(args) != 2 || args[0].Kind() != celast.IdentKind {
			return Selection{}, false
		}
		words, ok := itemFilter(p, call.Target(), args[0].AsIdent(), args[1], t)
		if !ok {
			return Selection{}, false
		}
		sel.Filter, list = words, call.Target()
	}
	s, out, ok := stepOutput(p, list)
	if !ok {
		return Selection{}, false
	}
	sel.From, sel.Output = s, out
	if cond != "" {
		e, ok := parseCEL(cond)
		if !ok {
			return Selection{}, false
		}
		if sel.Filter, ok = itemFilter(p, list, as, e, t); !ok {
			return Selection{}, false
		}
	}
	return sel, true
}

// itemFilter says a condition on the items of list (a step's list output) as as: in the words of the
// planner's own filters ("at acme.com, except those named Dave"), or else part by part ("where the
// contact's email address ends with "@acme.com" (ignoring case)").
func itemFilter(p *plan.Plan, list celast.Expr, as string, e celast.Expr, t Times) (string, bool) {
	if words, ok := filterWords(p, e, as, t); ok {
		return words, true
	}
	s, out, ok := stepOutput(p, list)
	if !ok {
		return "", false
	}
	return filterWhere(p, s, out, as, e, t)
}

// macrolessEnv is made once: every read-back line parses with it.
var macrolessEnv = sync.OnceValues(func() (*cel.Env, error) { return cel.NewEnv(cel.ClearMacros()) })

// parseCEL parses an expression without CEL's macros, so that L.filter(x, c) stays the call it is written as.
func parseCEL(expr string) (celast.Expr, bool) {
	env, err := macrolessEnv()
	if err != nil {
		return nil, false
	}
	tree, iss := env.Parse(expr)
	if iss.Err() != nil {
		return nil, false
	}
	return tree.NativeRep().Expr(), true
}

// firstN reads (size(L) > N ? L.slice(0, N) : L), the same L three times: N and L.
func firstN(e celast.Expr) (int, celast.Expr, bool) {
	args := e.AsCall().Args()
	if len(args) != 3 {
		return 0, nil, false
	}
	test, slice, whole := args[0], args[1], args[2]
	if test.Kind() != celast.CallKind || test.AsCall().FunctionName() != "_>_" || len(test.AsCall().Args()) != 2 {
		return 0, nil, false
	}
	size, n := test.AsCall().Args()[0], test.AsCall().Args()[1]
	if size.Kind() != celast.CallKind || size.AsCall().FunctionName() != "size" || len(size.AsCall().Args()) != 1 || n.Kind() != celast.LiteralKind {
		return 0, nil, false
	}
	count, ok := n.AsLiteral().Value().(int64)
	if !ok || count <= 0 {
		return 0, nil, false
	}
	if slice.Kind() != celast.CallKind || slice.AsCall().FunctionName() != "slice" || !slice.AsCall().IsMemberFunction() || len(slice.AsCall().Args()) != 2 {
		return 0, nil, false
	}
	from, to := slice.AsCall().Args()[0], slice.AsCall().Args()[1]
	if from.Kind() != celast.LiteralKind || from.AsLiteral().Value() != int64(0) || to.Kind() != celast.LiteralKind || to.AsLiteral().Value() != count {
		return 0, nil, false
	}
	l := unparsed(whole)
	if l == "" || unparsed(size.AsCall().Args()[0]) != l || unparsed(slice.AsCall().Target()) != l {
		return 0, nil, false
	}
	return int(count), whole, true
}

// unparsed writes an expression back as CEL text, to compare two parts; "" when it cannot.
func unparsed(e celast.Expr) string {
	s, err := celparser.Unparse(e, celast.NewSourceInfo(nil))
	if err != nil {
		return ""
	}
	return s
}

// filterWords says a condition on the item as: its clauses joined by &&, the kept ones first, then
// the exceptions: "at acme.com, whose name starts with A, except those named Bob and Carol".
func filterWords(p *plan.Plan, e celast.Expr, as string, t Times) (string, bool) {
	var kept, except, exceptAddrs, groups []string
	emailed := false // a kept part is a clause on the email history
	var clause func(e celast.Expr) bool
	clause = func(e celast.Expr) bool {
		if e.Kind() != celast.CallKind {
			return false
		}
		call := e.AsCall()
		args := call.Args()
		if call.FunctionName() == "_&&_" && len(args) == 2 {
			return clause(args[0]) && clause(args[1])
		}
		if domains, ok := domainTest(e, as); ok {
			kept = append(kept, "at "+strings.Join(domains, " or "))
			return true
		}
		if name, ok := nameTest(e, as); ok {
			kept = append(kept, "named "+name)
			return true
		}
		if call.FunctionName() == "!_" && len(args) == 1 {
			if name, ok := nameTest(args[0], as); ok {
				except = append(except, name)
				return true
			}
			if words, ok := emailedTest(p, args[0], as, t); ok {
				kept, emailed = append(kept, "you have not emailed "+words), true
				return true
			}
			if words, ok := groupWords(args[0], as); ok {
				groups = append(groups, "those "+words)
				return true
			}
			return false
		}
		if words, ok := emailedTest(p, e, as, t); ok {
			kept, emailed = append(kept, "you have emailed "+words), true
			return true
		}
		if prefix, ok := prefixTest(e, as); ok {
			kept = append(kept, "whose name starts with "+prefix)
			return true
		}
		switch fn := call.FunctionName(); {
		case fn == "_!=_" && len(args) == 2: // as.email.lowerAscii() != "bob@acme.com"
			value, ok := lowerLiteral(args[1])
			if ok && itemField(args[0], as, "email", "lowerAscii") {
				exceptAddrs = append(exceptAddrs, value)
				return true
			}
			// row.status.trim().lowerAscii() != "late": "where status is not late"
			col, ok2 := itemColumn(args[0], as, "lowerAscii", "trim")
			if !ok || !ok2 {
				return false
			}
			kept = append(kept, fmt.Sprintf("whose %s is not %q", col, value))
			return true
		case fn == "_==_" && len(args) == 2: // row.status.trim().lowerAscii() == "late"
			value, ok := lowerLiteral(args[1])
			col, ok2 := itemColumn(args[0], as, "lowerAscii", "trim")
			if !ok || !ok2 {
				return false
			}
			test := fmt.Sprintf("whose %s is %q", col, value)
			if n := len(kept); n > 0 && strings.HasPrefix(kept[n-1], "whose ") && !strings.HasPrefix(kept[n-1], "whose name starts") {
				kept[n-1] += " and " + test // "whose region is "north" and whose status is "late""
				return true
			}
			kept = append(kept, test)
			return true
		}
		return false
	}
	if !clause(e) {
		return "", false
	}
	var left []string // those left out, each "except ..."
	if len(except) > 0 {
		left = append(left, "except those named "+andList(except))
	}
	if len(exceptAddrs) > 0 {
		left = append(left, "except "+andList(exceptAddrs))
	}
	for _, g := range groups {
		left = append(left, "except "+g)
	}
	// The parts restrict the list one after another, with no comma between them ("at acme.com whose
	// name starts with A except those named Dave"); only a clause with a verb ("you have not emailed
	// since ...") is closed by a comma before an exception, which would otherwise read as part of it.
	words := strings.Join(kept, " ")
	if len(left) > 0 {
		if words != "" && emailed {
			words += ","
		}
		words = strings.TrimSpace(words + " " + strings.Join(left, " and "))
	}
	return words, true
}

// groupWords says the filters of a group left out, joined by &&: "at acme.com named Bob" in
// !(contact.email... && (contact.name ...)).
func groupWords(e celast.Expr, as string) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	if call := e.AsCall(); call.FunctionName() == "_&&_" && len(call.Args()) == 2 {
		a, ok := groupWords(call.Args()[0], as)
		b, ok2 := groupWords(call.Args()[1], as)
		return a + " " + b, ok && ok2
	}
	if domains, ok := domainTest(e, as); ok {
		return "at " + strings.Join(domains, " or "), true
	}
	if name, ok := nameTest(e, as); ok {
		return "named " + name, true
	}
	if prefix, ok := prefixTest(e, as); ok {
		return "whose name starts with " + prefix, true
	}
	return "", false
}

// prefixTest reads as.name.trim().lowerAscii().startsWith("a"): the beginning, capitalised.
func prefixTest(e celast.Expr, as string) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	call := e.AsCall()
	if call.FunctionName() != "startsWith" || !call.IsMemberFunction() || len(call.Args()) != 1 {
		return "", false
	}
	prefix, ok := lowerLiteral(call.Args()[0])
	if !ok || !itemField(call.Target(), as, "name", "lowerAscii", "trim") {
		return "", false
	}
	return capitalized(prefix), true
}

// domainTest reads as.email.lowerAscii().endsWith("@d"), or several of them joined by ||: the domains.
func domainTest(e celast.Expr, as string) ([]string, bool) {
	if e.Kind() != celast.CallKind {
		return nil, false
	}
	call := e.AsCall()
	args := call.Args()
	if call.FunctionName() == "_||_" && len(args) == 2 {
		a, ok := domainTest(args[0], as)
		b, ok2 := domainTest(args[1], as)
		return append(a, b...), ok && ok2
	}
	if call.FunctionName() != "endsWith" || !call.IsMemberFunction() || len(args) != 1 || !itemField(call.Target(), as, "email", "lowerAscii") {
		return nil, false
	}
	suffix, ok := lowerLiteral(args[0])
	domain, at := strings.CutPrefix(suffix, "@")
	if !ok || !at || domain == "" {
		return nil, false
	}
	return []string{domain}, true
}

// nameTest reads (as.name.trim().lowerAscii() == "x" || as.name.trim().lowerAscii().split(' ')[0] == "x"),
// the full name or the first name: the name, capitalised.
func nameTest(e celast.Expr, as string) (string, bool) {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "_||_" || len(e.AsCall().Args()) != 2 {
		return "", false
	}
	full, first := e.AsCall().Args()[0], e.AsCall().Args()[1]
	if full.Kind() != celast.CallKind || full.AsCall().FunctionName() != "_==_" || first.Kind() != celast.CallKind || first.AsCall().FunctionName() != "_==_" {
		return "", false
	}
	name, ok := lowerLiteral(full.AsCall().Args()[1])
	name2, ok2 := lowerLiteral(first.AsCall().Args()[1])
	if !ok || !ok2 || name != name2 || !itemField(full.AsCall().Args()[0], as, "name", "lowerAscii", "trim") {
		return "", false
	}
	// split(' ')[0]
	idx := first.AsCall().Args()[0]
	if idx.Kind() != celast.CallKind || idx.AsCall().FunctionName() != "_[_]" || len(idx.AsCall().Args()) != 2 {
		return "", false
	}
	split, zero := idx.AsCall().Args()[0], idx.AsCall().Args()[1]
	if zero.Kind() != celast.LiteralKind || zero.AsLiteral().Value() != int64(0) || split.Kind() != celast.CallKind ||
		split.AsCall().FunctionName() != "split" || !split.AsCall().IsMemberFunction() || len(split.AsCall().Args()) != 1 {
		return "", false
	}
	if sep, ok := stringLiteral(split.AsCall().Args()[0]); !ok || sep != " " || !itemField(split.AsCall().Target(), as, "name", "lowerAscii", "trim") {
		return "", false
	}
	return capitalized(name), true
}

// emailedTest reads as.email in steps.h.emailed, h the email history's step (the language's history
// command): "since X", or "between X and Y" for a range that ended before the plan was made.
func emailedTest(p *plan.Plan, e celast.Expr, as string, t Times) (string, bool) {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "@in" || len(e.AsCall().Args()) != 2 {
		return "", false
	}
	args := e.AsCall().Args()
	s, out, ok := stepOutput(p, args[1])
	if !ok || out != "emailed" || s.Command != currentLanguage().history || !itemField(args[0], as, "email") {
		return "", false
	}
	return catalog.SayWindow(t.Time, t.IsNow, s.Args["since"], s.Args["until"])
}

// itemField reads as.field under the given member calls, outermost first.
func itemField(e celast.Expr, as, field string, calls ...string) bool {
	col, ok := itemColumn(e, as, calls...)
	return ok && col == field
}

// itemColumn reads as.<column> under the given member calls, outermost first: the column.
func itemColumn(e celast.Expr, as string, calls ...string) (string, bool) {
	for _, name := range calls {
		if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != name || !e.AsCall().IsMemberFunction() || len(e.AsCall().Args()) != 0 {
			return "", false
		}
		e = e.AsCall().Target()
	}
	if e.Kind() != celast.SelectKind || e.AsSelect().IsTestOnly() {
		return "", false
	}
	op := e.AsSelect().Operand()
	// as is the item's name, or a step's output that is one value ("steps.find.contact").
	if op.Kind() == celast.IdentKind && op.AsIdent() != as || op.Kind() != celast.IdentKind && (!strings.Contains(as, ".") || unparsed(op) != as) {
		return "", false
	}
	return e.AsSelect().FieldName(), true
}

// lowerLiteral is a string literal in lower case: one compared with a lowerAscii() value. A literal
// with capitals never matches such a value, so it is not read as a filter.
func lowerLiteral(e celast.Expr) (string, bool) {
	s, ok := stringLiteral(e)
	return s, ok && s != "" && s == strings.ToLower(s)
}

// capitalized writes a lower-cased name as a name: "dave smith" -> "Dave Smith", "o'brien" -> "O'Brien",
// "mary-jane" -> "Mary-Jane". The tests ignore case.
func capitalized(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if start {
			r = unicode.ToUpper(r)
		}
		start = r == ' ' || r == '-' || r == '\''
		b.WriteRune(r)
	}
	return b.String()
}

// ReadBackTemplate writes a text argument with fields of the for_each item as in it (or of a step's
// output that is one contact, as "steps.find.contact") as the program's placeholders, for the fields the rule-based planner fills: "Hi ${contact.name.trim().split(' ')[0]}"
// -> "Hi {first name}", "${row.order}" -> "{order}"; and what fills each placeholder ("first name",
// "order"). False for any other expression, and for literal braces, which would read as placeholders.
func ReadBackTemplate(text, as string) (string, []string, bool) {
	var b strings.Builder
	var filled []string
	for rest := text; rest != ""; {
		i := strings.Index(rest, "${")
		if i < 0 {
			i = len(rest)
		}
		if i > 0 && rest[i-1] == '$' { // "$${" is a literal "${"
			i--
		}
		lit := rest[:i]
		if strings.ContainsAny(lit, "{}") {
			return "", nil, false
		}
		b.WriteString(lit)
		rest = rest[i:]
		if rest == "" {
			break
		}
		if strings.HasPrefix(rest, "$${") {
			// A literal "${price}" is read back as written: its dollar tells it from a placeholder, and
			// the words after the message name every placeholder that is filled.
			if end := strings.IndexByte(rest[3:], '}'); end >= 0 && !strings.ContainsAny(rest[3:3+end], "{$") {
				b.WriteString("${" + rest[3:3+end] + "}")
				rest = rest[3+end+1:]
				continue
			}
			return "", nil, false // a literal "${" left open: its brace would read as a placeholder's
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return "", nil, false
		}
		e, ok := parseCEL(rest[2:end])
		if !ok {
			return "", nil, false
		}
		var ph, fill string
		switch {
		case isFirstName(e, as):
			ph, fill = "first name", "first name"
		case itemField(e, as, "name", "trim"):
			ph, fill = "name", "name"
		case itemField(e, as, "email"):
			ph, fill = "email", "address"
		default:
			col, ok := itemColumn(e, as)
			if !ok || col == "name" {
				return "", nil, false
			}
			ph, fill = col, col
		}
		b.WriteString("{" + ph + "}")
		if !slices.Contains(filled, fill) {
			filled = append(filled, fill)
		}
		rest = rest[end+1:]
	}
	return b.String(), filled, len(filled) > 0
}

// isFirstName reads as.name.trim().split(' ')[0].
func isFirstName(e celast.Expr, as string) bool {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "_[_]" || len(e.AsCall().Args()) != 2 {
		return false
	}
	split, zero := e.AsCall().Args()[0], e.AsCall().Args()[1]
	if zero.Kind() != celast.LiteralKind || zero.AsLiteral().Value() != int64(0) || split.Kind() != celast.CallKind ||
		split.AsCall().FunctionName() != "split" || !split.AsCall().IsMemberFunction() || len(split.AsCall().Args()) != 1 {
		return false
	}
	sep, ok := stringLiteral(split.AsCall().Args()[0])
	return ok && sep == " " && itemField(split.AsCall().Target(), as, "name", "trim")
}
