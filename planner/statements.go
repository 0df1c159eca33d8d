package planner

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/eaapl/eaapl/catalog"
)

// A command statement is one of a command's Forms.Statements: literal words and {arg} slots, "read
// {path}", "classify {text} as {labels}". The grammar reads them for every registered command, so a
// command brings its own statements; the values in the slots are read by the argument's type.

// statementForm is one statement of a command, split into its parts.
type statementForm struct {
	spec  *catalog.Spec
	text  string
	parts []formPart
}

// formPart is a literal word, or the slot of an argument.
type formPart struct {
	word string
	slot string
}

func parseStatementForm(s *catalog.Spec, text string) statementForm {
	f := statementForm{spec: s, text: text}
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			f.parts = append(f.parts, formPart{slot: w[1 : len(w)-1]})
		} else {
			f.parts = append(f.parts, formPart{word: w})
		}
	}
	return f
}

// iterates reports whether the statement is a lead that goes over a list: "for each row in {path}".
func (f statementForm) iterates() bool {
	return len(f.parts) > 2 && f.parts[0].word == "for" && f.parts[1].word == "each"
}

// hasSlot reports whether the statement has an argument slot.
func (f statementForm) hasSlot() bool {
	for _, part := range f.parts {
		if part.slot != "" {
			return true
		}
	}
	return false
}

// each is the word for one item of an iterating statement: "row".
func (f statementForm) each() string { return f.parts[2].word }

// slotValue is what a slot holds, as the program wrote it.
type slotValue struct {
	span
	text   string       // a quotation, a file name, a pattern, an address or a web address
	quoted bool         // text was quoted
	list   []string     // the items of a list: "the date and the total"
	result string       // the words for a result of a step before: "it", "the summary"
	want   catalog.Type // the type of the argument the slot fills
	file   bool         // text is a file whose text the slot takes: "summarize notes.md"
}

// commandClause is a command statement as parsed.
type commandClause struct {
	span
	form statementForm
	args map[string]slotValue
	// for "for each row in orders.xlsx where status is late"
	where []whereClause
	// output is the output a phrase stands for: "a summary of notes.md" is the summary
	output string
}

// whereClause is a filter on the items of an iteration: "where status is late".
type whereClause struct {
	span
	field, value string
	not          bool
}

// commandStatement parses a command's statement at pos; the longest form that matches wins (the forms
// are sorted longest first). A form whose first words match but whose slot does not is a failure that
// says what the slot takes.
func (p *parser) commandStatement(pos int, iterating bool) (*commandClause, int, *failure) {
	var first *failure
	for _, f := range p.l.statements {
		if f.iterates() != iterating {
			continue
		}
		c, next, fail := p.matchForm(pos, f)
		if c != nil {
			return c, next, nil
		}
		if first == nil || fail != nil && (fail.from > first.from || fail.from == first.from && fail.to > first.to) {
			// The form that read furthest says what is wrong: "save the summary as ${x}.txt" is the
			// file name of "save {text} as {path}", not the "to" of "save {text} to {path}".
			first = fail
		}
	}
	return nil, 0, first
}

// matchForm matches one form at pos.
func (p *parser) matchForm(pos int, f statementForm) (*commandClause, int, *failure) {
	c := &commandClause{form: f, args: map[string]slotValue{}}
	next := pos
	words := 0
	for i, part := range f.parts {
		if f.iterates() && i == 1 && p.isWord(next, "every") {
			next++ // "for every row in": the same as for each
			words++
			continue
		}
		if f.iterates() && i == 2 && p.isWord(next, "of") && p.isWord(next+1, "the") && p.isWord(next+2, part.word+"s") {
			next += 3 // "for each of the rows of": the same as for each row of
			words += 3
			continue
		}
		if part.word != "" {
			if !p.isWord(next, part.word) {
				if words > 0 && i > 0 && f.parts[i-1].slot != "" {
					return nil, 0, &failure{from: pos, to: next + 1, why: fmt.Sprintf("after the %s, %q expects %q", f.parts[i-1].slot, f.text, part.word)}
				}
				return nil, 0, nil
			}
			next++
			words++
			continue
		}
		if words == 0 {
			return nil, 0, nil // a form that starts with a slot is not a statement
		}
		var stop string
		if i+1 < len(f.parts) {
			stop = f.parts[i+1].word
		}
		field, _ := f.spec.Arg(part.slot)
		v, after, fail := p.slot(next, field, stop)
		if fail != nil {
			return nil, 0, fail
		}
		if after < 0 {
			if i == len(f.parts)-1 && words == 1 && !p.boundary(next, true) && next < p.end && p.toks[next].kind == word && !strings.ContainsAny(p.toks[next].text, "./*") {
				return nil, 0, nil // "list my contacts": not this command's statement
			}
			return nil, 0, &failure{from: pos, to: next + 1, why: fmt.Sprintf("%q needs its %s: %s", f.text, part.slot, slotHint(field))}
		}
		c.args[part.slot] = v
		next = after
	}
	if last := f.parts[len(f.parts)-1]; last.slot != "" && p.isWord(next, "and") {
		// "Summarize a.txt and b.txt": the slot takes one value; which to join, or how, is not guessed.
		if field, _ := f.spec.Arg(last.slot); field.Type != "" {
			if _, list := field.Type.Elem(); !list {
				if second, after := p.valueWordAt(next + 1); after > 0 && !strings.Contains(second, "://") {
					first := c.args[last.slot]
					lead := capitalize(strings.Join(wordsOf(p.toks[pos:first.from]), " "))
					return nil, 0, &failure{from: first.from, to: after, why: fmt.Sprintf("%q takes one %s at a time: write a statement for each, like %s %s, then %s %s", f.text, last.slot, lead, first.text, lead, second)}
				}
			}
		}
	}
	c.span = span{pos, next}
	if !f.hasSlot() {
		// A statement with no slot ("look for trends") works on it: its command's first text argument
		// takes "it", resolved as any "it" is (the latest result; refused when two could be meant).
		for _, field := range f.spec.Args {
			if field.Type == catalog.ContentType {
				c.args[field.Name] = slotValue{span: c.span, result: "it", want: field.Type}
				break
			}
		}
	}
	if f.iterates() {
		for {
			w, after, fail := p.where(next)
			if fail != nil {
				return nil, 0, fail
			}
			if w == nil {
				break
			}
			c.where = append(c.where, *w)
			next = after
		}
		c.span.to = next
	}
	return c, next, nil
}

// slotHint says what a slot of the field's type takes.
func slotHint(f catalog.Field) string {
	if _, list := f.Type.Elem(); list {
		return "words joined by commas, and, or: the date and the total; urgent, normal or low"
	}
	switch f.Type {
	case catalog.ContentType:
		return "a quotation, a file name (notes.md), or what a step before made (it, the summary)"
	}
	return "a file name, a pattern or an address as one word (notes.md, *.csv, https://example.com/), or a quotation"
}

// slot reads the value of a slot of field at pos, up to stop (the form's next word); after is -1 when
// there is none.
func (p *parser) slot(pos int, field catalog.Field, stop string) (slotValue, int, *failure) {
	if pos >= p.end {
		return slotValue{}, -1, nil
	}
	if _, list := field.Type.Elem(); list {
		return p.listSlot(pos, stop)
	}
	t := p.toks[pos]
	if t.kind == quoted {
		if strings.TrimSpace(t.text) == "" {
			return slotValue{}, 0, &failure{from: pos, to: pos + 1, why: "it is empty; write the text between the quotes"}
		}
		return slotValue{span: span{pos, pos + 1}, text: t.text, quoted: true}, pos + 1, nil
	}
	if field.Type == catalog.ContentType || field.Type == catalog.Any {
		if n, ok := p.phrase(pos, p.l.resultWords...); ok {
			return slotValue{span: span{pos, n}, result: strings.Join(wordsOf(p.toks[pos:n]), " "), want: field.Type}, n, nil
		}
	}
	text, after := p.valueWord(pos)
	if after < 0 {
		return slotValue{}, -1, nil
	}
	v := slotValue{span: span{pos, after}, text: text}
	web := strings.HasPrefix(text, "http://") || strings.HasPrefix(text, "https://")
	switch {
	case web && (field.Type == catalog.ContentType || field.Type == catalog.Path):
		// "Summarize https://..." means the page, which no file is: say how to fetch it, never read a file so named.
		how := fmt.Sprintf("fetch it first, like Fetch %s and summarize the page", text)
		if field.Type == catalog.Path {
			how = fmt.Sprintf("write Fetch %s instead", text)
		}
		return slotValue{}, 0, &failure{from: pos, to: after, why: text + " is a web page, not a file; " + how}
	case t.kind == address && (field.Type == catalog.ContentType || field.Type == catalog.Path):
		// "Save 'Hi' to bob@example.com": an email address is never a file. ("Write 'Hi' to
		// bob@example.com" is then read as the email verb write, as docs/english.md says.)
		return slotValue{}, 0, &failure{from: pos, to: after, why: fmt.Sprintf("%s is an email address, not a file; to email it, write Send '<message>' to %s; for a file, name one, like notes.txt", text, text)}
	case !web && field.Type == catalog.URL:
		// FetchURL's address: a bare host name is not an address the fetcher can open, and no guess adds one.
		return slotValue{}, 0, &failure{from: pos, to: after, why: fmt.Sprintf("a web address starts with https:// or http://, like https://%s", strings.TrimPrefix(text, "//"))}
	}
	if field.Type == catalog.ContentType {
		if p.l.reader == nil {
			return slotValue{}, -1, nil
		}
		v.file = true // "summarize notes.md": the text of the file
	}
	return v, after, nil
}

// valueWordAt is valueWord, or -1 past the end.
func (p *parser) valueWordAt(pos int) (string, int) {
	if pos >= p.end {
		return "", -1
	}
	return p.valueWord(pos)
}

// valueWord reads a file name, a pattern, an address or a web address at pos, as written; -1 when the
// word there is none of these.
func (p *parser) valueWord(pos int) (string, int) {
	t := p.toks[pos]
	if t.kind == address {
		return t.text, pos + 1
	}
	if t.kind != word {
		return "", -1
	}
	// A web address: the lexer splits "https://x:8080/" at its colons; its parts touch.
	if (t.text == "http" || t.text == "https") && p.isPunct(pos+1, ":") && pos+2 < p.end && p.toks[pos+2].kind == word &&
		strings.HasPrefix(p.toks[pos+2].text, "//") && p.toks[pos+1].start == t.end && p.toks[pos+2].start == p.toks[pos+1].end {
		end := pos + 3
		for end+1 < p.end && p.isPunct(end, ":") && p.toks[end].start == p.toks[end-1].end &&
			p.toks[end+1].kind == word && p.toks[end+1].start == p.toks[end].end {
			end += 2
		}
		return p.src[t.start:p.toks[end-1].end], end
	}
	raw := p.src[t.start:t.end]
	if p.l.grammarWords[t.text] || !strings.ContainsAny(raw, "./*?[") || strings.Contains(raw, "${") || strings.ContainsAny(raw, "{}'\"`") {
		return "", -1
	}
	return raw, pos + 1
}

// listSlot reads "the date and the total", "urgent, normal or low", up to stop or the end of the clause.
func (p *parser) listSlot(pos int, stop string) (slotValue, int, *failure) {
	var items []string
	next := pos
	for next < p.end {
		at := next
		if len(items) > 0 {
			if p.isPunct(at, ",") {
				at++
			}
			if p.isWord(at, "and") || p.isWord(at, "or") {
				at++
			}
			if at == next {
				break
			}
		}
		if p.isWord(at, "the") {
			at++
		}
		item, end := "", at
		if at < p.end && p.toks[at].kind == quoted && strings.TrimSpace(p.toks[at].text) != "" {
			item, end = strings.TrimSpace(p.toks[at].text), at+1
		} else {
			for end < p.end && p.toks[end].kind == word && p.toks[end].text != stop && (end == at || p.isNameWord(p.toks[end].text)) && p.isItemWord(p.toks[end].text) {
				end++
			}
			if end == at {
				break
			}
			item = strings.Join(wordsOf(p.toks[at:end]), " ")
		}
		if slices.ContainsFunc(items, func(i string) bool { return strings.EqualFold(i, item) }) {
			// "as urgent or urgent": one label twice always gives it; "the date and the date" asks once.
			return slotValue{}, -1, &failure{from: at, to: end, why: fmt.Sprintf("%q is given twice; give each one once", item)}
		}
		items = append(items, item)
		next = end
	}
	if len(items) == 0 {
		return slotValue{}, -1, nil
	}
	return slotValue{span: span{pos, next}, list: items}, next, nil
}

// isItemWord reports whether a word may be an item of a list slot: letters, digits, _ and -.
func (p *parser) isItemWord(w string) bool {
	if p.l.grammarWords[w] && w != "date" {
		return false
	}
	for _, r := range w {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127) {
			return false
		}
	}
	return w != ""
}

// where parses "where status is late", "where status is not 'done'", "and priority is high".
func (p *parser) where(pos int) (*whereClause, int, *failure) {
	at := pos
	if p.isPunct(at, ",") && p.isWord(at+1, "where") {
		at++
	}
	andIs := p.isWord(at+2, "is") || p.isWord(at+1, "the") && p.isWord(at+3, "is") // "and (the) priority is high"
	if !p.isWord(at, "where") && !(p.isWord(at, "and") && andIs && pos > 0) {
		return nil, 0, nil
	}
	if p.isWord(at, "and") && !p.prevWhere(pos) {
		return nil, 0, nil
	}
	col := at + 1
	if p.isWord(col, "the") {
		col++ // "where the status is late": the column is status
	}
	if col >= p.end || p.toks[col].kind != word || !identifier.MatchString(p.toks[col].text) {
		return nil, 0, &failure{from: at, to: col + 1, why: "say which column, in lower case letters, digits and _, like where status is late"}
	}
	n, ok := p.phrase(col+1, "is", "is not", "equals")
	if !ok {
		if op := p.operatorAt(col + 1); op != "" {
			// "where status = late": no symbols in the grammar, and no guess at what != or < would mean.
			return nil, 0, &failure{from: at, to: col + 2, why: fmt.Sprintf("%q is not a word of the grammar; write is (or is not), like where %s is late", op, p.toks[col].text)}
		}
		return nil, 0, &failure{from: at, to: col + 2, why: "say what the column is, like where status is late"}
	}
	not := p.isWord(col+2, "not")
	// The value: one word, a quotation, or an email address ("where email is bob@example.com").
	if n >= p.end || !(p.toks[n].kind == quoted || p.toks[n].kind == address || p.toks[n].kind == word && p.isItemWord(p.toks[n].text)) {
		return nil, 0, &failure{from: at, to: n + 1, why: "say the value, one word, an address or in quotes, like where status is late"}
	}
	if w := p.toks[n].text; p.toks[n].kind == word && blankWords[w] {
		// "where status is empty" means a blank cell in English, and the word "empty" to a comparison.
		is := strings.Join(wordsOf(p.toks[col+1:n]), " ")
		return nil, 0, &failure{from: at, to: n + 1, why: fmt.Sprintf("%q could mean a blank cell or the word %s; write where %s %s '' for a blank cell, or where %s %s '%s' for the word", w, w, p.toks[col].text, is, p.toks[col].text, is, w)}
	}
	written := p.toks[n].text
	if p.toks[n].kind == word {
		written = p.src[p.toks[n].start:p.toks[n].end] // as written: the lexer lowers words
	}
	if f := caseless(at, n+1, strings.TrimSpace(written), "write the value in the letters A to Z"); f != nil {
		return nil, 0, f
	}
	return &whereClause{span: span{at, n + 1}, field: p.toks[col].text, value: strings.TrimSpace(p.toks[n].text), not: not}, n + 1, nil
}

// blankWords say that a cell is blank in English; unquoted after "where <column> is" they are refused.
var blankWords = map[string]bool{"empty": true, "blank": true, "missing": true, "none": true, "null": true, "nothing": true, "unset": true}

// operatorAt is the comparison symbol the program wrote at pos ("=", "==", "!=", "<", ">="), or "".
func (p *parser) operatorAt(pos int) string {
	if pos >= p.end {
		return ""
	}
	raw := strings.TrimSpace(p.src[p.toks[pos].start:p.toks[pos].end])
	if raw != "" && strings.Trim(raw, "=!<>") == "" {
		return raw
	}
	return ""
}

// prevWhere reports whether a where clause ends just before pos, so that "and" joins another.
func (p *parser) prevWhere(pos int) bool {
	for i := pos - 1; i >= 0 && i >= pos-6; i-- {
		if p.isWord(i, "where") {
			return true
		}
	}
	return false
}

func wordsOf(toks []token) []string {
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		out = append(out, t.text)
	}
	return out
}

// identifier is a column name: lower case letters, digits and _.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// valueCondition parses a condition on a value a step before made: "if there are more than 5 files",
// "if there are no rows", "if the page contains 'down'", "if the label is urgent".
func (p *parser) valueCondition(pos int) (*clause, *failure) {
	if !p.isWord(pos, "if") {
		return nil, nil
	}
	// "if todo.txt contains 'urgent'", "if report.csv has more than 5 rows": a file, read first.
	var file string
	if fileName, after := p.valueWordAt(pos + 1); after > 0 && p.toks[pos+1].kind == word && !strings.Contains(fileName, "://") && !isPattern(fileName) {
		if _, ok := p.phrase(after, "contains", "does not contain", "has"); ok {
			file = fileName
		}
	}
	if n, ok := p.phrase(pos+1, "there are", "there is"); ok || file != "" && p.isWord(pos+2, "has") {
		v := &valueCondition{count: true, file: file}
		if file != "" {
			n = pos + 3
		}
		ops := []struct {
			words []string
			op    string
		}{
			{[]string{"more than", "over"}, ">"}, {[]string{"fewer than", "less than", "under"}, "<"},
			{[]string{"at least"}, ">="}, {[]string{"exactly"}, "=="},
		}
		matched := false
		for _, o := range ops {
			if after, ok := p.phrase(n, o.words...); ok {
				num, ok := 0, after < p.end && p.toks[after].kind == word
				if ok {
					num, ok = number(p.toks[after].text)
				}
				if !ok || num < 0 || num > maxFirst {
					return nil, &failure{from: pos, to: after + 1, why: fmt.Sprintf("say how many, a number from 0 to %d, like if there are more than 5 files", maxFirst)}
				}
				v.op, v.n, n, matched = o.op, num, after+1, true
				break
			}
		}
		if !matched && (p.isWord(n, "no") || p.isWord(n, "any")) {
			v.op, v.n, matched = "==", 0, true
			if p.isWord(n, "any") {
				v.op = ">"
			}
			n++
		}
		if !matched {
			return nil, &failure{from: pos, to: n + 1, why: "say how many: if there are more than 5, fewer than 3, at least 2, exactly 4, no or any"}
		}
		if n < p.end && p.toks[n].kind == word && p.isItemWord(p.toks[n].text) && !p.l.grammarWords[p.toks[n].text] {
			v.noun = p.toks[n].text
			n++
		}
		if file != "" && v.noun == "" {
			// "if report.csv has more than 5": of what? Its rows and its lines are both counted.
			return nil, &failure{from: pos, to: n, why: fmt.Sprintf("say what to count, like if %s has more than 5 rows (or lines)", file)}
		}
		v.span = span{pos, n}
		return &clause{next: n, lead: true, value: v}, nil
	}
	n, ok := p.phrase(pos+1, p.l.resultWords...)
	if file != "" {
		n, ok = pos+2, true
	}
	if !ok || p.isWord(pos+1, "them") || p.isWord(pos+1, "her") || p.isWord(pos+1, "him") {
		return nil, nil
	}
	v := &valueCondition{result: strings.Join(wordsOf(p.toks[pos+1:n]), " "), file: file}
	switch after, ok := p.phrase(n, "contains", "does not contain", "is", "is not", "says"); {
	case !ok:
		return nil, &failure{from: pos, to: n + 1, why: "say what it contains or is, like if the page contains 'down' or if the label is urgent"}
	default:
		v.not = p.isWord(n+1, "not")
		v.equals = p.isWord(n, "is")
		if after >= p.end || !(p.toks[after].kind == quoted || v.equals && p.toks[after].kind == word && p.isItemWord(p.toks[after].text)) {
			return nil, &failure{from: pos, to: after + 1, why: "put the text in quotes, like if the page contains 'down'"}
		}
		if strings.TrimSpace(p.toks[after].text) == "" {
			return nil, &failure{from: after, to: after + 1, why: "the text is empty; write it between the quotes"}
		}
		v.text = p.toks[after].text
		n = after + 1
	}
	v.span = span{pos, n}
	return &clause{next: n, lead: true, value: v}, nil
}

// attachments parses "with slides.pdf attached", "with a.pdf and b.pdf attached", "attaching a.pdf".
func (p *parser) attachments(pos int) (*clause, *failure) {
	at := pos
	attaching := p.isWord(at, "attaching")
	if !attaching && !p.isWord(at, "with") {
		return nil, nil
	}
	at++
	if p.isWord(at, "the") && p.isWord(at+1, "file") {
		at += 2
	}
	files, at := p.files(at)
	if len(files) == 0 {
		return nil, nil
	}
	if !attaching {
		if !p.isWord(at, "attached") {
			return nil, &failure{from: pos, to: at + 1, why: "say with <file> attached, like with slides.pdf attached"}
		}
		at++
	}
	return &clause{next: at, attach: files}, nil
}

// files parses file names to attach: "slides.pdf", "a.pdf, b.pdf and c.pdf"; not addresses or web
// addresses.
func (p *parser) files(at int) ([]string, int) {
	var files []string
	for at < p.end {
		if len(files) > 0 {
			n := at
			if p.isPunct(n, ",") {
				n++
			}
			if !p.isWord(n, "and") {
				if n == at {
					break
				}
			} else {
				n++
			}
			at = n
		}
		f, after := p.valueWord(at)
		if after < 0 || strings.Contains(f, "@") || strings.Contains(f, "://") {
			break
		}
		files = append(files, f)
		at = after
	}
	return files, at
}

// copyTo parses "a copy to ann@example.com", "cc ann@example.com", "with a copy to ...".
func (p *parser) copyTo(pos int) (*clause, *failure) {
	n, ok := p.phrase(pos, "a copy to", "with a copy to", "copying", "cc", "and cc")
	if !ok {
		return nil, nil
	}
	addrs, next, f := p.addresses(n, nil)
	if f != nil {
		return nil, f
	}
	if len(addrs) == 0 {
		return nil, &failure{from: pos, to: n + 1, why: "say the address to copy, like a copy to ann@example.com"}
	}
	return &clause{next: next, cc: addrs}, nil
}

// rowPlaceholder is a {column} in a message to each row.
var rowPlaceholder = regexp.MustCompile(`\{([^{}]*)\}`)
