package planner

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/plan"
)

// made is a step a command statement added, whose results later statements may use.
type made struct {
	id   string
	spec *catalog.Spec
	args map[string]slotValue
	from []string // the made steps its arguments read
	at   span
	used bool
}

// command adds the step of a command statement.
func (b *builder) command(c *commandClause) *failure {
	step := plan.Step{ID: b.unique(stepName(c.form.spec.Name)), Command: c.form.spec.Name, Description: describeForm(c), Args: map[string]any{}}
	m := &made{id: step.ID, spec: c.form.spec, args: c.args, at: c.span}
	for _, name := range slices.Sorted(maps.Keys(c.args)) {
		v, deps, from, f := b.value(c.args[name])
		if f != nil {
			return f
		}
		step.Args[name] = v
		step.DependsOn = append(step.DependsOn, deps...)
		m.from = append(m.from, from...)
	}
	step.DependsOn = uniq(step.DependsOn)
	b.add(step)
	b.made = append(b.made, m)
	b.fresh = true
	return nil
}

// unique is base when no step has that id yet, else base_2, base_3 ...
func (b *builder) unique(base string) string {
	id := base
	for n := 2; ; n++ {
		if _, taken := b.p.Step(id); !taken {
			return id
		}
		id = fmt.Sprintf("%s_%d", base, n)
	}
}

// stepName is a step id for a command: the first word of its name, "read" for ReadDocument.
func stepName(command string) string {
	for i, r := range command {
		if i > 0 && unicode.IsUpper(r) {
			return strings.ToLower(command[:i])
		}
	}
	return strings.ToLower(command)
}

// value writes a slot's value as a plan argument, with the steps it reads.
func (b *builder) value(v slotValue) (any, []string, []string, *failure) {
	switch {
	case v.list != nil:
		out := make([]any, len(v.list))
		for i, item := range v.list {
			out[i] = literal(item)
		}
		return out, nil, nil, nil
	case v.result != "":
		m, out, f := b.resolve(v.result, v.span, v.want)
		if f != nil {
			return nil, nil, nil, f
		}
		return "${steps." + m.id + "." + out + "}", []string{m.id}, []string{m.id}, nil
	case v.file:
		m := b.readFile(v)
		out := itOutput(m.spec)
		m.used = true
		return "${steps." + m.id + "." + out + "}", []string{m.id}, []string{m.id}, nil
	}
	return literal(v.text), nil, nil, nil
}

// readFile adds the step that reads a file's text, for a text slot given a file name.
func (b *builder) readFile(v slotValue) *made {
	r := b.l.reader
	slot := r.parts[1].slot
	step := plan.Step{ID: b.unique("read"), Command: r.spec.Name, Description: "Read " + v.text + ".", Args: map[string]any{slot: literal(v.text)}}
	b.add(step)
	m := &made{id: step.ID, spec: r.spec, args: map[string]slotValue{slot: {span: v.span, text: v.text}}, at: v.span}
	b.made = append(b.made, m)
	return m
}

// itOutput is the output of a command that "it" names, or "".
func itOutput(s *catalog.Spec) string {
	for _, out := range slices.Sorted(maps.Keys(s.Forms.Results)) {
		if slices.Contains(s.Forms.Results[out].Words, "it") {
			return out
		}
	}
	return ""
}

// sentIt checks the "it" an email sends: when a later step made something from the result "it" names,
// that "it" does not (the values extracted from the document, its label, its trends), the email could
// be meant to carry either; it is refused rather than guessed. ("Analyze it for trends, and summarize
// it" summarizes the document: a command's "it" goes on naming what the one before it read.)
func (b *builder) sentIt(m *made, out string, at span) *failure {
	for _, later := range b.made[slices.Index(b.made, m)+1:] {
		if named := namedOutput(later.spec); named != "" && slices.Contains(later.from, m.id) {
			return &failure{from: at.from, to: at.to, why: fmt.Sprintf("\"it\" could be %s or %s, made from it; say which, like %q or %q",
				resultNoun(m, out), resultNoun(later, named), pickWords(m.spec.Forms.Results[out].Words), pickWords(later.spec.Forms.Results[named].Words))}
		}
	}
	return nil
}

// namedOutput is the first output of a command that a sentence names by words ("the values"), or "".
func namedOutput(s *catalog.Spec) string {
	for _, out := range slices.Sorted(maps.Keys(s.Forms.Results)) {
		if len(s.Forms.Results[out].Words) > 0 {
			return out
		}
	}
	return ""
}

// resolve finds the step and output the words name: "it" is the latest result "it" may name, unless that
// was made from another such result (the summary of the document: "it" could be either); other words
// are the latest result with those words.
func (b *builder) resolve(words string, at span, want catalog.Type) (*made, string, *failure) {
	for i := len(b.made) - 1; i >= 0; i-- {
		m := b.made[i]
		for _, out := range slices.Sorted(maps.Keys(m.spec.Forms.Results)) {
			if !slices.Contains(m.spec.Forms.Results[out].Words, words) {
				continue
			}
			if words == "it" {
				for _, src := range m.from {
					if s := b.madeStep(src); s != nil && itOutput(s.spec) != "" {
						return nil, "", &failure{from: at.from, to: at.to, why: fmt.Sprintf("\"it\" could be %s or %s, made from it; say which, like %q or %q",
							resultNoun(s, itOutput(s.spec)), resultNoun(m, out), pickWords(s.spec.Forms.Results[itOutput(s.spec)].Words), pickWords(m.spec.Forms.Results[out].Words))}
					}
				}
			}
			if words != "it" {
				// "the summary" after two summaries, neither used yet, could be either, like "it".
				for _, other := range b.made[:i] {
					if other.used || !slices.ContainsFunc(slices.Collect(maps.Values(other.spec.Forms.Results)), func(r catalog.ResultWords) bool { return slices.Contains(r.Words, words) }) {
						continue
					}
					return nil, "", &failure{from: at.from, to: at.to, why: fmt.Sprintf("%q could be step %d's or step %d's; EaaPL does not guess which: use each right after the step that makes it, like ... and email %s to bob@example.com",
						words, b.stepNumber(other.id), b.stepNumber(m.id), words)}
				}
			}
			// The result must be of the type the argument takes: a list of files is no message. An
			// output of any type could be anything, so it only goes where anything may.
			if field, _ := m.spec.OutputField(out); field.Type == catalog.Any && want != catalog.Any || !catalog.Assignable(field.Type, want) {
				return nil, "", &failure{from: at.from, to: at.to, why: fmt.Sprintf("%q is what step %d makes, %s, and here it needs %s", words, b.stepNumber(m.id), describeType(field.Type), describeType(want))}
			}
			m.used = true
			return m, out, nil
		}
	}
	if words == "it" && len(b.made) > 0 {
		// "Read the table orders.csv and email it to ...": a step made something, but not a text "it" names.
		last := b.made[len(b.made)-1]
		outs := slices.Sorted(maps.Keys(last.spec.Forms.Results))
		main := outs[0] // the output a sentence names (the rows), else a list (the files), else the first
		for _, out := range slices.Backward(outs) {
			if r := last.spec.Forms.Results[out]; len(r.Words) > 0 || r.Each != "" && len(last.spec.Forms.Results[main].Words) == 0 {
				main = out
			}
		}
		why := fmt.Sprintf("a step before made %s, which \"it\" does not name: \"it\" is a text, like a document read or a page fetched", resultNoun(last, main))
		if path, ok := last.args["path"]; ok && path.text != "" && !path.quoted {
			why += fmt.Sprintf("; to send the file itself, attach it: Email %s to <address>", path.text)
		}
		return nil, "", &failure{from: at.from, to: at.to, why: why}
	}
	if words == "it" {
		return nil, "", &failure{from: at.from, to: at.to, why: "nothing before it made something \"it\" can be; read a file or fetch a page first"}
	}
	return nil, "", &failure{from: at.from, to: at.to, why: fmt.Sprintf("no step before it made %s", words)}
}

// describeType names a type for people.
func describeType(t catalog.Type) string {
	if _, list := t.Elem(); list {
		return "a list"
	}
	switch t {
	case catalog.ContentType, catalog.String:
		return "a text"
	case catalog.Any:
		return "a set of values of any kind"
	}
	return "a " + string(t)
}

// stepNumber is the number of a step in the read-back, from 1.
func (b *builder) stepNumber(id string) int {
	return slices.IndexFunc(b.p.Steps, func(s plan.Step) bool { return s.ID == id }) + 1
}

func (b *builder) madeStep(id string) *made {
	for _, m := range b.made {
		if m.id == id {
			return m
		}
	}
	return nil
}

// resultNoun is the output's noun: "the document's text".
func resultNoun(m *made, out string) string {
	if n := m.spec.Forms.Results[out].Noun; n != "" {
		return n
	}
	return out
}

// pickWords is the first of an output's words that is not "it".
func pickWords(words []string) string {
	for _, w := range words {
		if w != "it" {
			return w
		}
	}
	return "it"
}

// subjectOf is the subject of an email of a step's output, from the output's Subject template.
func (b *builder) subjectOf(m *made, out string) string {
	tmpl := m.spec.Forms.Results[out].Subject
	if tmpl == "" {
		return capitalize(resultNoun(m, out))
	}
	var sb strings.Builder
	for i := 0; i < len(tmpl); {
		if tmpl[i] != '{' {
			sb.WriteByte(tmpl[i])
			i++
			continue
		}
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			sb.WriteString(tmpl[i:])
			break
		}
		name := tmpl[i+1 : i+end]
		i += end + 1
		if strings.HasPrefix(name, ".") {
			sb.WriteString("${steps." + m.id + "." + name[1:] + "}")
			continue
		}
		v := m.args[name]
		switch {
		case v.result != "" || v.file:
			if src := b.source(m, v); src != nil {
				sb.WriteString(b.subjectOf(src, itOutput(src.spec)))
			}
		case v.list != nil:
			sb.WriteString(literal(andList(v.list)))
		case v.quoted:
			sb.WriteString(literal(v.text))
		default:
			sb.WriteString(literal(path.Base(v.text))) // a file by its name: week.txt
		}
	}
	return sb.String()
}

// source is the made step an argument of m read.
func (b *builder) source(m *made, v slotValue) *made {
	for _, id := range m.from {
		if s := b.madeStep(id); s != nil && s.at.from <= v.from {
			return s
		}
	}
	if len(m.from) > 0 {
		return b.madeStep(m.from[0])
	}
	return nil
}

// iterate adds the step an iteration reads ("for each row in orders.xlsx") and returns it, the items
// expression (without ${ }), the item's name and the condition of its where clauses.
func (b *builder) iterate(c *commandClause) (string, string, string, string, *failure) {
	b.records = false
	spec := c.form.spec
	step := plan.Step{ID: b.unique(c.form.each() + "s"), Command: spec.Name, Description: describeForm(c), Args: map[string]any{}}
	for _, name := range slices.Sorted(maps.Keys(c.args)) {
		val, deps, _, f := b.value(c.args[name])
		if f != nil {
			return "", "", "", "", f
		}
		step.Args[name] = val
		step.DependsOn = append(step.DependsOn, deps...)
	}
	each := c.form.each()
	var out string
	for _, o := range slices.Sorted(maps.Keys(spec.Forms.Results)) {
		if spec.Forms.Results[o].Each == each {
			out = o
			break
		}
	}
	field, _ := spec.OutputField(out)
	if out == "" {
		return "", "", "", "", &failure{from: c.from, to: c.to, why: fmt.Sprintf("%s gives no list of %ss (a bug of its forms)", spec.Name, each)}
	}
	elem, isList := field.Type.Elem()
	if !isList {
		return "", "", "", "", &failure{from: c.from, to: c.to, why: fmt.Sprintf("%s's %s is not a list (a bug of its forms)", spec.Name, out)}
	}
	b.records = elem != catalog.String // rows have fields; lines are text
	if b.records {
		var cols []string
		for _, w := range c.where {
			cols = append(cols, w.field)
		}
		addColumns(&step, cols)
	}
	b.add(step)
	items := "steps." + step.ID + "." + out
	var conds []string
	for _, w := range c.where {
		if !b.records {
			return "", "", "", "", &failure{from: w.from, to: w.to, why: "a line has no columns; where goes with the rows of a table"}
		}
		cond := fmt.Sprintf("%s.%s.trim().lowerAscii() == %s", each, w.field, celString(strings.ToLower(w.value)))
		if w.not {
			cond = fmt.Sprintf("%s.%s.trim().lowerAscii() != %s", each, w.field, celString(strings.ToLower(w.value)))
		}
		conds = append(conds, cond)
	}
	return step.ID, items, each, strings.Join(conds, " && "), nil
}

// makerOf says how to make a list of the things a count names ("rows": a statement of the command whose
// list is of rows, with its example), or of any list when none makes them.
func (b *builder) makerOf(noun string) string {
	for _, st := range b.l.statements {
		if st.iterates() {
			continue // "for each row in {path}" goes over the rows, and leaves no list to count
		}
		for _, r := range st.spec.Forms.Results {
			if noun == "" || r.Each == "" || noun != r.Each && noun != r.Each+"s" {
				continue
			}
			form := strings.NewReplacer("{", "<", "}", ">").Replace(st.text)
			return fmt.Sprintf("make them first, like %s, then the condition", capitalize(form))
		}
	}
	if noun != "" {
		return "a count is of a list a step before made, like the files of List the files matching *.csv"
	}
	return "list them first, like List the files matching *.csv"
}

// valueCond writes a condition on a value a step before made, with the step it reads and why an item
// is skipped when it is false.
func (b *builder) valueCond(v valueCondition) (string, string, string, *failure) {
	if v.count && v.file != "" {
		return b.countFile(v)
	}
	if v.count {
		counts := func(m *made) []string { // the outputs of m that v counts
			var outs []string
			for _, out := range slices.Sorted(maps.Keys(m.spec.Forms.Results)) {
				each := m.spec.Forms.Results[out].Each
				field, _ := m.spec.OutputField(out)
				if _, list := field.Type.Elem(); list && each != "" && (v.noun == "" || v.noun == each || v.noun == each+"s") {
					outs = append(outs, out)
				}
			}
			return outs
		}
		for i := len(b.made) - 1; i >= 0; i-- {
			m := b.made[i]
			for _, out := range counts(m) {
				each := m.spec.Forms.Results[out].Each
				// "files" after two lists of files, neither used yet, could be either, as "the summary" could.
				for _, other := range b.made[:i] {
					if !other.used && len(counts(other)) > 0 {
						return "", "", "", &failure{from: v.from, to: v.to, why: fmt.Sprintf("the %ss could be step %d's or step %d's; EaaPL does not guess which: put the condition right after the list it counts",
							each, b.stepNumber(other.id), b.stepNumber(m.id))}
					}
				}
				m.used = true
				what := each + "s"
				cond := fmt.Sprintf("size(steps.%s.%s) %s %d", m.id, out, v.op, v.n)
				if c, has := m.spec.OutputField("count"); has && c.Type == catalog.Int {
					// The command counts its list: a long one is a stored list, whose size the
					// workflow would have to read it all to know.
					cond = fmt.Sprintf("steps.%s.count %s %d", m.id, v.op, v.n)
				}
				return cond, m.id, fmt.Sprintf("there are not %s %d %s", map[string]string{">": "more than", "<": "fewer than", ">=": "at least", "==": "exactly"}[v.op], v.n, what), nil
			}
		}
		what := "a list"
		if v.noun != "" {
			what = v.noun
		}
		return "", "", "", &failure{from: v.from, to: v.to, why: fmt.Sprintf("no step before it made %s to count; %s", what, b.makerOf(v.noun))}
	}
	var m *made
	var out string
	if v.read != nil {
		// "If todo.txt contains 'urgent'": the file's text, read before the email's "it" was resolved.
		m = v.read
		out, m.used = itOutput(m.spec), true
	} else {
		var f *failure
		if m, out, f = b.resolve(v.result, v.span, catalog.ContentType); f != nil {
			return "", "", "", f
		}
	}
	// "If it is urgent" after "classify it" means the label, not the text "it" names elsewhere: when a
	// later step made a result "it" cannot name, "it" is ambiguous and the writer says which.
	if latest := b.made[len(b.made)-1]; v.result == "it" && latest != m {
		if outs := slices.Sorted(maps.Keys(latest.spec.Forms.Results)); len(outs) > 0 {
			later := outs[0]
			return "", "", "", &failure{from: v.from, to: v.to, why: fmt.Sprintf("\"it\" could be %s or %s made after it; say which, like %q or %q",
				resultNoun(m, out), resultNoun(latest, later), "if "+pickWords(m.spec.Forms.Results[out].Words)+" ...", "if "+pickWords(latest.spec.Forms.Results[later].Words)+" ...")}
		}
	}
	if of := m.spec.Forms.Results[out].OneOf; of != "" && m.args[of].list != nil {
		// "If the label is important" after "classify it as urgent or normal" could never hold.
		values := m.args[of].list
		if !v.equals || !slices.ContainsFunc(values, func(l string) bool { return strings.EqualFold(strings.TrimSpace(l), strings.TrimSpace(v.text)) }) {
			quoted := make([]string, len(values))
			for i, l := range values {
				quoted[i] = fmt.Sprintf("%q", l)
			}
			return "", "", "", &failure{from: v.from, to: v.to, why: fmt.Sprintf("%s can only be %s (the %s of step %d); say one of them, like if %s is %s", v.result, orList(quoted), of, b.stepNumber(m.id), v.result, values[0])}
		}
	}
	expr := fmt.Sprintf("steps.%s.%s", m.id, out)
	if field, _ := m.spec.OutputField(out); field.Type == catalog.ContentType && b.l.textTest != "" {
		return b.textTest(v, m.id, expr) // a text that may be too large for the workflow to read
	}
	if f := caseless(v.from, v.to, v.text, "write the text in the letters A to Z"); f != nil {
		return "", "", "", f
	}
	var cond, skip string
	if v.equals {
		cond = fmt.Sprintf("%s.trim().lowerAscii() == %s", expr, celString(strings.ToLower(strings.TrimSpace(v.text))))
		skip = fmt.Sprintf("%s is not %q", v.result, v.text)
	} else {
		cond = fmt.Sprintf("%s.lowerAscii().contains(%s)", expr, celString(strings.ToLower(v.text)))
		skip = fmt.Sprintf("%s does not contain %q", v.result, v.text)
	}
	if v.not {
		cond = "!(" + cond + ")"
		skip = strings.Replace(strings.Replace(skip, "is not", "is", 1), "does not contain", "contains", 1)
	}
	return cond, m.id, skip, nil
}

// countFile writes "if report.csv has more than 5 rows": the step of the command that goes over the
// file's rows (or lines), the iteration's own ("for each row in {path}"), and a condition on its count.
func (b *builder) countFile(v valueCondition) (string, string, string, *failure) {
	for _, f := range b.l.statements {
		if !f.iterates() || v.noun != f.each() && v.noun != f.each()+"s" {
			continue
		}
		c := &commandClause{span: v.span, form: f, args: map[string]slotValue{f.parts[len(f.parts)-1].slot: {span: span{v.from + 1, v.from + 2}, text: v.file}}}
		records := b.records
		id, items, each, _, fail := b.iterate(c)
		b.records = records // the statement itself goes over no rows
		if fail != nil {
			return "", "", "", fail
		}
		b.made = append(b.made, &made{id: id, spec: f.spec, args: c.args, at: c.span, used: true})
		cond := fmt.Sprintf("size(%s) %s %d", items, v.op, v.n)
		if c, has := f.spec.OutputField("count"); has && c.Type == catalog.Int {
			cond = fmt.Sprintf("steps.%s.count %s %d", id, v.op, v.n) // a long list is stored; its count is not
		}
		switch {
		case v.n == 0 && v.op == "==":
			return cond, id, fmt.Sprintf("%s has %ss", v.file, each), nil // "has no rows" did not hold
		case v.n == 0 && v.op == ">":
			return cond, id, fmt.Sprintf("%s has no %ss", v.file, each), nil
		}
		return cond, id, fmt.Sprintf("%s does not have %s %d %ss", v.file, map[string]string{">": "more than", "<": "fewer than", ">=": "at least", "==": "exactly"}[v.op], v.n, each), nil
	}
	return "", "", "", &failure{from: v.from, to: v.to, why: fmt.Sprintf("a file has rows (a .csv or .xlsx table) or lines; %s are neither", v.noun)}
}

// textTest writes a value condition as a step of the command that tests a text (Forms.Condition) on
// the worker, which reads a text of any size from the content store, and a condition on its result;
// expr is the text, the output of step id.
func (b *builder) textTest(v valueCondition, id, expr string) (string, string, string, *failure) {
	w := b.l.textTestWords
	test := plan.Step{
		ID:          b.unique("test"),
		Command:     b.l.textTest,
		Description: fmt.Sprintf("Look for %q in %s.", v.text, v.result),
		Args:        map[string]any{w.Text: "${" + expr + "}", w.Phrase: literal(v.text)},
		DependsOn:   []string{id},
	}
	cond, skip := "steps."+test.ID+"."+w.Contains, fmt.Sprintf("%s does not contain %q", v.result, v.text)
	if v.equals {
		test.Description = fmt.Sprintf("Compare %s with %q.", v.result, v.text)
		cond, skip = "steps."+test.ID+"."+w.Equals, fmt.Sprintf("%s is not %q", v.result, v.text)
	}
	if v.not {
		cond = "!" + cond
		skip = strings.Replace(strings.Replace(skip, "is not", "is", 1), "does not contain", "contains", 1)
	}
	b.add(test)
	return cond, test.ID, skip, nil
}

// quiet returns a failure for a step that does nothing a person sees, because no later step uses it.
func (b *builder) quiet() *failure {
	for _, m := range b.made {
		if m.spec.Forms.Quiet && !m.used {
			return &failure{from: m.at.from, to: m.at.to, why: "it reads but does nothing with what it read; add for example: and email it to bob@example.com"}
		}
	}
	return nil
}

// describeForm writes a command statement as a description: "Read todo.txt."
func describeForm(c *commandClause) string {
	var words []string
	for _, part := range c.form.parts {
		if part.word != "" {
			words = append(words, part.word)
			continue
		}
		v := c.args[part.slot]
		switch {
		case v.quoted:
			words = append(words, fmt.Sprintf("%q", abbreviate(v.text)))
		case v.list != nil:
			words = append(words, andList(v.list))
		case v.result != "":
			words = append(words, v.result)
		default:
			words = append(words, v.text)
		}
	}
	for i, w := range c.where {
		join := "where"
		if i > 0 {
			join = "and" // "where region is north and status is late"
		}
		if w.not {
			words = append(words, join, w.field, "is not", w.value)
		} else {
			words = append(words, join, w.field, "is", w.value)
		}
	}
	return capitalize(strings.Join(words, " ")) + "."
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// fillRow turns a message to each row into a template: {column} is that row's cell, as text.
func fillRow(text, each string, records bool, q *quoteClause) (string, []string, *failure) {
	if !records && rowPlaceholder.MatchString(text) {
		return "", nil, &failure{from: q.to - 1, to: q.to, why: fmt.Sprintf("the placeholder %s cannot be filled: each %s is only an address (write {{ for a brace)", rowPlaceholder.FindString(text), each)}
	}
	if strings.Contains(text, "${") {
		return "", nil, &failure{from: q.to - 1, to: q.to, why: "a message to each row fills {column} placeholders only; write it without ${"}
	}
	var bad string
	var cols []string
	body := rowPlaceholder.ReplaceAllStringFunc(text, func(ph string) string {
		name := strings.TrimSpace(ph[1 : len(ph)-1])
		if !identifier.MatchString(name) {
			if bad == "" {
				bad = ph
			}
			return ph
		}
		cols = append(cols, name)
		return "${" + each + "." + name + "}"
	})
	if bad != "" {
		return "", nil, &failure{from: q.to - 1, to: q.to, why: fmt.Sprintf("the placeholder %s cannot be filled: a placeholder names one column of the table, in lower case letters, digits and _, for example {order}", bad)}
	}
	return body, cols, nil
}

// addColumns lists, on a step that reads a table, columns the program uses, so that the read stops the
// program when the table lacks one, before any row is used (ReadTable's columns argument); a command
// without that argument is left as it is.
func addColumns(step *plan.Step, cols []string) {
	spec, ok := catalog.Lookup(step.Command)
	if !ok || len(cols) == 0 {
		return
	}
	if _, has := spec.Arg("columns"); !has {
		return
	}
	have, _ := step.Args["columns"].([]any)
	for _, c := range cols {
		if !slices.Contains(have, any(c)) {
			have = append(have, c)
		}
	}
	step.Args["columns"] = have
}
