package planner

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	celast "github.com/google/cel-go/common/ast"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// The describer says a plan's CEL expressions in English, compositionally: a small recursive reading of
// the parsed expression (CEL's own parser, never the text), node by node, for the nodes whose meaning it
// can say exactly: step outputs and item fields, literals, comparisons, text tests, "in", size, the
// list macros (all, exists, exists_one, filter), !, && and ||, now, timestamps and durations. A node it
// has no exact words for makes the whole expression fail, and the read-back shows it as written: a
// read-back that says something other than what runs is a wrong plan to the person reading it.

// The kinds of value CEL has that the catalog's types do not name.
const (
	kindTimestamp catalog.Type = "timestamp" // now, timestamp("..."), a time plus a duration
	kindDuration  catalog.Type = "duration"
	kindNumber    catalog.Type = "number" // a number literal, or arithmetic on numbers
)

// maxDescribeDepth bounds the nesting the describer reads; deeper expressions are shown as written (a
// sentence nested that deep is no longer read by anyone).
const maxDescribeDepth = 24

// val is an expression read as a noun phrase: its words, its type when known, the item noun of a list
// ("contact"), and the case and space changes applied to a text (lowerAscii, upperAscii, trim), which a
// comparison with a literal says as "ignoring case" or "ignoring spaces around it".
type val struct {
	words              string
	typ                catalog.Type
	each               string
	variable           bool // a bound name (the item): its fields are said "the contact's email address"
	literal            any  // the literal's value, for a literal
	isLiteral          bool
	lower, upper, trim bool
	open               bool // ends in a clause ("those of ... where ..."): bracketed when joined
	sum                bool // made by + or -: "the number of your contacts (step 1) plus 1"
}

// text writes a value as a noun phrase, its changes said inline.
func (v val) text() string {
	s := v.words
	if v.trim {
		s += " without the spaces around it"
	}
	switch {
	case v.lower:
		s += " in lower case"
	case v.upper:
		s += " in upper case"
	}
	return s
}

func (v val) modified() bool { return v.lower || v.upper || v.trim }

// part is a value as one part of a condition: an open one bracketed, so that the words after it ("is
// more than 0") are not read as part of its own clause.
func (v val) part() string {
	if v.open {
		return "(" + v.words + ")"
	}
	return v.words
}

// cond is a condition in words; group says it joins several with "and" or "or", open that it ends in
// an open clause: either is bracketed when it is one part of a larger join.
type cond struct {
	words       string
	group, open bool
}

// describer reads expressions of one plan; vars are the names bound where the expression is read (the
// for_each item, a list macro's variable) with their nouns.
type describer struct {
	p     *plan.Plan
	loc   *time.Location
	times Times // says timestamps as the rest of the read-back does, when set
	vars  map[string]val
	depth int
}

func newDescriber(p *plan.Plan, loc *time.Location) *describer {
	if loc == nil {
		loc = time.UTC
	}
	return &describer{p: p, loc: loc, vars: map[string]val{}}
}

// bindItem binds a for_each step's item name to its noun ("the contact"), from the list it goes over;
// false when the list's items have no words.
func (d *describer) bindItem(items, as string) bool {
	inner, ok := strings.CutPrefix(strings.TrimSpace(items), "${")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok || as == "" {
		return false
	}
	e, ok := parseCEL(inner)
	if !ok {
		return false
	}
	list, ok := d.noun(e)
	if !ok || list.each == "" {
		return false
	}
	d.vars[as] = d.itemOf(list)
	return true
}

// itemOf is the noun of one item of a list: "the contact", of the list's element type.
func (d *describer) itemOf(list val) val {
	elem, _ := list.typ.Elem()
	return val{words: "the " + list.each, typ: elem, variable: true}
}

// nounUsed says a bound name already has this noun, so that a second one would read as the same thing.
func (d *describer) nounUsed(words string) bool {
	for _, v := range d.vars {
		if v.words == words {
			return true
		}
	}
	return false
}

func (d *describer) enter() bool {
	d.depth++
	return d.depth <= maxDescribeDepth
}

func (d *describer) leave() { d.depth-- }

// noun reads an expression as a noun phrase.
func (d *describer) noun(e celast.Expr) (val, bool) {
	if !d.enter() {
		d.leave()
		return val{}, false
	}
	defer d.leave()
	switch e.Kind() {
	case celast.LiteralKind:
		return literalVal(e)
	case celast.IdentKind:
		if v, ok := d.vars[e.AsIdent()]; ok {
			return v, true
		}
		if e.AsIdent() == "now" {
			return val{words: "the time the program started", typ: kindTimestamp}, true
		}
		return val{}, false
	case celast.SelectKind:
		if e.AsSelect().IsTestOnly() {
			return val{}, false
		}
		if s, out, ok := stepOutput(d.p, e); ok {
			return d.stepVal(s, out)
		}
		base, ok := d.noun(e.AsSelect().Operand())
		if !ok {
			return val{}, false
		}
		return fieldOf(base, e.AsSelect().FieldName(), false)
	case celast.ListKind:
		return d.listLiteral(e)
	case celast.CallKind:
		return d.callNoun(e)
	}
	return val{}, false
}

func literalVal(e celast.Expr) (val, bool) {
	switch x := e.AsLiteral().Value().(type) {
	case string:
		return val{words: strconv.Quote(x), typ: catalog.String, literal: x, isLiteral: true}, true
	case int64:
		return val{words: strconv.FormatInt(x, 10), typ: kindNumber, literal: x, isLiteral: true}, true
	case uint64:
		return val{words: strconv.FormatUint(x, 10), typ: kindNumber, literal: x, isLiteral: true}, true
	case float64:
		return val{words: strconv.FormatFloat(x, 'g', -1, 64), typ: kindNumber, literal: x, isLiteral: true}, true
	case bool:
		return val{words: strconv.FormatBool(x), typ: catalog.Bool, literal: x, isLiteral: true}, true
	}
	return val{}, false
}

// filterWhere says a condition on the items of step s's list output out, the item named as: "where the
// contact's email address ends with ..."; false when it has no exact words.
func filterWhere(p *plan.Plan, s plan.Step, out, as string, e celast.Expr, t Times) (string, bool) {
	d := newDescriber(p, nil)
	d.times = t
	list, ok := d.stepVal(s, out)
	if !ok || list.each == "" {
		return "", false
	}
	d.vars[as] = d.itemOf(list)
	c, ok := d.clause(e, false)
	if !ok {
		return "", false
	}
	return "where " + c.words, true
}

// stepVal names an output of a step: its command's words for it ("the summary (step 2)"), or "the
// <output> of step N" for an output that has none.
func (d *describer) stepVal(s plan.Step, out string) (val, bool) {
	n := stepNumber(d.p, s.ID)
	switch {
	case s.Command != "":
		spec, ok := catalog.Get(s.Command)
		if !ok {
			return val{}, false
		}
		f, ok := spec.OutputField(out)
		if !ok {
			return val{}, false
		}
		w := spec.Forms.Results[out]
		if w.Noun == "" {
			return val{words: fmt.Sprintf("the %s of step %d", strings.ReplaceAll(out, "_", " "), n), typ: f.Type, each: w.Each}, true
		}
		return val{words: fmt.Sprintf("%s (step %d)", w.Noun, n), typ: f.Type, each: w.Each}, true
	case s.AwaitReply != nil && out == "replied":
		return val{words: fmt.Sprintf("whether a reply came (step %d)", n), typ: catalog.Bool}, true
	case s.Wait != nil && out == "until":
		return val{words: fmt.Sprintf("the time the wait of step %d ended", n), typ: catalog.Time}, true
	case s.Answer != nil && out == "value":
		return val{words: fmt.Sprintf("the answer of step %d", n), typ: catalog.Any}, true
	}
	return val{}, false
}

// fieldWords are the words of a contact's fields; any other field is said by its name.
var fieldWords = map[string]string{"email": "email address", "name": "name", "source": "source"}

// fieldOf reads base.name (or base["name"] when quoted): "the contact's email address", "the email
// address of the contact (step 1)", "the row's status".
func fieldOf(base val, name string, quoted bool) (val, bool) {
	if base.modified() || base.isLiteral || base.open {
		return val{}, false
	}
	var typ catalog.Type
	switch fields, ok := base.typ.Fields(); {
	case ok:
		for _, f := range fields {
			if f.Name == name {
				typ = f.Type
			}
		}
		if typ == "" {
			return val{}, false
		}
	case base.typ == catalog.Any:
		typ = catalog.Any
	default:
		return val{}, false
	}
	words := strings.ReplaceAll(name, "_", " ")
	if w, ok := fieldWords[name]; ok && base.typ == catalog.Contact {
		words = w
	}
	if quoted || words == "" || !isWordy(words) {
		words = strconv.Quote(name) // a column named "Order ID": said as it is named
	}
	if base.variable {
		return val{words: base.words + "'s " + words, typ: typ}, true
	}
	return val{words: "the " + words + " of " + base.words, typ: typ}, true
}

// isWordy says a field name reads as words: letters, digits and spaces.
func isWordy(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ' ') {
			return false
		}
	}
	return true
}

// textual says a value is a text at run time (or may be, for an untyped one); a document's or a page's
// text is a reference to stored content, not a text, so it is not.
func textual(v val) bool {
	switch v.typ {
	case catalog.String, catalog.Address, catalog.Any, catalog.Path:
		return true
	}
	return false
}

func numeric(t catalog.Type) bool { return t == catalog.Int || t == kindNumber }

func (d *describer) listLiteral(e celast.Expr) (val, bool) {
	l := e.AsList()
	if len(l.OptionalIndices()) > 0 || len(l.Elements()) == 0 {
		return val{}, false
	}
	var words []string
	for _, el := range l.Elements() {
		v, ok := d.noun(el)
		if !ok || !v.isLiteral {
			return val{}, false
		}
		words = append(words, v.words)
	}
	return val{words: "the list " + andList(words), typ: catalog.ListOf(catalog.Any), each: "item", open: len(words) > 1}, true
}

func (d *describer) callNoun(e celast.Expr) (val, bool) {
	call := e.AsCall()
	args := call.Args()
	fn := call.FunctionName()
	member := call.IsMemberFunction()
	switch {
	case fn == "size" && (!member && len(args) == 1 || member && len(args) == 0):
		target := call.Target()
		if !member {
			target = args[0]
		}
		v, ok := d.noun(target)
		if !ok || v.modified() && !v.trim {
			return val{}, false
		}
		if _, list := v.typ.Elem(); list {
			return val{words: "the number of " + v.words, typ: kindNumber, open: v.open}, true
		}
		if v.typ == catalog.String || v.typ == catalog.Address {
			return val{words: "the number of characters in " + v.text(), typ: kindNumber}, true
		}
		return val{}, false
	case member && len(args) == 0 && (fn == "lowerAscii" || fn == "upperAscii" || fn == "trim"):
		v, ok := d.noun(call.Target())
		if !ok || !textual(v) || v.isLiteral || v.open {
			return val{}, false
		}
		switch fn {
		case "lowerAscii":
			v.lower, v.upper = true, false
		case "upperAscii":
			v.upper, v.lower = true, false
		case "trim":
			v.trim = true
		}
		return v, true
	case fn == "_?_:_" && len(args) == 3:
		// (size(L) > N ? L.slice(0, N) : L), the planner's "the first N": nothing else is a list.
		n, whole, ok := firstN(e)
		if !ok {
			return val{}, false
		}
		v, ok := d.noun(whole)
		if _, isList := v.typ.Elem(); !ok || !isList || v.modified() {
			return val{}, false
		}
		v.words = fmt.Sprintf("the first %d of %s", n, v.words)
		return v, true
	case fn == "_[_]" && len(args) == 2:
		return d.index(args[0], args[1])
	case member && fn == "filter" && len(args) == 2:
		return d.filterNoun(call.Target(), args[0], args[1])
	case !member && fn == "timestamp" && len(args) == 1:
		s, ok := stringLiteral(args[0])
		if !ok {
			// A text read as a time: a step's time output, a table's date column.
			v, ok := d.noun(args[0])
			if !ok || !textual(v) && v.typ != catalog.Time || v.modified() || v.open {
				return val{}, false
			}
			return val{words: v.words + " (as a time)", typ: kindTimestamp}, true
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return val{}, false
		}
		return val{words: d.timeWords(t), typ: kindTimestamp}, true
	case !member && fn == "duration" && len(args) == 1:
		s, ok := stringLiteral(args[0])
		dur, err := time.ParseDuration(s)
		if !ok || err != nil || dur <= 0 {
			return val{}, false
		}
		return val{words: catalog.DescribeDuration(dur), typ: kindDuration}, true
	case (fn == "_+_" || fn == "_-_") && len(args) == 2:
		a, ok := d.noun(args[0])
		b, ok2 := d.noun(args[1])
		// A sum on the right would be read as going on from the left: "5 minus 2 plus 1" is not 5 - (2 + 1).
		if !ok || !ok2 || a.open || b.open || b.sum {
			return val{}, false
		}
		switch {
		case a.typ == kindTimestamp && b.typ == kindDuration && fn == "_+_" && !a.sum:
			return val{words: b.words + " after " + a.words, typ: kindTimestamp, sum: true}, true
		case a.typ == kindTimestamp && b.typ == kindDuration && !a.sum:
			return val{words: b.words + " before " + a.words, typ: kindTimestamp, sum: true}, true
		case numeric(a.typ) && numeric(b.typ) && fn == "_+_":
			return val{words: a.words + " plus " + b.words, typ: kindNumber, sum: true}, true
		case numeric(a.typ) && numeric(b.typ):
			return val{words: a.words + " minus " + b.words, typ: kindNumber, sum: true}, true
		}
	}
	return val{}, false
}

// timeWords says a moment: "Monday 23 November 2026", with the time when it is not midnight.
func (d *describer) timeWords(t time.Time) string {
	if d.times != nil {
		if words, ok := d.times.Time(t.Format(time.RFC3339)); ok {
			return words
		}
	}
	t = t.In(d.loc)
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("Monday 2 January 2006")
	}
	return t.Format("15:04 on Monday 2 January 2006")
}

// index reads x[k]: a text's first word (x.trim().split(' ')[0], "the contact's first name"), or a
// quoted field of an untyped value (row["Order ID"]).
func (d *describer) index(target, key celast.Expr) (val, bool) {
	if target.Kind() == celast.CallKind && target.AsCall().FunctionName() == "split" {
		split := target.AsCall()
		if !split.IsMemberFunction() || len(split.Args()) != 1 {
			return val{}, false
		}
		sep, ok := stringLiteral(split.Args()[0])
		zero := key.Kind() == celast.LiteralKind && key.AsLiteral().Value() == int64(0)
		if !ok || sep != " " || !zero {
			return val{}, false
		}
		v, ok := d.noun(split.Target())
		// Without trim, a text that starts with a space has an empty first word.
		if !ok || !v.trim || v.typ != catalog.String && v.typ != catalog.Any {
			return val{}, false
		}
		v.trim = false
		if strings.HasSuffix(v.words, "'s name") {
			v.words = strings.TrimSuffix(v.words, "name") + "first name"
		} else if rest, ok := strings.CutPrefix(v.words, "the name of "); ok {
			v.words = "the first name of " + rest
		} else {
			v.words = "the first word of " + v.words
		}
		return v, true
	}
	k, ok := stringLiteral(key)
	if !ok {
		return val{}, false
	}
	base, ok := d.noun(target)
	if !ok {
		return val{}, false
	}
	return fieldOf(base, k, true)
}

// filterNoun reads L.filter(x, P): "those of your contacts (step 1) where P".
func (d *describer) filterNoun(target, name, body celast.Expr) (val, bool) {
	list, words, ok := d.overItems(target, name, body, false)
	if !ok {
		return val{}, false
	}
	return val{words: "those of " + list.words + " where " + words.words, typ: list.typ, each: list.each, open: true}, true
}

// overItems reads the body of a list macro over target with its variable name bound to one item ("the
// contact"), negated when neg; the list and the body's words.
func (d *describer) overItems(target, name, body celast.Expr, neg bool) (val, cond, bool) {
	if name.Kind() != celast.IdentKind {
		return val{}, cond{}, false
	}
	list, ok := d.noun(target)
	if !ok || list.each == "" || list.open || list.modified() {
		return val{}, cond{}, false
	}
	v := name.AsIdent()
	item := d.itemOf(list)
	// A second name for the same noun, or one that hides another, would make the words ambiguous.
	if _, bound := d.vars[v]; bound || v == "steps" || v == "now" || d.nounUsed(item.words) {
		return val{}, cond{}, false
	}
	d.vars[v] = item
	defer delete(d.vars, v)
	words, ok := d.clause(body, neg)
	return list, words, ok
}

// clause reads a condition, negated when neg.
func (d *describer) clause(e celast.Expr, neg bool) (cond, bool) {
	if !d.enter() {
		d.leave()
		return cond{}, false
	}
	defer d.leave()
	if e.Kind() == celast.CallKind {
		call := e.AsCall()
		args := call.Args()
		fn := call.FunctionName()
		switch {
		case fn == "!_" && len(args) == 1:
			return d.clause(args[0], !neg)
		case (fn == "_&&_" || fn == "_||_") && len(args) == 2:
			return d.join(e, fn, neg)
		case len(args) == 2 && comparisons[fn] != "":
			return d.compare(fn, args[0], args[1], neg)
		case call.IsMemberFunction() && len(args) == 1 && textTests[fn][0] != "":
			return d.textTest(fn, call.Target(), args[0], neg)
		case fn == "@in" && len(args) == 2:
			return d.in(args[0], args[1], neg)
		case call.IsMemberFunction() && len(args) == 2 && (fn == "all" || fn == "exists" || fn == "exists_one"):
			return d.quantified(fn, call.Target(), args[0], args[1], neg)
		}
	}
	v, ok := d.noun(e)
	if !ok || v.isLiteral || v.modified() || v.typ != catalog.Bool && v.typ != catalog.Any {
		return cond{}, false
	}
	// "whether a reply came (step 3)": "a reply came (step 3)", "no reply came (step 3)" (else "it is
	// false that ...").
	if that, ok := strings.CutPrefix(v.words, "whether "); ok {
		if neg {
			if rest, ok := strings.CutPrefix(that, "a "); ok {
				return cond{words: "no " + rest, open: v.open}, true
			}
			return cond{words: "it is false that " + that, open: true}, true
		}
		return cond{words: that, open: v.open}, true
	}
	if neg {
		return cond{words: v.words + " is false", open: v.open}, true
	}
	return cond{words: v.words + " is true", open: v.open}, true
}

// join reads a chain of && (or of ||) as one list of parts; a negated one by De Morgan's laws, so that
// "not (A and B)" is said "not A or not B".
func (d *describer) join(e celast.Expr, fn string, neg bool) (cond, bool) {
	var parts []celast.Expr
	var flatten func(e celast.Expr)
	flatten = func(e celast.Expr) {
		if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == fn && len(e.AsCall().Args()) == 2 {
			flatten(e.AsCall().Args()[0])
			flatten(e.AsCall().Args()[1])
			return
		}
		parts = append(parts, e)
	}
	flatten(e)
	word := " and "
	if fn == "_||_" != neg {
		word = " or "
	}
	words := make([]string, len(parts))
	for i, part := range parts {
		c, ok := d.clause(part, neg)
		if !ok {
			return cond{}, false
		}
		words[i] = c.words
		if c.group || c.open {
			words[i] = "(" + c.words + ")"
		}
	}
	return cond{words: strings.Join(words, word), group: true}, true
}

// comparisons are CEL's comparison operators, by the words of their positive reading.
var comparisons = map[string]string{"_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">="}

// mirrored is the operator with its operands swapped: 5 < x is x > 5.
var mirrored = map[string]string{"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

// compareWords are the words of each comparison, positive and negated, for numbers and for times.
var compareWords = map[string][2][2]string{
	"==": {{"is", "is not"}, {"is", "is not"}},
	"!=": {{"is not", "is"}, {"is not", "is"}},
	">":  {{"is more than", "is not more than"}, {"is after", "is not after"}},
	"<":  {{"is less than", "is not less than"}, {"is before", "is not before"}},
	">=": {{"is at least", "is less than"}, {"is not before", "is before"}},
	"<=": {{"is at most", "is more than"}, {"is not after", "is after"}},
}

func (d *describer) compare(fn string, a, b celast.Expr, neg bool) (cond, bool) {
	op := comparisons[fn]
	l, ok := d.noun(a)
	r, ok2 := d.noun(b)
	if !ok || !ok2 || l.isLiteral && r.isLiteral {
		return cond{}, false
	}
	if l.isLiteral {
		l, r, op = r, l, mirrored[op]
	}
	if r.modified() || l.typ == catalog.ContentType || r.typ == catalog.ContentType {
		return cond{}, false
	}
	times := l.typ == kindTimestamp || r.typ == kindTimestamp
	if times && (l.typ != kindTimestamp || r.typ != kindTimestamp) {
		return cond{}, false
	}
	if op != "==" && op != "!=" && !times {
		// Numbers only: an order between texts is an order of code points, which no English word says.
		orderable := func(t catalog.Type) bool { return numeric(t) || t == catalog.Any }
		if !orderable(l.typ) || !orderable(r.typ) || !numeric(l.typ) && !numeric(r.typ) {
			return cond{}, false
		}
	}
	kind := 0
	if times {
		kind = 1
	}
	pos := 0
	if neg {
		pos = 1
	}
	verb := compareWords[op][kind][pos]
	if s, isText := r.literal.(string); isText && s == "" && (op == "==" || op == "!=") {
		if l.modified() && (!l.trim || l.lower || l.upper) {
			return cond{}, false
		}
		if l.trim {
			return cond{words: l.part() + " " + verb + " blank"}, true
		}
		return cond{words: l.part() + " " + verb + " empty"}, true
	}
	if l.modified() {
		suffix, ok := ignoring(l, r)
		if !ok || op != "==" && op != "!=" {
			return cond{}, false
		}
		return cond{words: l.words + " " + verb + " " + r.words + suffix}, true
	}
	return cond{words: l.part() + " " + verb + " " + r.part()}, true
}

// ignoring says how a changed text is compared with a literal: " (ignoring case)", " (ignoring spaces
// around it)"; false when the literal could never match the changed text (capitals compared with a
// lower-cased text, a space at its end with a trimmed one, a letter lowerAscii does not change).
func ignoring(v, lit val) (string, bool) {
	s, ok := lit.literal.(string)
	if !ok || !textual(v) {
		return "", false
	}
	var what []string
	if v.lower || v.upper {
		for _, r := range s {
			if r > 0x7f || v.lower && r >= 'A' && r <= 'Z' || v.upper && r >= 'a' && r <= 'z' {
				return "", false
			}
		}
		what = append(what, "case")
	}
	if v.trim {
		if strings.TrimSpace(s) != s {
			return "", false
		}
		what = append(what, "spaces around it")
	}
	return " (ignoring " + strings.Join(what, " and ") + ")", true
}

// textTests are the text tests, positive and negated.
var textTests = map[string][2]string{
	"startsWith": {"starts with", "does not start with"},
	"endsWith":   {"ends with", "does not end with"},
	"contains":   {"contains", "does not contain"},
	"matches":    {"matches the regular expression", "does not match the regular expression"},
}

func (d *describer) textTest(fn string, target, arg celast.Expr, neg bool) (cond, bool) {
	v, ok := d.noun(target)
	a, ok2 := d.noun(arg)
	if !ok || !ok2 || !textual(v) || v.isLiteral || v.open || a.open || a.modified() || a.typ != catalog.String && a.typ != catalog.Address && a.typ != catalog.Any {
		return cond{}, false
	}
	verb := textTests[fn][0]
	if neg {
		verb = textTests[fn][1]
	}
	if !v.modified() {
		return cond{words: v.words + " " + verb + " " + a.words}, true
	}
	suffix, ok := ignoring(v, a)
	if !ok || fn == "matches" {
		return cond{}, false
	}
	if fn == "contains" && !v.lower && !v.upper {
		suffix = "" // a trimmed text contains what the text contains, for a literal with no space at its ends
	}
	return cond{words: v.words + " " + verb + " " + a.words + suffix}, true
}

// in reads x in L: "the contact's email address is one of the addresses you emailed (step 2)", or of a
// list of literals: `is one of "a" and "b"`.
func (d *describer) in(x, list celast.Expr, neg bool) (cond, bool) {
	v, ok := d.noun(x)
	if !ok || v.isLiteral || v.open || v.typ == catalog.ContentType {
		return cond{}, false
	}
	verb := "is one of"
	if neg {
		verb = "is not one of"
	}
	if list.Kind() == celast.ListKind {
		elems := list.AsList().Elements()
		if len(elems) == 0 || len(list.AsList().OptionalIndices()) > 0 {
			return cond{}, false
		}
		var words []string
		suffix := ""
		for _, el := range elems {
			lit, ok := d.noun(el)
			if !ok || !lit.isLiteral {
				return cond{}, false
			}
			if v.modified() {
				if suffix, ok = ignoring(v, lit); !ok {
					return cond{}, false
				}
			}
			words = append(words, lit.words)
		}
		if len(words) == 1 {
			return cond{words: strings.TrimSuffix(v.words+" "+verb, " one of") + " " + words[0] + suffix}, true
		}
		// Its own "and" would read as part of a join: it is bracketed in one.
		return cond{words: v.words + " " + verb + " " + andList(words) + suffix, group: true}, true
	}
	l, ok := d.noun(list)
	if _, isList := l.typ.Elem(); !ok || !isList || v.modified() || l.modified() {
		return cond{}, false
	}
	return cond{words: v.words + " " + verb + " " + l.part()}, true
}

// quantified reads L.all(x, P), L.exists(x, P) and L.exists_one(x, P): "for each of your contacts
// (step 1), the contact's name is not blank".
func (d *describer) quantified(fn string, target, name, body celast.Expr, neg bool) (cond, bool) {
	lead := map[string]string{"all": "for each of ", "exists": "for at least one of ", "exists_one": "for exactly one of "}[fn]
	bodyNeg := false
	if neg {
		switch fn {
		case "all": // not all: at least one is not
			lead, bodyNeg = "for at least one of ", true
		case "exists": // none: each is not
			lead, bodyNeg = "for each of ", true
		default:
			return cond{}, false
		}
	}
	list, words, ok := d.overItems(target, name, body, bodyNeg)
	if !ok {
		return cond{}, false
	}
	return cond{words: lead + list.words + ", " + words.words, open: true}, true
}

// describeCondition says a condition in words, with the item of items bound as as when as is not "".
func describeCondition(p *plan.Plan, expr, items, as string, loc *time.Location) (string, bool) {
	d, e, ok := describerOf(p, expr, items, as, loc)
	if !ok {
		return "", false
	}
	c, ok := d.clause(e, false)
	return c.words, ok
}

// ReadBackExpr says an expression's value in words ("the summary (step 2)", "the contact's first name",
// "the number of those of your contacts (step 1) where ..."), in a step whose for_each goes over items
// as as (both "" for a step without one); false for an expression it has no exact words for.
func ReadBackExpr(p *plan.Plan, expr, items, as string, loc *time.Location) (string, bool) {
	d, e, ok := describerOf(p, expr, items, as, loc)
	if !ok {
		return "", false
	}
	if isCondition(e) {
		c, ok := d.clause(e, false)
		return c.words, ok
	}
	v, ok := d.noun(e)
	if !ok {
		return "", false
	}
	return v.text(), true
}

// describerOf parses expr and makes its describer, with the item of items bound as as when as is not "".
func describerOf(p *plan.Plan, expr, items, as string, loc *time.Location) (*describer, celast.Expr, bool) {
	e, ok := parseCEL(expr)
	if !ok {
		return nil, nil, false
	}
	d := newDescriber(p, loc)
	if as != "" && !d.bindItem(items, as) {
		return nil, nil, false
	}
	return d, e, true
}

// isCondition says an expression is a condition by its form (a comparison, a test, a macro), so that
// its value is said as the condition it is.
func isCondition(e celast.Expr) bool {
	if e.Kind() != celast.CallKind {
		return false
	}
	fn := e.AsCall().FunctionName()
	return fn == "!_" || fn == "_&&_" || fn == "_||_" || fn == "@in" || comparisons[fn] != "" || textTests[fn][0] != "" ||
		fn == "all" || fn == "exists" || fn == "exists_one"
}

// ReadBackValue says an argument's value in words (ReadBackWords), or else as written, quoted, with
// "(as written)".
func ReadBackValue(p *plan.Plan, v any, items, as string, loc *time.Location) string {
	if words, ok := ReadBackWords(p, v, items, as, loc); ok {
		return words
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s) + " (as written)"
	}
	return jsonText(v) + " (as written)"
}

// ReadBackWords says an argument's value in words: a literal as it is (a text quoted, "$${" as the "${"
// it stands for), "${expr}" as ReadBackExpr says it, a text with expressions in it with each in braces
// ("Dear {the contact's first name}"); false when a part has no exact words, or the text has literal
// braces, which would read as one of its parts.
func ReadBackWords(p *plan.Plan, v any, items, as string, loc *time.Location) (string, bool) {
	s, ok := v.(string)
	if !ok {
		text := jsonText(v)
		return text, !strings.Contains(text, "${")
	}
	parts, err := plan.SplitTemplate(s)
	if err != nil {
		return "", false
	}
	if len(parts) == 1 && !parts[0].Expr {
		return strconv.Quote(parts[0].Text), true
	}
	if len(parts) == 1 {
		return ReadBackExpr(p, parts[0].Text, items, as, loc)
	}
	var b strings.Builder
	for _, part := range parts {
		if !part.Expr {
			if strings.ContainsAny(part.Text, "{}") {
				return "", false
			}
			b.WriteString(part.Text)
			continue
		}
		words, ok := ReadBackExpr(p, part.Text, items, as, loc)
		if !ok {
			return "", false
		}
		b.WriteString("{" + words + "}")
	}
	return strconv.Quote(b.String()), true
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
