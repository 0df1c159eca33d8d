package planner

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/eaapl/eaapl/catalog"
)

// The grammar (docs/english.md writes it out for users) is a sequence of statements; a statement is a
// sequence of clauses:
//
//	program   = [schedule [","]] statement { separator statement } ["." | "!" | "?"]
//	separator = "." | "!" | "?" | ";" | line break | [","] ["and"] ("then" | "after that") | "and" (before "if he doesn't reply")
//	            | after a command statement: "," | ", and" | "and"
//	statement = command | wait | answer | name | { lead [","] } action { [","] ["and"] clause }
//	command   = one of the registered commands' Forms.Statements: words and {arg} slots ("read {path}")
//	lead      = "for" contacts | "for each" item "in" source { where } | condition | value-condition | reply-condition | when
//	action    = verb [recipients] [object | result] [quote]
//	clause    = "to" recipients | message | subject | condition | relative-condition | when | "again" | attachments | copy
//
// The parser matches whole clauses at a position; where no clause matches, the text up to the next place
// a clause starts is the part not understood. It never skips a word it does not know. It is written by hand
// over the lexer rather than with a parser library (participle and the like build a grammar from Go types
// fixed at compile time): its phrases come from the registered commands' Forms at run time, and its errors
// quote the part not understood up to where the next clause starts, which a generic parser cannot know.

// span is the tokens [from, to) of a clause.
type span struct{ from, to int }

// selection is a list of contacts, narrowed by filters: "my contacts at acme.com except Dave".
type selection struct {
	span
	domains []string    // at acme.com: the address ends with @domain
	prefix  string      // whose name starts with
	named   string      // named John: the full or first name
	except  []exclusion // the contacts left out, in the order written
	first   int         // the first N, after the other filters; 0 is all
	// ownFirst is "my first 10 contacts": with filters or a condition after it, it is not clear whether
	// the 10 are counted before or after them, so the builder refuses those.
	ownFirst bool
	someone  bool // "if I haven't emailed someone in my contacts": each contact, sent to as "them"
	// emailed is "except those who I emailed this week" (the condition as written: the builder keeps
	// the others), or in a group after except, its condition.
	emailed *conditionClause
}

// exclusion is one part of an "except" list: a name (full or first) or an address, or a group of
// contacts its own filters select ("except those at acme.com"), all of which are left out.
type exclusion struct {
	who   string
	group *selection
}

// filtered reports whether the selection has any filter.
func (s *selection) filtered() bool {
	return len(s.domains) > 0 || s.prefix != "" || s.named != "" || len(s.except) > 0 || s.first > 0
}

// recipientClause names whom to email.
type recipientClause struct {
	span
	contacts  *selection // the contacts, maybe filtered
	them      bool       // "them": the contacts of a "For each" lead, or the list of an earlier statement
	one       bool       // "her", "him": the one recipient named before
	addresses []string
	display   map[string]string // the name shown with an address, by the address in lower case: "Bob <bob@example.com>"
	name      string            // a contact by name: "my contact John Smith", as written
	quoted    bool              // the name was quoted: "my contact 'Ann Lee'"
	list      string            // a list the program named: "the acme people"
	it        bool              // "to it": the item of "For each line in emails.txt"
	itObject  bool              // it, right after the verb before a message: "email it 'Hello'"
	me        bool              // "me", "myself": your own address (Rules.Me)
	you       bool              // addresses is your own address, from "me"
	column    string            // "the address in the email column": the item's field
}

// quoteClause is a message or a subject.
type quoteClause struct {
	span
	text string
}

// conditionClause is "if I haven't emailed them <period>" and its variants; emailed is true for the
// positive "who I emailed last month". who is the one recipient of "if I haven't emailed bob@example.com".
type conditionClause struct {
	span
	period  period
	emailed bool
	who     *recipientClause
	when    span // the time phrase: "this week"
	// relative is a "who I haven't emailed" clause, which chooses among contacts, rather than an "if"
	// or "unless", which may be a condition on one recipient ("if I haven't emailed them").
	relative bool
}

// replyClause is "if he doesn't reply within a day".
type replyClause struct {
	span
	within duration
}

// clause is what one clause parser recognized; an action may carry recipients and a message too.
type clause struct {
	next       int
	action     bool
	forEach    *selection
	recipients *recipientClause
	message    *quoteClause
	subject    *quoteClause
	condition  *conditionClause
	reply      *replyClause
	when       *whenClause
	again      *span
	it         bool             // the object "it": the message of the statement before, when there is one
	lead       bool             // a lead: "then" may follow it
	iter       *commandClause   // "for each row in orders.xlsx"
	value      *valueCondition  // "if the page contains 'down'"
	result     *span            // "email the summary": the words for a result of a step before
	attach     []string         // "with slides.pdf attached"
	cc         []string         // "and a copy to ann@example.com"
	verb       string           // the first word of the action's verb: "send", "tell"
	made       *commandClause   // "a summary of notes.md": a command the email's text is made by
	tells      *recipientClause // "tell him": whom the message tells, one person or them
	except     *exceptClause    // "..., except Bob" after the other clauses: left out of the statement's list
}

// exceptClause is an except list that comes after a statement's other clauses: "Send 'Hi' to my
// contacts who I haven't emailed this week, except Bob". The builder adds it to the statement's list of
// contacts, and refuses it when the statement has none.
type exceptClause struct {
	span
	except []exclusion
}

// valueCondition is a condition on a value a step before made: "if there are more than 5 files", "if
// the page contains 'down'", "if the label is urgent".
type valueCondition struct {
	span
	count  bool   // on how many: there are more than N
	noun   string // what is counted, "files"; "" for the last list
	op     string // >, <, >=, ==
	n      int
	result string // the words for the result: "the page", "it"
	file   string // a file the condition reads first: "if todo.txt contains", "if report.csv has more than 5 rows"
	read   *made  // the step that reads file's text, once the builder added it
	text   string // contains, is
	not    bool
	equals bool // is, rather than contains
}

// statementKind is what a statement does.
type statementKind int

const (
	sendStatement statementKind = iota
	waitStatement
	answerStatement
	nameStatement
	commandStatement
)

// sentence is a parsed statement, before its clauses are checked against each other.
type sentence struct {
	kind       statementKind
	span       span
	acted      bool
	leads      bool
	scoped     bool // a lead other than a time: "For each of my contacts, ...", "If I haven't emailed ..., "
	forEach    *selection
	recipients []recipientClause
	messages   []quoteClause
	subjects   []quoteClause
	conditions []conditionClause
	replies    []replyClause
	whens      []whenClause
	again      *span
	it         bool
	result     *span
	iter       *commandClause
	values     []valueCondition
	attach     []string
	cc         []string
	verb       string
	made       *commandClause
	tells      []recipientClause
	excepts    []exceptClause
	// forEachAgain is a second list of contacts to go over, which is refused: the one list is said once
	forEachAgain *selection
	// command statements
	command *commandClause
	// answers
	count bool
	// waits
	wait *whenClause
	// names: "call them the acme people"
	name string
}

func (s *sentence) add(c *clause) {
	s.acted = s.acted || c.action
	s.leads = s.leads || c.lead
	s.scoped = s.scoped || c.lead && c.when == nil
	if c.forEach != nil && s.forEach != nil {
		s.forEachAgain = c.forEach // "For each of my contacts at acme.com, for each of my contacts, ..."
	} else if c.forEach != nil {
		s.forEach = c.forEach
	}
	if c.recipients != nil {
		s.recipients = append(s.recipients, *c.recipients)
	}
	if c.message != nil {
		s.messages = append(s.messages, *c.message)
	}
	if c.subject != nil {
		s.subjects = append(s.subjects, *c.subject)
	}
	if c.condition != nil {
		s.conditions = append(s.conditions, *c.condition)
	}
	if c.reply != nil {
		s.replies = append(s.replies, *c.reply)
	}
	if c.when != nil {
		s.whens = append(s.whens, *c.when)
	}
	if c.again != nil {
		s.again = c.again
	}
	s.it = s.it || c.it
	if c.result != nil {
		s.result = c.result
	}
	if c.iter != nil {
		s.iter = c.iter
	}
	if c.value != nil {
		s.values = append(s.values, *c.value)
	}
	s.attach = append(s.attach, c.attach...)
	s.cc = append(s.cc, c.cc...)
	if c.verb != "" {
		s.verb = c.verb
	}
	if c.made != nil {
		s.made = c.made
	}
	if c.tells != nil {
		s.tells = append(s.tells, *c.tells)
	}
	if c.except != nil {
		s.excepts = append(s.excepts, *c.except)
	}
}

// failure is text not understood: the tokens [from, to), or from up to where the next clause starts
// when to is 0, with the reason when there is one more helpful than "not understood".
type failure struct {
	from, to int
	why      string
	form     string // the pattern of the form that fits, listed first among the nearest
	exact    bool   // the part is the tokens [from, to): not the separator word before them ("then")
}

// The phrases of the grammar that no command gives (the others are the language's, from the registry).
var (
	// getVerbs make a statement whose recipients come first: "Everyone in my contacts gets 'Hi'".
	getVerbs    = []string{"gets", "get", "should get", "will get", "receives", "should receive"}
	lastPhrases = join([]string{"in the", "within the", "over the", "during the"}, []string{"last", "past"})
	numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
		"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
	replyPronouns = []string{"he", "she", "they"}
	domainPattern = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$`)
	answerHeads   = []string{"list", "show", "show me", "tell me", "give me", "which are", "who are", "give me a list of", "show me a list of", "give me the list of", "show me the list of"}
)

// maxDays bounds "in the last N days" to ten years.
const maxDays = 3650

// maxFirst bounds "the first N".
const maxFirst = 10000

// join returns every phrase made of one phrase from each list in turn; an empty phrase adds nothing.
func join(lists ...[]string) []string {
	out := []string{""}
	for _, list := range lists {
		var next []string
		for _, head := range out {
			for _, tail := range list {
				next = append(next, strings.TrimSpace(head+" "+tail))
			}
		}
		out = next
	}
	return out
}

// concat returns the lists one after the other, in a new slice.
func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// whyQuestion is the reason given for a question that is not about the contacts.
const whyQuestion = "the questions EaaPL answers are about your contacts, like Which of my contacts haven't I emailed this week?, How many of my contacts are at acme.com? or Who haven't I emailed this month?"

// whyTime is the reason given for a time phrase that is not understood.
const whyTime = "a time must be today, yesterday, this week, this month, last week, last month, in the last N hours, days, weeks or months, or since yesterday, a weekday or a date (since 1 December)"

// parser parses the tokens of one program.
type parser struct {
	l     *language
	src   string // the program, for text quoted as written (a contact's name)
	toks  []token
	end   int      // the tokens from end on are the closing "." or "!"
	names []string // the lists the program has named so far, lower case: "acme people"
	// nameStops are the positions of words that ended a name because they are not capitalised or
	// are never part of one ("now"), with the name: where such a word is not understood, the refusal
	// says why.
	nameStops map[int]string
	zone      string // the name of the zone the program's times are in, for a refusal of "at 9am EST"
}

func newParser(l *language, src string, toks []token) *parser {
	toks = lineBreaks(l, src, toks)
	end := len(toks)
	for end > 0 && toks[end-1].kind == punct && strings.Contains(".!?\n;", toks[end-1].text) {
		end--
	}
	return &parser{l: l, src: src, toks: toks, end: end}
}

// lineBreaks keeps the line breaks that end a statement: those before a line that starts with a capital
// letter or a word that starts a statement. Any other line break is a space, so that a sentence may be wrapped ("... to each of my
// contacts\nthat says 'Hi'").
func lineBreaks(l *language, src string, toks []token) []token {
	out := toks[:0:0]
	for i, t := range toks {
		if t.kind == punct && t.text == "\n" {
			next := i + 1
			for next < len(toks) && toks[next].kind == punct && toks[next].text == "\n" {
				next++
			}
			if next >= len(toks) || toks[next].kind != word ||
				!unicode.IsUpper([]rune(src[toks[next].start:toks[next].end])[0]) && !l.lineStarters[toks[next].text] {
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// separator returns the length of the separator between statements at pos, 0 when there is none.
func (p *parser) separator(pos int) int {
	n := 0
	if pos < p.end && p.toks[pos].kind == punct && strings.Contains(".!?;\n", p.toks[pos].text) {
		n = 1
		for pos+n < p.end && p.toks[pos+n].kind == punct && strings.Contains(".!?;\n", p.toks[pos+n].text) {
			n++
		}
	}
	at := pos + n
	if p.isPunct(at, ",") {
		if n == 0 && p.isWord(at+1, "wait") {
			return 1 // "Send 'A' to bob@example.com, wait 5 minutes, then ..."
		}
		at++
	}
	if p.isWord(at, "and") && p.isWord(at+1, "also") && p.statementVerbAt(p.politeLead(at+2)) {
		return at + 2 - pos // "... and also send 'Bye' to bob@example.com"
	}
	if (n > 0 || at > pos || p.isWord(at, "and")) && p.sequenceWordAt(at+boolInt(p.isWord(at, "and"))) > 0 {
		// ". Next, send ...", ", and finally send ...": the same as "then".
		at += boolInt(p.isWord(at, "and"))
		return at + p.sequenceWordAt(at) - pos
	}
	// "and please send ...": the statement after "and" may start with polite words, as any statement may.
	verb := p.isWord(at, "and") && p.statementVerbAt(p.politeLead(at+1))
	if p.isWord(at, "and") && (p.isWord(at+1, "then") || p.isWord(at+1, "after") && p.isWord(at+2, "that") || p.replyAt(at+1) || p.namingAt(at+1) || verb) {
		if p.replyAt(at+1) || p.namingAt(at+1) || verb {
			return at + 1 - pos
		}
		at++
	}
	switch {
	case p.isWord(at, "then"):
		return at + 1 - pos
	case p.isWord(at, "after") && p.isWord(at+1, "that"):
		at += 2
		if p.isPunct(at, ",") {
			at++
		}
		return at - pos
	}
	return n
}

// sequenceWords say that a statement comes after the one before, as "then" does: "Next, send ...",
// "Finally, send ...". "first" is only the program's first statement's (see parse).
var sequenceWords = []string{"next", "afterwards", "afterward", "finally", "lastly"}

// sequenceWordAt returns the length of a sequence word at pos and the comma after it, 0 when there is
// none. Without the comma a statement's verb must follow it, so that "Next Monday at 9am, ..." stays a time.
func (p *parser) sequenceWordAt(pos int) int {
	n, ok := p.phrase(pos, sequenceWords...)
	if !ok {
		return 0
	}
	if p.isPunct(n, ",") && n+1 < p.end {
		return n + 1 - pos
	}
	if p.statementVerbAt(n) {
		return n - pos
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stepSeparator returns the length of ",", ", and" or "and" after a command statement, which lead to
// what to do with its result: "Read todo.txt and email it to bob@example.com".
func (p *parser) stepSeparator(pos int) int {
	at := pos
	if p.isPunct(at, ",") {
		at++
	}
	if p.isWord(at, "and") {
		at++
	}
	if at == pos || at >= p.end {
		return 0
	}
	return at - pos
}

// verbAt reports whether a verb that starts a statement is at pos ("send", "email", "wait", "read" ...):
// after "and" it starts the next statement, "Send 'Hello' to alice@example.com and send 'Bye' to
// bob@example.com". "and message 'Hi'" is the message of the statement it is in, not the verb "message".
func (p *parser) verbAt(pos int) bool {
	if pos >= p.end || p.toks[pos].kind != word || !p.l.lineStarters[p.toks[pos].text] || p.isWord(pos, "for") || p.isWord(pos, "then") {
		return false
	}
	if c, _ := p.message(pos, true); c != nil {
		return false
	}
	return true
}

// andVerb reports whether the separator at pos is "and" (or ", and", "and also") before a verb: the statements on
// either side must each be whole, or "and" could join their parts.
func (p *parser) andVerb(pos int) bool {
	if p.isPunct(pos, ",") {
		pos++
	}
	if !p.isWord(pos, "and") {
		return false
	}
	if p.isWord(pos+1, "also") {
		pos++
	}
	return p.statementVerbAt(p.politeLead(pos + 1))
}

// statementVerbAt reports whether a verb that starts a statement of its own is at pos; "tell him" is not
// one: "Email bob@example.com and tell him 'Running late'" gives the message of this email.
func (p *parser) statementVerbAt(pos int) bool {
	return p.verbAt(pos) && !p.tellsAt(pos)
}

// tellsAt reports whether "tell him", "say to her" or the like starts at pos: a clause that gives the
// message of the email it follows, not a statement of its own.
func (p *parser) tellsAt(pos int) bool {
	if pos >= p.end || p.toks[pos].kind != word || !messageVerbs[strings.ToLower(p.toks[pos].text)] {
		return false
	}
	if p.isWord(pos+1, "to") {
		pos++
	}
	return p.isWord(pos+1, "him") || p.isWord(pos+1, "her") || p.isWord(pos+1, "them")
}

// namingAt reports whether "call them ..." starts at pos.
func (p *parser) namingAt(pos int) bool {
	_, ok := p.phrase(pos, namingHeads...)
	return ok
}

var namingHeads = []string{"call them", "call those", "call it", "name them", "save them as", "save those as", "call the list", "call that list"}

// replyAt reports whether "if he doesn't reply" starts at pos.
func (p *parser) replyAt(pos int) bool {
	_, ok := p.phrase(pos, join([]string{"if"}, replyPronouns, []string{"does not", "do not", "did not"}, []string{"reply", "answer", "respond"})...)
	return ok
}

// program is the parsed program: an optional schedule and the statements.
type parsedProgram struct {
	schedule   *scheduleClause
	body       string // the program without its schedule, which each scheduled run plans
	statements []*sentence
	seps       []span // the separator before each statement (empty for the first)
}

// parse reads the statements in order; it stops at the first part it does not understand. A schedule
// is at the start, or at the end of a program of one statement: "Send 'Hi' to bob@example.com every
// Monday at 9am".
func (p *parser) parse() (*parsedProgram, *failure) {
	prog, f := p.parseFrom()
	if f == nil {
		return prog, nil
	}
	at, sc, sf := p.trailingSchedule()
	if sc == nil && sf != nil && sf.from <= f.to && f.from <= sf.to {
		// "Send 'x' to bob@example.com at 9am every day": a schedule there, but not one it can read.
		return nil, sf
	}
	if sc != nil {
		end := p.end
		p.end = at
		if p.isPunct(at-1, ",") {
			p.end--
		}
		tail, tf := p.parseFrom()
		p.end = end
		if tf != nil {
			return nil, tf
		}
		if tail.schedule != nil {
			return nil, &failure{from: sc.from, to: sc.to, why: "the program has a schedule at its start already"}
		}
		if len(tail.statements) > 1 {
			return nil, &failure{from: sc.from, to: sc.to, why: "at the end of several statements it could repeat the last one or all of them; put it first, like Every Monday at 9am, send ... Then ..."}
		}
		tail.schedule = sc
		tail.body = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p.src[:p.toks[at].start]), ","))
		return tail, nil
	}
	return nil, f
}

// trailingSchedule finds a schedule that ends the program and where it starts; else the first schedule
// there that could not be read, with why ("every day" without its time).
func (p *parser) trailingSchedule() (int, *scheduleClause, *failure) {
	var first *failure
	for i := 1; i < p.end; i++ {
		if !p.isWord(i, "every") && !p.isWord(i, "each") && !p.isWord(i, "daily") && !p.isWord(i, "on") {
			continue
		}
		sc, next, f := p.schedule(i)
		if f == nil && sc != nil && next == p.end {
			return i, sc, nil
		}
		if f != nil && first == nil {
			if _, _, clock := p.clock(i - 1); clock && p.isWord(i-2, "at") {
				f = &failure{from: i - 2, to: f.to, why: "a schedule says its days, then its time: " + p.src[p.toks[i].start:p.toks[f.to-1].end] + " at " + p.src[p.toks[i-1].start:p.toks[i-1].end]}
			}
			first = f
		}
	}
	return 0, nil, first
}

// parseFrom is parse without a schedule at the end.
func (p *parser) parseFrom() (*parsedProgram, *failure) {
	prog := &parsedProgram{}
	pos := 0
	if sc, next, f := p.schedule(p.politeLead(0)); f != nil { // "Please, every Monday at 9am, ..."
		return nil, f
	} else if sc != nil {
		prog.schedule = sc
		if p.isPunct(next, ",") {
			next++
		}
		if p.isWord(next, "and") && !p.isWord(next+1, "then") {
			next++ // "Every day at 9am and send ...": the program is what follows "and"
		}
		pos = next
		if next < len(p.toks) {
			prog.body = strings.TrimSpace(p.src[p.toks[next].start:])
		}
	}
	sep := span{pos, pos}
	if at := p.politeLead(pos); p.isWord(at, "first") {
		// "First send 'A' to ann@example.com. Next, ...", "Please first ...", "First of all, ...": the
		// first statement is the first anyway (the polite words before it add nothing either).
		n := at + 1
		if p.isWord(n, "of") && p.isWord(n+1, "all") {
			n += 2
		}
		if p.isPunct(n, ",") {
			n++
		}
		if n < p.end && (p.isPunct(n-1, ",") || p.statementVerbAt(n)) {
			sep, pos = span{pos, n}, n
		}
	}
	for pos < p.end {
		if w, next := p.whenFirst(pos); w != nil {
			// "Tomorrow at 9am, tell me how many ...": a wait, then the statement.
			prog.statements = append(prog.statements, &sentence{kind: waitStatement, acted: true, span: w.span, wait: w})
			prog.seps = append(prog.seps, sep)
			sep, pos = span{next, next}, next
			continue
		}
		s, next, f := p.statement(pos)
		if f != nil {
			if name, ok := p.nameStops[f.from]; ok && f.why == "" {
				f.why = fmt.Sprintf("it is not part of the name %s, and not understood after it (a name is its words written with capitals, like Bob Smith)", name)
			}
			if f.exact {
				// "..., then notify Bob": the word not understood is "notify"
			} else if f.from == pos && sep.to > sep.from && p.isWord(sep.to-1, "and") {
				// "Read todo.txt and print it": the part is what follows "and"
			} else if f.from == pos && sep.to > sep.from && p.toks[sep.from].kind == word {
				f.from = sep.from // "Then call Bob": quote the word that led to it
			} else if f.from == pos && sep.to > sep.from && sep.to-sep.from > 1 && p.toks[sep.to-1].kind == word {
				f.from = sep.to - 1
				for f.from > sep.from && p.toks[f.from-1].kind == word {
					f.from--
				}
			}
			return nil, f
		}
		next += p.courtesy(next, false)
		if s != nil && len(prog.statements) > 0 && p.messageFor(prog.statements[len(prog.statements)-1], s, sep) {
			s = nil // "Email ann@example.com. Say 'Hi there'.": the message of the email before
		}
		if s != nil && s.kind == sendStatement && messageVerbs[s.verb] && len(s.recipients) == 0 && s.forEach == nil && s.iter == nil && !s.it && s.again == nil {
			return nil, &failure{from: s.span.from, to: s.span.to, why: "it does not say whom to tell; alone, it gives the message of an email just before it that has none " +
				"(Email ann@example.com. Say 'Hi there'.); else write Say '<message>' to <recipients>"}
		}
		if s != nil && s.lacks() == "message" && sep.to > sep.from && p.andVerb(sep.from) && len(prog.statements) > 0 && prog.statements[len(prog.statements)-1].kind == sendStatement {
			// "Send 'Hi' to ann@example.com and email bob@example.com": the same 'Hi', or ask?
			return nil, &failure{from: sep.from, to: s.span.to, why: "the email after \"and\" has no message: it could be the message before or another; write send it to ... for the same message, or give it its own"}
		}
		if s != nil {
			prog.statements = append(prog.statements, s)
			prog.seps = append(prog.seps, sep)
		}
		n := p.separator(next)
		if n == 0 && s != nil && s.kind == commandStatement {
			n = p.stepSeparator(next)
		}
		if n == 0 && next < p.end {
			return nil, &failure{from: next, to: p.nextClause(next+1, true)}
		}
		sep = span{next, next + n}
		pos = next + n
		if pos >= p.end && n > 0 && p.toks[next+n-1].kind == word {
			return nil, &failure{from: next, to: next + n, why: "it does not say what to do next"}
		}
	}
	return prog, nil
}

// whenFirst parses a time phrase that leads a question or a command's statement, which (unlike an email)
// take no time clause of their own: "Tomorrow at 9am, tell me how many ...". It returns the when as a wait
// and the position of the statement, or nil.
func (p *parser) whenFirst(pos int) (*whenClause, int) {
	at := p.politeLead(pos)
	w, next, f := p.when(at)
	if w == nil || f != nil {
		return nil, 0
	}
	if p.isPunct(next, ",") {
		next++
	}
	if c, _, _ := p.commandStatement(next, false); c == nil {
		if s, _, f := p.answerStatement(next); s == nil || f != nil {
			return nil, 0
		}
	}
	w.span = span{pos, w.to}
	return w, next
}

// statement parses one statement at pos, up to a separator or the end.
func (p *parser) statement(pos int) (*sentence, int, *failure) {
	for pos < p.end && p.isPunct(pos, ",") {
		pos++
	}
	if n := p.courtesy(pos, true); n > 0 {
		return nil, pos + n, nil // "Thanks!" after the last statement
	}
	pos = p.politeLead(pos)
	if pos >= p.end {
		return nil, pos, nil
	}
	c, next, cf := p.commandStatement(pos, false)
	if c != nil {
		return &sentence{kind: commandStatement, acted: true, span: c.span, command: c}, next, nil
	}
	s, next, f := p.otherStatement(pos)
	if f != nil && cf != nil {
		// "Shout and ...": the words began a command's statement and nothing else reads them.
		return nil, 0, cf
	}
	return s, next, f
}

// politeLeads are the words before a statement that ask politely and add nothing to what it does.
var politeLeads = []string{"please", "could you", "can you", "would you", "hey", "just", "i want to", "i would like to", "i'd like to"}

// politeLead returns the position after the polite words at the start of a statement, "Could you
// please", "Hey, can you", "I want to", or pos when there are none.
func (p *parser) politeLead(pos int) int {
	for {
		n, ok := p.phrase(pos, politeLeads...)
		if !ok {
			return pos
		}
		pos = n
		if p.isPunct(pos, ",") {
			pos++
		}
	}
}

// courtesy returns the length of the "please" or thanks at pos that ends a statement ("please", ",
// please", ", thanks"), or that is a statement alone ("Thanks!"), or 0. A separator or the end must
// follow. Thanks right after the words of a statement need a comma: "Email bob@example.com thanks" could
// mean the message "thanks", which the program must quote.
func (p *parser) courtesy(pos int, alone bool) int {
	at := pos
	if p.isPunct(at, ",") {
		at++
	}
	words := []string{"please"}
	if alone || at > pos {
		words = append(words, "thanks", "thank you", "thanks a lot", "thank you very much", "many thanks")
	}
	n, ok := p.phrase(at, words...)
	if !ok || n < p.end && p.separator(n) == 0 {
		return 0
	}
	return n - pos
}

// otherStatement parses a statement that is not a command's statement: a wait, an answer, a name, a
// send.
func (p *parser) otherStatement(pos int) (*sentence, int, *failure) {
	if s, next, f := p.waitStatement(pos); s != nil || f != nil {
		return s, next, f
	}
	if s, next, f := p.answerStatement(pos); s != nil || f != nil {
		return s, next, f
	}
	if s, next, f := p.getStatement(pos); s != nil || f != nil {
		return s, next, f
	}
	if s, next, f := p.nameStatement(pos); s != nil || f != nil {
		return s, next, f
	}
	if p.separator(pos) > 0 {
		return nil, pos, nil // nothing before the separator: "Then send ..." at the start
	}
	s := &sentence{kind: sendStatement}
	start := pos
	for pos < p.end {
		if n := p.courtesy(pos, false); s.acted && n > 0 {
			pos += n // "Send 'Hi' to bob@example.com, please"
			break
		}
		if n := p.separator(pos); n > 0 {
			if lacks := s.lacks(); s.acted && lacks != "" && p.andVerb(pos) {
				return nil, 0, &failure{from: pos, to: p.nextClause(pos+n+1, true),
					why: fmt.Sprintf("the email before \"and\" has no %s, so this could be part of it or another email; give each email its recipients and message, or write one email to all of them", lacks)}
			}
			if s.acted && s.scoped && p.andVerb(pos) {
				return nil, 0, &failure{from: pos, to: p.nextClause(pos+n+1, true),
					why: "\"and\" could put this under the \"for each\" or \"if\" that the statement before starts with, or after it; write then for once after it, or give this statement its own"}
			}
			if s.acted || !s.leads || !p.leadThen(pos) {
				break
			}
			pos += p.separator(pos) // "If I haven't emailed her this month, then send her ..."
			continue
		}
		for pos < p.end && (p.isPunct(pos, ",") || s.acted && p.isPunct(pos, ":") && pos+1 < p.end && p.toks[pos+1].kind == quoted) {
			pos++ // "Send this to bob@example.com: 'Hi'"
		}
		if pos >= p.end || p.separator(pos) > 0 {
			continue
		}
		from := pos
		joined := false
		if s.acted && p.isWord(pos, "and") {
			pos++
			joined = true
			if pos >= p.end || p.separator(pos) > 0 {
				return nil, 0, &failure{from: from, to: pos}
			}
		}
		c, f := p.clauseAt(pos, s.acted, joined)
		if f != nil {
			if f.to == 0 {
				f.to = p.nextClause(f.from+1, s.acted)
			}
			return nil, 0, f
		}
		if c == nil && !s.acted && from == pos {
			return nil, 0, p.startFailure(pos) // "Notify everyone ...": where the action should be
		}
		if c == nil && p.isWord(pos, "if") {
			return nil, 0, &failure{from: pos, to: p.nextClause(pos+1, s.acted), why: whyIf} // "... if it rains"
		}
		if c == nil && s.acted && p.isWord(pos, "that") && pos+1 < p.end && p.toks[pos+1].kind == word {
			// "Tell bob@example.com that I'm late": the message, not quoted.
			end := pos + 1 // the words up to the end of the statement: a message may hold any word
			for end < p.end && p.separator(end) == 0 && p.toks[end].kind != quoted {
				end++
			}
			said := p.src[p.toks[pos+1].start:p.toks[end-1].end]
			return nil, 0, &failure{from: pos, to: end, why: fmt.Sprintf("the message must be in quotes, like %s '%s'", p.src[p.toks[start].start:p.toks[pos-1].end], said)}
		}
		if c == nil {
			return nil, 0, &failure{from: from, to: p.nextClause(from+1, s.acted)}
		}
		s.add(c)
		pos = c.next
	}
	s.span = span{start, pos}
	if !s.acted {
		return nil, 0, &failure{from: start, to: pos, why: "it does not say what to do; start with Send or Email"}
	}
	return s, pos, nil
}

// messageVerbs are the verbs whose statement may give only the message of the email before it.
var messageVerbs = map[string]bool{"say": true, "tell": true}

// messageFor reports whether s only gives the message of the email of the statement before, which has
// none: "Email ann@example.com. Say 'Hi there'.", "Email bob@example.com. Tell him 'Running late'."; if
// so, the message becomes that email's. A sequence ("then", "after that") keeps two statements.
func (p *parser) messageFor(before, s *sentence, sep span) bool {
	for i := sep.from; i < sep.to; i++ {
		if p.isWord(i, "then") || p.isWord(i, "after") || slices.Contains(sequenceWords, p.toks[i].text) {
			return false
		}
	}
	if before.kind != sendStatement || s.kind != sendStatement || !messageVerbs[s.verb] || len(s.messages) != 1 ||
		len(before.messages) > 0 || before.result != nil || before.made != nil || before.it || before.again != nil || len(before.replies) > 0 {
		return false
	}
	if s.leads || s.forEach != nil || s.iter != nil || len(s.subjects)+len(s.conditions)+len(s.replies)+len(s.whens)+len(s.values)+len(s.attach)+len(s.cc) > 0 ||
		s.again != nil || s.it || s.result != nil || s.made != nil || len(s.recipients) > 1 {
		return false
	}
	if len(s.recipients) == 1 {
		r := s.recipients[0]
		if !r.one && !(r.them && r.contacts == nil) {
			return false // "Tell bob@example.com 'Hi'" is an email of its own
		}
		before.tells = append(before.tells, r)
	}
	before.messages = append(before.messages, s.messages...)
	before.tells = append(before.tells, s.tells...)
	before.span.to = s.span.to
	return true
}

// lacks names what a send statement does not say, "message" or "recipients", and "" when it says both
// (or is not a send statement): an email that lacks either is not whole, and "and" after it could join parts.
func (s *sentence) lacks() string {
	if s.kind != sendStatement || s.again != nil {
		return ""
	}
	if len(s.recipients) == 0 {
		return "recipients"
	}
	if len(s.messages) == 0 && !s.it && s.result == nil {
		return "message"
	}
	return ""
}

// leadThen reports whether the separator at pos is a "then" after the leads of a statement, which goes on.
func (p *parser) leadThen(pos int) bool {
	at := pos
	if p.isPunct(at, ",") {
		at++
	}
	return p.isWord(at, "then")
}

// clauseAt parses the clause at pos: a lead or the action before the action, the others after it.
func (p *parser) clauseAt(pos int, acted, joined bool) (*clause, *failure) {
	var parsers []func(int) (*clause, *failure)
	if !acted {
		parsers = []func(int) (*clause, *failure){
			p.forEach,
			p.reply,
			p.valueCondition,
			func(pos int) (*clause, *failure) { return p.condition(pos, true) },
			p.whenClause,
			p.action,
		}
	} else {
		parsers = []func(int) (*clause, *failure){
			p.to,
			p.tell,
			func(pos int) (*clause, *failure) { return p.message(pos, joined) },
			func(pos int) (*clause, *failure) { return p.subject(pos, joined) },
			func(pos int) (*clause, *failure) { return p.condition(pos, false) },
			p.whenClause,
			p.againClause,
			p.attachments,
			p.copyTo,
			p.exceptAfter,
		}
	}
	var first *failure
	for _, parse := range parsers {
		c, f := parse(pos)
		if c != nil {
			return c, nil
		}
		if first == nil {
			first = f
		}
	}
	return nil, first
}

// nextClause returns the first position from pos on where a clause or a separator starts (or a clause
// fails in a way that shows one was meant), or the end.
func (p *parser) nextClause(pos int, acted bool) int {
	for ; pos < p.end; pos++ {
		if p.separator(pos) > 0 || p.clauseStarts(pos, acted) {
			return pos
		}
	}
	return p.end
}

// clauseStarts reports whether a clause starts at pos, understood or not.
func (p *parser) clauseStarts(pos int, acted bool) bool {
	c, f := p.clauseAt(pos, acted, false)
	return c != nil || f != nil
}

// boundary reports whether a clause, a separator or the end is at pos.
func (p *parser) boundary(pos int, acted bool) bool {
	return pos >= p.end || p.toks[pos].kind == punct || p.isWord(pos, "and") || p.separator(pos) > 0 || p.clauseStarts(pos, acted)
}

func (p *parser) isWord(pos int, w string) bool {
	return pos < p.end && p.toks[pos].kind == word && p.toks[pos].text == w
}

func (p *parser) isPunct(pos int, s string) bool {
	return pos < p.end && p.toks[pos].kind == punct && p.toks[pos].text == s
}

// phrase returns the position after the longest of phrases whose words are at pos.
func (p *parser) phrase(pos int, phrases ...string) (int, bool) {
	best := -1
	for _, ph := range phrases {
		next := pos
		ok := true
		for _, w := range strings.Fields(ph) {
			if !p.isWord(next, w) {
				ok = false
				break
			}
			next++
		}
		if ok && next > best {
			best = next
		}
	}
	return best, best >= 0
}

// forEach parses "for each of my contacts", with its filters.
func (p *parser) forEach(pos int) (*clause, *failure) {
	if !p.isWord(pos, "for") {
		return nil, nil
	}
	if it, next, f := p.commandStatement(pos, true); it != nil || f != nil {
		if f != nil {
			return nil, f
		}
		return &clause{next: next, iter: it, lead: true}, nil
	}
	sel, next, f := p.selection(pos+1, p.l.contactPhrases)
	if f != nil || sel == nil {
		return nil, f
	}
	sel.from = pos
	c := &clause{next: next, forEach: sel, lead: true}
	// "For everyone in my contacts I haven't emailed this month, ..."
	if cond, f := p.condition(next, false); f != nil {
		return nil, f
	} else if cond != nil {
		c.condition, c.next = cond.condition, cond.next
	}
	return c, nil
}

// action parses the verb, with the recipients, the word "email" and the message that may follow it; or a
// verb around its recipients, "let all my contacts know". What the email carries may also be what a step
// before made ("email the summary to ..."), what a phrase makes ("email bob@example.com a summary of
// notes.md"), or files to attach ("email slides.pdf to ...").
func (p *parser) action(pos int) (*clause, *failure) {
	next, ok := p.phrase(pos, p.l.verbs...)
	if !ok {
		return p.aroundVerb(pos)
	}
	verb := p.toks[pos].text
	c := &clause{action: true, verb: verb}
	if m, n, f := p.madePhraseAt(next); f != nil || m != nil {
		return p.made(c, m, next, n, f)
	}
	// "email it 'Hello'", "email it saying 'Hello'": it is whom the message goes to (each line, an
	// address), never what a step made sent with a message too; the build refuses it outside a list.
	_, sayingAfter := p.phrase(next+1, p.l.messageMarkers...)
	itWhom := p.isWord(next, "it") && (next+1 < p.end && p.toks[next+1].kind == quoted || sayingAfter)
	if n, ok := p.phrase(next, p.l.resultWords...); ok && !itWhom && !p.isWord(next, "them") && !p.isWord(next, "her") && !p.isWord(next, "him") {
		// "email the summary to ...", "email it to ...": what a step before made.
		c.result, c.it = &span{next, n}, p.isWord(next, "it")
		c.next = n
		if n < p.end && p.toks[n].kind == quoted {
			return nil, &failure{from: next, to: n + 1, why: "say either what a step made or a message, not both"}
		}
		return c, nil
	}
	if attachVerbs[verb] {
		// "Email slides.pdf to carol@example.com": the files attached, as "with slides.pdf attached" says.
		if files, n := p.files(next); len(files) > 0 && p.isWord(n, "to") && !slices.ContainsFunc(files, isPattern) {
			c.attach, c.next = files, n
			return c, nil
		}
	}
	r, after, f := p.recipients(next)
	if itWhom {
		r, after, f = &recipientClause{span: span{next, next + 1}, it: true, itObject: true}, next+1, nil
	}
	if f != nil {
		return nil, f
	}
	if r != nil {
		c.recipients, next = r, after
		// "Email alice@example.com a summary of notes.md", "send bob@example.com the summary".
		if m, n, f := p.madePhraseAt(next); f != nil || m != nil {
			return p.made(c, m, next, n, f)
		}
		if n, ok := p.phrase(next, p.l.resultWords...); ok && !p.isWord(next, "it") && !(n < p.end && p.toks[n].kind == quoted) {
			// Not before a quotation: "Email my contacts the text 'Hi'" is a message.
			c.result, c.next = &span{next, n}, n
			return c, nil
		}
	} else if name := p.capitalName(next); name != "" {
		return nil, &failure{from: next, to: next + len(strings.Fields(name)), why: fmt.Sprintf("%s is not an address or a list of contacts; for your contact, write my contact %s", name, name), form: contactForm}
	}
	if verb != "email" && verb != "mail" { // "Email" is followed by its recipients, not by "an email"
		if n, ok := p.phrase(next, p.l.sendObjects...); ok {
			c.it = p.isWord(next, "it")
			next = n
		}
	}
	if n, ok := p.phrase(next, "the message", "the note"); ok && n < p.end && p.toks[n].kind == quoted {
		next = n // "Send the message 'Welcome aboard!' to ..."; without a quotation it could be the message before
	}
	if next < p.end && p.toks[next].kind == quoted {
		c.message = &quoteClause{span{next, next + 1}, p.toks[next].text}
		next++
	}
	c.next = next
	return c, nil
}

// isPattern reports whether a file name is a pattern, "*.csv", which names no one file to attach.
func isPattern(name string) bool { return strings.ContainsAny(name, "*?[") }

// attachVerbs are the verbs whose object may be files to attach: "email slides.pdf to ...".
var attachVerbs = map[string]bool{"email": true, "mail": true, "send": true}

// aroundVerb parses a verb around its recipients and the message that may follow: "let all my contacts
// know: 'The office is closed'", "drop ann@example.com a line saying 'Hi'". It is no match unless the
// recipients and the verb's last words are there.
func (p *parser) aroundVerb(pos int) (*clause, *failure) {
	for _, v := range p.l.aroundVerbs {
		n, ok := p.phrase(pos, v[0])
		if !ok {
			continue
		}
		r, after, f := p.recipients(n)
		if f != nil {
			return nil, f
		}
		if r == nil {
			continue
		}
		end, ok := p.phrase(after, v[1])
		if !ok {
			continue
		}
		c := &clause{action: true, verb: p.toks[pos].text, recipients: r, next: end}
		if end < p.end && p.toks[end].kind == quoted {
			c.message = &quoteClause{span{end, end + 1}, p.toks[end].text}
			c.next = end + 1
		}
		return c, nil
	}
	return nil, nil
}

// madePhraseAt matches a phrase that runs a command and stands for its output at pos: "a summary of
// notes.md". A phrase whose first words match but whose slot does not is a failure saying what it takes.
func (p *parser) madePhraseAt(pos int) (*commandClause, int, *failure) {
	var first *failure
	for _, mp := range p.l.madePhrases {
		c, next, f := p.matchForm(pos, mp.form)
		if c != nil {
			c.form, c.output = mp.as, mp.output // described as its statement: "Summarize notes.md."
			return c, next, nil
		}
		if first == nil {
			first = f
		}
	}
	return nil, 0, first
}

// made completes an action whose email carries what a phrase makes: the command runs first, in the same
// statement, and the email sends its output.
func (p *parser) made(c *clause, m *commandClause, at, next int, f *failure) (*clause, *failure) {
	if f != nil {
		return nil, f
	}
	if next < p.end && p.toks[next].kind == quoted {
		return nil, &failure{from: at, to: next + 1, why: "say either what a step makes or a message, not both"}
	}
	c.made, c.next = m, next
	return c, nil
}

// tell parses "tell him '...'" and "telling them '...'" after a verb: the message, and whom it tells,
// which must be the email's recipients.
func (p *parser) tell(pos int) (*clause, *failure) {
	n, ok := p.phrase(pos, join([]string{"tell", "telling"}, []string{"him", "her", "them"})...)
	if !ok {
		return nil, nil
	}
	whom := &recipientClause{span: span{pos + 1, n}, one: !p.isWord(n-1, "them"), them: p.isWord(n-1, "them")}
	next := n
	if p.isPunct(next, ":") {
		next++
	}
	if next >= p.end || p.toks[next].kind != quoted {
		return nil, &failure{from: pos, to: next + 1, why: "the message must be in quotes, like tell him 'Hello'"}
	}
	return &clause{next: next + 1, message: &quoteClause{span{pos, next + 1}, p.toks[next].text}, tells: whom}, nil
}

// to parses "to" and the recipients.
func (p *parser) to(pos int) (*clause, *failure) {
	if !p.isWord(pos, "to") {
		return nil, nil
	}
	if p.isWord(pos+1, "it") {
		return &clause{next: pos + 2, recipients: &recipientClause{span: span{pos, pos + 2}, it: true}}, nil
	}
	r, next, f := p.recipients(pos + 1)
	if f != nil {
		return nil, f
	}
	if r == nil && p.capitalName(pos+1) != "" {
		name := p.capitalName(pos + 1)
		return nil, &failure{from: pos, to: pos + 1 + len(strings.Fields(name)), why: fmt.Sprintf("%s is not an address or a list of contacts; for your contact, write to my contact %s", name, name), form: contactForm}
	}
	if r == nil {
		return nil, &failure{from: pos, why: "say whom to email: each of my contacts, everyone in my contacts, them (after \"For each of my contacts\") or addresses such as bob@example.com"}
	}
	r.span.from = pos
	return &clause{next: next, recipients: r}, nil
}

// recipients parses the contacts, a pronoun, a contact by name or a list of addresses at pos. An address
// EaaPL does not accept is a failure; anything else that is not a recipient is no match.
func (p *parser) recipients(pos int) (*recipientClause, int, *failure) {
	if sel, next, f := p.selection(pos, p.l.contactPhrases); f != nil {
		return nil, 0, f
	} else if sel != nil {
		return &recipientClause{span: sel.span, contacts: sel}, next, nil
	}
	if name, next, ok := p.namedList(pos); ok {
		return &recipientClause{span: span{pos, next}, list: name}, next, nil
	}
	switch {
	case p.isWord(pos, "them"):
		return &recipientClause{span: span{pos, pos + 1}, them: true}, pos + 1, nil
	case p.isWord(pos, "her") || p.isWord(pos, "him"):
		return &recipientClause{span: span{pos, pos + 1}, one: true}, pos + 1, nil
	case p.isWord(pos, "me") || p.isWord(pos, "myself"):
		n := pos + 1
		if p.isPunct(n, ",") {
			n++
		}
		if p.isWord(n, "and") && n+1 < p.end && (p.toks[n+1].kind == address || p.isWord(n+1, "my")) {
			// "Send 'Hi' to me and bob@example.com": you and others in one list.
			return nil, 0, &failure{from: pos, to: n + 2, why: "you are emailed in a statement of your own, like Send '...' to bob@example.com, then send it to me"}
		}
		return &recipientClause{span: span{pos, pos + 1}, me: true}, pos + 1, nil
	}
	if next, ok := p.phrase(pos, "those contacts", "these contacts", "those people", "them all"); ok {
		return &recipientClause{span: span{pos, next}, them: true}, next, nil
	}
	if next, ok := p.phrase(pos, p.l.refer...); ok {
		return p.contactName(pos, next)
	}
	if n, ok := p.phrase(pos, "the address in the", "the addresses in the", "the email in the", "the email address in the"); ok {
		if n >= p.end || p.toks[n].kind != word || !p.isWord(n+1, "column") {
			return nil, 0, &failure{from: pos, to: n + 1, why: "say which column, like the address in the email column"}
		}
		if !identifier.MatchString(p.toks[n].text) {
			return nil, 0, &failure{from: n, to: n + 1, why: "a column name is lower case letters, digits and _, like email"}
		}
		return &recipientClause{span: span{pos, n + 2}, column: p.toks[n].text}, n + 2, nil
	}
	r := &recipientClause{}
	addrs, next, f := p.addresses(pos, r)
	if f != nil || len(addrs) == 0 {
		return nil, 0, f
	}
	r.span, r.addresses = span{pos, next}, addrs
	return r, next, nil
}

// addresses parses "a@x.com, b@y.org and c@z.net"; with r, also addresses with the name to show,
// "Bob <bob@example.com>", whose names it keeps in r.display. The address decides who gets the email:
// the name is only shown with it.
func (p *parser) addresses(pos int, r *recipientClause) ([]string, int, *failure) {
	var addrs []string
	next := pos
	for next < p.end {
		at := next
		if len(addrs) > 0 {
			if p.isPunct(at, ",") {
				at++
			}
			if p.isWord(at, "and") {
				at++
			}
			if at == next {
				break
			}
		}
		name := ""
		if r != nil {
			if n, after := p.nameAt(at); n != "" && after < p.end && p.toks[after].kind == address && p.toks[after].angled {
				name, at = n, after
			}
		}
		if at < p.end && p.toks[at].kind == badAddress {
			return nil, 0, &failure{from: at, to: at + 1, why: "it is not an email address EaaPL accepts; write addresses like name@example.com"}
		}
		if len(addrs) > 0 && at > next && (p.isWord(at, "me") || p.isWord(at, "myself")) {
			// "Send 'Hi' to bob@example.com and me": you in a list of addresses.
			return nil, 0, &failure{from: next, to: at + 1, why: "you are emailed in a statement of your own, like Send '...' to bob@example.com, then send it to me"}
		}
		if at >= p.end || p.toks[at].kind != address {
			break
		}
		addr := p.toks[at].text
		if name != "" {
			key := strings.ToLower(addr)
			if had, ok := r.display[key]; ok && had != name {
				return nil, 0, &failure{from: pos, to: at + 1, why: fmt.Sprintf("%s is given two names, %s and %s; give it one", addr, had, name)}
			}
			if r.display == nil {
				r.display = map[string]string{}
			}
			r.display[key] = name
		}
		addrs = append(addrs, addr)
		next = at + 1
		if next < p.end && p.toks[next].kind == word && strings.HasPrefix(p.toks[next].text, "(") {
			// "bob@example.com (Bob)": a name or a remark? The one form for a name is before the address.
			return nil, 0, &failure{from: next, to: p.nextClause(next+1, true), why: fmt.Sprintf("to show a name with the address, write it before the address in angle brackets, like Bob <%s>", addr)}
		}
	}
	return addrs, next, nil
}

// selection parses a list of contacts with its filters: "the first 10 of my contacts at acme.com whose
// name starts with A except Bob".
func (p *parser) selection(pos int, phrases []string) (*selection, int, *failure) {
	first := 0
	start := pos
	if n, ok := p.phrase(pos, "the first"); ok && n < p.end && p.toks[n].kind == word && p.isWord(n+1, "of") {
		v, ok := number(p.toks[n].text)
		if !ok {
			if f := numberTooLarge(p.toks[n].text, n, maxFirst); f != nil {
				return nil, 0, f // "the first 999999999999 of", "the first 1.5 of"
			}
			return nil, 0, nil
		}
		if v < 1 || v > maxFirst {
			return nil, 0, &failure{from: n, to: n + 1, why: fmt.Sprintf("the number must be from 1 to %d", maxFirst)}
		}
		first, pos = v, n+2
	}
	if n, ok := p.phrase(pos, "my first"); ok && first == 0 && n < p.end && p.toks[n].kind == word {
		// "my first 10 contacts": the first 10 of my contacts
		if v, ok := number(p.toks[n].text); ok {
			after, ok := p.phrase(n+1, "contacts")
			if !ok {
				return nil, 0, &failure{from: start, to: n + 1, why: "say which list: my first 10 contacts"}
			}
			if v < 1 || v > maxFirst {
				return nil, 0, &failure{from: n, to: n + 1, why: fmt.Sprintf("the number must be from 1 to %d", maxFirst)}
			}
			return p.filters(start, after, &selection{first: v, ownFirst: true})
		}
	}
	next, ok := p.phrase(pos, phrases...)
	if !ok {
		if first > 0 {
			return nil, 0, &failure{from: start, why: "say which list: the first 10 of my contacts"}
		}
		return nil, 0, nil
	}
	return p.filters(start, next, &selection{first: first})
}

// filters parses the filters of the selection sel, which starts at start, from next on.
func (p *parser) filters(start, next int, sel *selection) (*selection, int, *failure) {
	for {
		if n, ok, f := p.filter(next, sel); f != nil {
			return nil, 0, f
		} else if ok {
			next = n
			continue
		}
		if n, ok := p.phrase(next, exceptWords...); ok {
			except, after, f := p.exceptList(next, n)
			if f != nil {
				return nil, 0, f
			}
			if e, ok := p.phrase(after, exceptWords...); ok {
				// "except those at acme.com except Bob": Bob kept among those left out (he gets it),
				// or left out too? Two readings, as "except Bob at acme.com" has.
				return nil, 0, &failure{from: next, to: e, why: "a second except right after the first could take some back from those left out (they get the email) or leave out more; EaaPL does not guess. To leave out both, join them with and, like except those at acme.com and Bob; to email some of those left out, write a statement for them"}
			}
			for _, e := range except {
				if e.group != nil && e.group.emailed != nil {
					// "except those who I emailed this week" is a condition on the whole list.
					if sel.emailed != nil {
						return nil, 0, &failure{from: e.group.from, to: e.group.to, why: "give one condition on whom you emailed"}
					}
					sel.emailed = e.group.emailed
					continue
				}
				sel.except = append(sel.except, e)
			}
			next = after
			continue
		}
		break
	}
	sel.span = span{start, next}
	return sel, next, nil
}

// exceptAfter parses an except list after the other clauses of a statement: "..., except Bob".
func (p *parser) exceptAfter(pos int) (*clause, *failure) {
	n, ok := p.phrase(pos, exceptWords...)
	if !ok {
		return nil, nil
	}
	except, after, f := p.exceptList(pos, n)
	if f != nil {
		return nil, f
	}
	if len(except) == 0 {
		return nil, &failure{from: pos, to: n + 1, why: "say whom to leave out, like except Bob or except those at acme.com"}
	}
	return &clause{next: after, except: &exceptClause{span{pos, after}, except}}, nil
}

// exceptWords start the list of the contacts left out.
var exceptWords = []string{"except", "except for", "but not", "apart from", "excluding"}

// groupHeads start a group after "except" that its filters describe: "except those at acme.com".
var groupHeads = []string{"those", "the ones", "ones", "people", "the people", "anyone", "anybody", "everyone", "everybody", "all those", "contacts", "the contacts"}

// filter parses one filter of a selection at pos into sel: at a domain, whose name starts with, named.
func (p *parser) filter(pos int, sel *selection) (int, bool, *failure) {
	if p.isWord(pos, "at") && pos+1 < p.end && p.toks[pos+1].kind == word && domainPattern.MatchString(p.toks[pos+1].text) {
		next := pos
		for {
			sel.domains = append(sel.domains, p.toks[next+1].text)
			next += 2
			if !(p.isWord(next, "or") && next+1 < p.end && p.toks[next+1].kind == word && domainPattern.MatchString(p.toks[next+1].text)) {
				return next, true, nil
			}
		}
	}
	if p.isWord(pos, "at") && pos+1 < p.end && p.toks[pos+1].kind == badAddress && p.atDomain(pos+1) != "" {
		// "at @acme.com": the domain written as the end of the address
		next := pos
		for {
			sel.domains = append(sel.domains, p.atDomain(next+1))
			next += 2
			if !(p.isWord(next, "or") && next+1 < p.end && p.toks[next+1].kind == badAddress && p.atDomain(next+1) != "") {
				return next, true, nil
			}
		}
	}
	if n, ok := p.phrase(pos, "whose last name", "whose last names", "whose surname", "whose surnames", "whose family name", "whose middle name"); ok {
		return 0, false, &failure{from: pos, to: p.nextClause(n, true), why: "a contact has a name and an email address, and no last name of its own; write my contacts named 'Ann Lee' for a full name, or whose name starts with A"}
	}
	if n, ok := p.phrase(pos, "whose first name starts with", "whose first names start with", "whose first name begins with"); ok {
		// The first name is the name's first word, so it starts with a text without a space just when
		// the name does: the same filter as "whose name starts with".
		if n < p.end && p.toks[n].kind == quoted && strings.ContainsFunc(p.toks[n].text, unicode.IsSpace) { // also "Ann ": a space would have to follow the first name
			return 0, false, &failure{from: pos, to: n + 1, why: "a first name is one word; give its beginning, like whose first name starts with A"}
		}
		return p.prefixFilter(pos, n, sel)
	}
	if n, ok := p.phrase(pos, "whose first name is"); ok {
		// One word is the full name or the first name, as "named" reads it.
		name, after := p.nameAt(n)
		if name == "" || strings.Contains(name, " ") {
			return 0, false, &failure{from: pos, to: max(after, n+1), why: "a first name is one word, like whose first name is Ann"}
		}
		if sel.named != "" {
			return 0, false, &failure{from: pos, to: after, why: fmt.Sprintf("the contacts are already named %s; give one name", sel.named)}
		}
		sel.named = name
		return after, true, nil
	}
	if n, ok := p.phrase(pos, "whose name starts with", "whose names start with", "whose name begins with"); ok {
		return p.prefixFilter(pos, n, sel)
	}
	if n, ok := p.phrase(pos, "named", "called", "whose name is"); ok {
		name, after := p.nameAt(n)
		if n < p.end && p.toks[n].kind == quoted {
			// named 'Ann Lee', named "O'Brien": the name as quoted, which may hold any word
			name, after = strings.TrimSpace(p.toks[n].text), n+1
			if name == "" || strings.ContainsFunc(name, unicode.IsControl) {
				return 0, false, &failure{from: pos, to: after, why: "a quoted name is one line of text, not empty, like named 'Ann Lee'"}
			}
		}
		at := after
		if p.isPunct(at, ",") {
			at++
		}
		if _, ok := p.phrase(at, "and", "or"); ok {
			at++
		}
		if name != "" && at > after && at < p.end && p.toks[at].kind == quoted {
			// "Send my contacts named 'Ann' and 'Bob'": two names, or a name and the message.
			return 0, false, &failure{from: pos, to: at + 1, why: fmt.Sprintf("%s could be a second name or the message; give one name, and the message with saying '...'", p.src[p.toks[at].start:p.toks[at].end])}
		}
		if sel.named != "" {
			return 0, false, &failure{from: pos, to: after, why: fmt.Sprintf("the contacts are already named %s; give one name", sel.named)}
		}
		if name == "" {
			return 0, false, &failure{from: pos, to: n, why: "say the name, like named John or named 'Ann Lee'"}
		}
		if f := caseless(pos, after, name, "for one contact write my contact "+name+" (that lookup ignores case in every alphabet), or write the name in the letters A to Z"); f != nil {
			return 0, false, f
		}
		sel.named = name
		return after, true, nil
	}
	return 0, false, nil
}

// atDomain returns the domain of "@acme.com" at pos, lower case, or "" when the token is not one.
func (p *parser) atDomain(pos int) string {
	d, ok := strings.CutPrefix(strings.ToLower(p.toks[pos].text), "@")
	if !ok || !domainPattern.MatchString(d) {
		return ""
	}
	return d
}

// prefixFilter parses the beginning after "whose name starts with" (the filter's words are [pos, n)).
func (p *parser) prefixFilter(pos, n int, sel *selection) (int, bool, *failure) {
	if n < p.end && (p.toks[n].kind == quoted || p.toks[n].kind == word && (p.isNameWord(p.toks[n].text) || len(p.toks[n].text) == 1)) {
		text := p.toks[n].text
		if p.toks[n].kind == word {
			text = p.src[p.toks[n].start:p.toks[n].end]
		}
		if strings.TrimSpace(text) == "" || sel.prefix != "" {
			return 0, false, &failure{from: pos, to: n + 1, why: "give one beginning, like whose name starts with A"}
		}
		if f := caseless(pos, n+1, text, "write the beginning in the letters A to Z"); f != nil {
			return 0, false, f
		}
		sel.prefix = text
		return n + 1, true, nil
	}
	return 0, false, &failure{from: pos, to: n, why: "say what it starts with, like whose name starts with A"}
}

// exceptList parses the contacts left out after the "except" at pos (its words end at n): names,
// addresses and groups ("those at acme.com"), joined by "," and "and". A filter or a "who" clause right
// after a name or an address is refused: it could describe the one left out or the whole list.
func (p *parser) exceptList(pos, n int) ([]exclusion, int, *failure) {
	var except []exclusion
	last := n
	for {
		if n < p.end && p.toks[n].kind == address {
			except = append(except, exclusion{who: p.toks[n].text})
			n++
		} else if g, after, f := p.exceptGroup(n); f != nil {
			return nil, 0, f
		} else if g != nil {
			if rest := *g; g.named != "" && p.isWord(after, "and") && after+1 < p.end && p.toks[after+1].kind == word && p.isNameWord(p.toks[after+1].text) {
				if rest.named = ""; rest.filtered() {
					// "except those at acme.com named Bob and Ann": Ann at acme.com too, or every Ann?
					name, end := p.nameAt(after + 1)
					return nil, 0, &failure{from: n, to: max(end, after+2), why: fmt.Sprintf("%s could be one more of those (named %s too) or anyone named %s; write except those at ... named %s, and those named %s, or leave %s out by address", orDefault(name, "the name"), orDefault(name, "it"), orDefault(name, "it"), g.named, orDefault(name, "Ann"), orDefault(name, "them"))}
				}
			}
			except = append(except, exclusion{group: g})
			n = after
		} else if f := p.notExcepted(pos, n); f != nil {
			return nil, 0, f
		} else if name, after := p.nameAt(n); name != "" {
			if f := caseless(n, after, name, "leave them out by address instead, like except jose@example.com"); f != nil {
				return nil, 0, f
			}
			except = append(except, exclusion{who: name})
			n = after
		} else {
			n = last // the separator before it is not part of the list: "except Bob, thanks"
			break
		}
		last = n
		at := n
		if p.isPunct(at, ",") {
			at++
		}
		if p.isWord(at, "and") {
			at++
		}
		if len(except) == 1 && p.isPunct(n, ",") && p.isWord(n+1, "and") && at < p.end && (p.toks[at].kind == address || p.toks[at].kind == word && p.isNameWord(p.toks[at].text)) {
			// "Send 'Hi' to my contacts except Ann, and bob@example.com": bob left out too, or emailed too?
			return nil, 0, &failure{from: n, to: at + 1, why: fmt.Sprintf("after one left out, \", and %s\" could be another one to leave out or another recipient; write %s and %s (no comma) to leave both out, or email %s in a statement of its own",
				p.src[p.toks[at].start:p.toks[at].end], p.src[p.toks[pos].start:p.toks[n-1].end], p.src[p.toks[at].start:p.toks[at].end], p.src[p.toks[at].start:p.toks[at].end])}
		}
		if at > n && at < p.end && p.toks[at].kind == quoted {
			// "Send my contacts except Ann and 'Bob'": another one left out, or the message.
			return nil, 0, &failure{from: pos, to: at + 1, why: fmt.Sprintf("%s could be another one to leave out or the message; give the message with saying '...'", p.src[p.toks[at].start:p.toks[at].end])}
		}
		if at > n && at < p.end && p.toks[at].kind == word && domainPattern.MatchString(p.toks[at].text) {
			return nil, 0, &failure{from: n, to: at + 1, why: fmt.Sprintf("%s is a domain, not whom to leave out; to leave out those at it, write except those at %s (or: except those at acme.com or %s)", p.toks[at].text, p.toks[at].text, p.toks[at].text)}
		}
		if _, group := p.phrase(at, groupHeads...); at == n || !(group || at < p.end && (p.toks[at].kind == address || p.toks[at].kind == word && p.isNameWord(p.toks[at].text))) {
			break
		}
		n = at
	}
	if len(except) == 0 {
		return nil, 0, &failure{from: pos, to: n, why: "say whom to leave out, like except Bob and Carol, except bob@example.com or except those at acme.com"}
	}
	if last := except[len(except)-1]; last.group == nil {
		if f := p.describesWhich(pos, n, last.who); f != nil {
			return nil, 0, f
		}
	} else if g := last.group; p.isPunct(n, ",") {
		// "except those at acme.com, who I emailed today": the group's own filters stop at the comma.
		group := strings.Join(strings.Fields(p.src[p.toks[g.from].start:p.toks[g.to-1].end]), " ")
		if f := p.describesWhich(pos, n, group); f != nil {
			f.why = fmt.Sprintf("it is not clear whether what follows the comma belongs to %q or says which contacts get the email; EaaPL does not guess. To leave out %s, end the list there, or write it without the comma to make it part of them", group, group)
			return nil, 0, f
		}
	}
	return except, n, nil
}

// notExcepted refuses the words after "except" (at pos) that are not whom to leave out, at n.
func (p *parser) notExcepted(pos, n int) *failure {
	switch {
	case p.isWord(n, "not"):
		return &failure{from: pos, to: n + 1, why: "except leaves contacts out, and \"not\" after it would bring them back; say whom to leave out, like except Bob"}
	case p.isWord(n, "the") && p.isWord(n+1, "first"), p.isWord(n, "my") && p.isWord(n+1, "first"):
		return &failure{from: pos, to: min(n+3, p.end), why: "leaving out the first N is not supported; say whom to leave out, like except Bob, except bob@example.com or except those at acme.com"}
	}
	if after, ok := p.phrase(n, p.l.refer...); ok {
		name, end := p.nameAt(after)
		if name == "" {
			end = after
		}
		return &failure{from: pos, to: end, why: fmt.Sprintf("to leave out contacts by name, write except %s (every contact named %s) or their address, like except bob@example.com", orDefault(name, "Bob"), orDefault(name, "Bob"))}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// exceptGroup parses a group of contacts after "except": "those at acme.com", "people named Bob",
// "those who I emailed this week". It returns nil when no group starts at pos.
func (p *parser) exceptGroup(pos int) (*selection, int, *failure) {
	next, ok := p.phrase(pos, groupHeads...)
	if !ok {
		return nil, 0, nil
	}
	g := &selection{}
	for {
		if n, ok, f := p.filter(next, g); f != nil {
			return nil, 0, f
		} else if ok {
			next = n
			continue
		}
		if c, n, f := p.exceptEmailed(next); f != nil {
			return nil, 0, f
		} else if c != nil {
			if g.emailed != nil {
				return nil, 0, &failure{from: pos, to: n, why: "give one condition on whom you emailed"}
			}
			g.emailed, next = c, n
			continue
		}
		break
	}
	if !g.filtered() && g.emailed == nil {
		return nil, 0, &failure{from: pos, to: next, why: "say which ones to leave out, like except those at acme.com, except those named Bob or except those who I emailed this week"}
	}
	if g.emailed != nil && g.filtered() {
		return nil, 0, &failure{from: pos, to: next, why: "a group left out may have filters or a condition on whom you emailed, not both; say one, like except those who I emailed this week"}
	}
	g.span = span{pos, next}
	return g, next, nil
}

// exceptEmailed parses "who I emailed this week" or "who I haven't emailed this week" in a group after except.
func (p *parser) exceptEmailed(pos int) (*conditionClause, int, *failure) {
	emailed := false
	next, ok := p.phrase(pos, p.exceptNegatives()...)
	if !ok {
		if next, ok = p.phrase(pos, p.exceptPositives()...); !ok {
			return nil, 0, nil
		}
		emailed = true
	}
	per, after, f := p.period(next)
	if f != nil {
		return nil, 0, f
	}
	if after < 0 {
		return nil, 0, &failure{from: pos, to: next, why: "it does not say since when; add today, this week, this month or in the last N days"}
	}
	return &conditionClause{span{pos, after}, per, emailed, nil, span{next, after}, true}, after, nil
}

func (p *parser) exceptNegatives() []string {
	return join([]string{"who i", "whom i", "that i", "i"}, p.l.haveNotEmailed)
}

func (p *parser) exceptPositives() []string {
	return concat(p.l.positiveRelatives, join([]string{"i"}, []string{"emailed", "have emailed", "sent an email to", "wrote to", "have written to"}))
}

// describesWhich refuses a filter or a "who" clause right after the name or address left out (the
// except list is [pos, n)): it could say which one to leave out, or which contacts get the email.
func (p *parser) describesWhich(pos, n int, who string) *failure {
	at := n
	if p.isPunct(at, ",") {
		at++
	}
	var end int
	relative := false
	if n, ok, _ := p.filter(at, &selection{}); ok {
		end = n
	} else if _, n, _ := p.exceptEmailed(at); n > 0 {
		end, relative = n, true
	} else if n, ok := p.phrase(at, concat(p.exceptNegatives(), p.exceptPositives(), join([]string{"who", "that"}, []string{"has not", "have not"}, []string{"heard from me"}))...); ok {
		end, relative = n, true
	} else {
		return nil
	}
	part := strings.Join(strings.Fields(p.src[p.toks[at].start:p.toks[end-1].end]), " ")
	if relative {
		return &failure{from: pos, to: end, why: fmt.Sprintf("it is not clear whether %q says something about %s or which contacts get the email (only those, leaving out %s); EaaPL does not guess. To leave out %s from all your contacts, end the list at the name: my contacts except %s", part, who, who, who, who)}
	}
	why := fmt.Sprintf("it is not clear whether %q says which %s to leave out or which contacts get the email (only those %s, leaving out %s); EaaPL does not guess. ", part, who, part, who)
	if !strings.Contains(who, "@") && !p.isWord(at, "named") && !p.isWord(at, "called") && !p.isWord(at, "whose") {
		why += fmt.Sprintf("Write except those named %s %s to leave out only that %s, or put it first, my contacts %s except %s, to send only to those", who, part, who, part, who)
	} else {
		why += fmt.Sprintf("To send only to those, put it first: my contacts %s except %s", part, who)
	}
	return &failure{from: pos, to: end, why: why}
}

// isNameWord reports whether a word may be part of a name: not a word of the grammar, and made of letters,
// apostrophes, dots and hyphens.
func (p *parser) isNameWord(w string) bool {
	if p.l.grammarWords[w] || w == "" || domainPattern.MatchString(w) {
		return false // a domain is no name: "except those at acme.com and example.org"
	}
	for _, r := range w {
		if !(r == '\'' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r > 127) {
			return false
		}
	}
	return true
}

// notNames are words that end a name even when written with a capital: "except Bob now", "my contact
// Bob ASAP".
var notNames = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`now too also as first immediately asap soon later instead only just
		not no do does did done have has had having is are was were be been am obviously himself herself
		themselves myself yourself either both anyway right away thanks thank`) {
		notNames[w] = true
	}
}

// nameAt returns the name of words at pos, as written, and the position after it; "" when there is none.
// A name of more than one word is written with capitals, "Ann Lee": a word after the first that is not
// capitalised ("Bob now", "Bob haven't") ends it, so that the words after a name are never taken into it.
// Where such a word ends a name, the parser remembers it, to say so if the word is not understood.
func (p *parser) nameAt(pos int) (string, int) {
	if pos >= p.end || p.toks[pos].kind != word || !p.isNameWord(p.toks[pos].text) || notNames[p.toks[pos].text] {
		return "", pos
	}
	next := pos + 1
	if p.capitalised(pos) {
		for next < p.end && p.toks[next].kind == word && p.isNameWord(p.toks[next].text) && !notNames[p.toks[next].text] && p.capitalised(next) {
			next++
		}
	}
	// One space between the words, as the contacts have it: "Ann\nSmith" continued on the next line is "Ann Smith".
	name := strings.Join(strings.Fields(p.src[p.toks[pos].start:p.toks[next-1].end]), " ")
	if next < p.end && p.toks[next].kind == word && p.isNameWord(p.toks[next].text) {
		if p.nameStops == nil {
			p.nameStops = map[int]string{}
		}
		p.nameStops[next] = name
	}
	return name, next
}

// capitalised reports whether the word at pos is written with a capital first letter.
func (p *parser) capitalised(pos int) bool {
	r, _ := utf8.DecodeRuneInString(p.src[p.toks[pos].start:p.toks[pos].end])
	return unicode.IsUpper(r)
}

// contactForm is the form for one contact by name.
const contactForm = "Send '<message>' to my contact <name>"

// capitalName returns the name at pos when it is written with capitals, "Ann Lee", and "" otherwise: a
// person the program names without "my contact".
func (p *parser) capitalName(pos int) string {
	name, next := p.nameAt(pos)
	if name == "" {
		return ""
	}
	for _, t := range p.toks[pos:next] {
		if r := []rune(p.src[t.start:t.end]); !unicode.IsUpper(r[0]) {
			return ""
		}
	}
	return name
}

// contactName parses the name after "my contact": its words up to a word of the grammar ("Send my contact
// Ann an email ...", "my contact Ann on Friday").
func (p *parser) contactName(pos, from int) (*recipientClause, int, *failure) {
	if from < p.end && p.toks[from].kind == quoted {
		// my contact 'Ann Lee': the name as quoted, as after "named"; the builder refuses it when the
		// statement has no other message, since the quotation could then be the message.
		name := strings.TrimSpace(p.toks[from].text)
		if name == "" || strings.ContainsFunc(name, unicode.IsControl) {
			return nil, 0, &failure{from: pos, to: from + 1, why: "a quoted name is one line of text, not empty, like my contact 'Ann Lee'"}
		}
		return &recipientClause{span: span{pos, from + 1}, name: name, quoted: true}, from + 1, nil
	}
	name, next := p.nameAt(from)
	if name == "" {
		why := "say which contact: my contact John, or my contact John Smith"
		if from < p.end && p.toks[from].kind == word && p.l.grammarWords[p.toks[from].text] {
			why = fmt.Sprintf("%q is a word of the grammar, not a name; %s", p.toks[from].text, why)
		}
		return nil, 0, &failure{from: pos, to: from + 1, why: why}
	}
	if n, ok, _ := p.filter(next, &selection{}); ok {
		// "my contact Bob at acme.com": FindContact looks one contact up by name alone, and a plan that
		// went over the Bobs at acme.com would email each of them, more than "my contact" says.
		part := strings.Join(strings.Fields(p.src[p.toks[next].start:p.toks[n-1].end]), " ")
		return nil, 0, &failure{from: pos, to: n, why: fmt.Sprintf("my contact %s is one contact found by name alone (EaaPL asks which one when several have it), so %q cannot narrow it; write my contacts named %s %s to email each of them, or give the address", name, part, name, part)}
	}
	return &recipientClause{span: span{pos, next}, name: name}, next, nil
}

// message parses "that says '...'" and its variants, and a bare quotation. After "and", "with" may be
// left out: "with the subject 'S' and the message 'M'".
func (p *parser) message(pos int, joined bool) (*clause, *failure) {
	if pos < p.end && p.toks[pos].kind == quoted {
		return &clause{next: pos + 1, message: &quoteClause{span{pos, pos + 1}, p.toks[pos].text}}, nil
	}
	if p.isWord(pos, "with") && pos+1 < p.end && p.toks[pos+1].kind == quoted {
		return &clause{next: pos + 2, message: &quoteClause{span{pos, pos + 2}, p.toks[pos+1].text}}, nil // "with 'Hi'"
	}
	markers := p.l.messageMarkers
	if joined {
		markers = p.l.joinedMessages
	}
	q, f := p.quoteAfter(pos, markers, "the message must be in quotes, like saying 'Hello'")
	if q == nil {
		return nil, f
	}
	return &clause{next: q.to, message: q}, nil
}

// subject parses "with the subject '...'".
func (p *parser) subject(pos int, joined bool) (*clause, *failure) {
	markers := p.l.subjectMarkers
	if joined {
		markers = p.l.joinedSubjects
	}
	q, f := p.quoteAfter(pos, markers, "the subject must be in quotes, like with the subject 'Hello'")
	if q == nil {
		return nil, f
	}
	return &clause{next: q.to, subject: q}, nil
}

// quoteAfter parses one of markers, an optional colon and a quotation.
func (p *parser) quoteAfter(pos int, markers []string, why string) (*quoteClause, *failure) {
	next, ok := p.phrase(pos, markers...)
	if !ok {
		return nil, nil
	}
	if p.isPunct(next, ":") {
		next++
	}
	if next >= p.end || p.toks[next].kind != quoted {
		// The part runs to where the next clause starts, but never stops inside a marker's own words
		// ("with the subject News": "subject" starts a clause too).
		return nil, &failure{from: pos, to: max(p.nextClause(pos+1, true), min(next+1, p.end)), why: why}
	}
	return &quoteClause{span{pos, next + 1}, p.toks[next].text}, nil
}

// againClause parses "again": the message and recipients of the statement before.
func (p *parser) againClause(pos int) (*clause, *failure) {
	if !p.isWord(pos, "again") {
		return nil, nil
	}
	return &clause{next: pos + 1, again: &span{pos, pos + 1}}, nil
}

// condition parses "if I haven't emailed them <time>" and its variants, and the positive "if I emailed
// them <time>"; after the action also "who I haven't emailed <time>", "who I emailed <time>", "only if
// ..." and a condition on the one recipient, "if I haven't emailed her <time>"; as a lead and after the
// action "if I haven't emailed bob@example.com <time>", "unless I emailed my contact Ann <time>".
func (p *parser) condition(pos int, lead bool) (*clause, *failure) {
	start := pos
	if !lead && p.isWord(pos, "only") && p.isWord(pos+1, "if") {
		pos++ // "Send 'Hi' to bob@example.com only if I haven't emailed him this week"
	}
	heads := p.l.trailingConditions
	if lead {
		heads = p.l.leadConditions
	}
	emailed, relative := false, false
	var who *recipientClause
	next, ok := p.phrase(pos, heads...)
	if n, found := p.phrase(pos, p.l.positiveIfs...); found && n > next {
		next, ok, emailed = n, true, true // "if I emailed them this week"
	}
	if ok && !p.isWord(pos, "if") && !p.isWord(pos, "unless") {
		relative = true // "who I haven't emailed this week": it chooses among contacts
	}
	if !ok && !lead {
		if next, ok = p.phrase(pos, p.l.positiveRelatives...); ok {
			emailed, relative = true, true
		}
	}
	if !ok {
		n, found := p.phrase(pos, p.l.oneConditions...)
		negative, _ := p.phrase(pos, join([]string{"if i"}, p.l.haveNotEmailed)...)
		if n2, positive := p.phrase(pos, p.l.onePositive...); positive && n2 > n {
			n, found, emailed = n2, true, true
		}
		if found && lead && negative == n {
			if sel, after, f := p.selection(n, p.l.someonePhrases); f != nil || sel != nil {
				// "If I haven't emailed someone in my contacts this week, send them ...": each contact
				// the condition keeps. Not "anyone", which could mean the condition that I emailed none.
				if f != nil {
					return nil, f
				}
				sel.someone = true
				per, end, f := p.period(after)
				if f != nil {
					return nil, f
				}
				if end < 0 {
					return nil, &failure{from: after, why: whyTime}
				}
				return &clause{next: end, lead: true, forEach: sel, condition: &conditionClause{span{pos, end}, per, false, nil, span{after, end}, false}}, nil
			}
			if after, any := p.phrase(n, join([]string{"anyone in my", "anybody in my", "any of my", "anyone on my", "anybody on my"}, p.l.nouns)...); any {
				return nil, &failure{from: pos, to: after, why: "it could mean each contact you have not emailed, or that you have emailed none of them; " +
					"for each, write If I haven't emailed someone in my contacts <time>, send them '<message>'"}
			}
		}
		if found {
			r, after, f := p.recipients(n)
			if f != nil {
				return nil, f
			}
			// "her" or "him" as a lead is the one recipient of the email before ("Send 'Hi' to
			// bob@example.com. Unless I emailed him today, send him 'Bye'"): the builder checks there is one.
			if r == nil || r.contacts != nil || r.them || len(r.addresses) > 1 || r.list != "" || r.it || r.column != "" {
				return nil, &failure{from: start, to: n + 1, why: "say whom: an address (if I haven't emailed bob@example.com this week), my contact <name>, or them after \"For each of my contacts\""}
			}
			who, next, ok = r, after, true
		}
	}
	if !ok {
		return nil, nil
	}
	per, after, f := p.period(next)
	if f != nil {
		return nil, f
	}
	if after < 0 {
		if (p.isWord(next, "in") || p.isWord(next, "for") || p.isWord(next, "within")) && next+1 < p.end {
			if d, end, _ := p.duration(next + 1); end > 0 {
				// "who I haven't emailed in 2 hours": a window right after "emailed", and one in hours or
				// minutes is not one EaaPL has; it is not taken as a wait either.
				return nil, &failure{from: start, to: end, why: fmt.Sprintf("right after \"emailed\", \"%s\" would be the window, and a window is in hours, days, weeks or months (in the last 2 hours); to wait %s first, write it before the statement: %s %s, send ...",
					strings.Join(wordsOf(p.toks[next:end]), " "), catalog.DescribeDuration(time.Duration(d)), capitalize(p.toks[next].text), strings.Join(wordsOf(p.toks[next+1:end]), " "))}
			}
		}
		if p.boundary(next, !lead) {
			return nil, &failure{from: start, to: next, why: "it does not say since when; add today, this week, this month or in the last N days"}
		}
		return nil, &failure{from: next, why: whyTime}
	}
	if emailed && per.negative {
		unit := wordsOf(p.toks[next+1 : after])
		if unit[0] == "a" || unit[0] == "an" || unit[0] == "one" {
			unit = unit[1:] // "for a week": in the last week
		}
		return nil, &failure{from: next, to: after, why: fmt.Sprintf("\"%s\" says how long you have not emailed; for when you emailed, write in the last %s", strings.Join(wordsOf(p.toks[next:after]), " "), strings.Join(unit, " "))}
	}
	return &clause{next: after, lead: lead, condition: &conditionClause{span{start, after}, per, emailed, who, span{next, after}, relative}}, nil
}

// reply parses "if he doesn't reply within a day".
func (p *parser) reply(pos int) (*clause, *failure) {
	next, ok := p.phrase(pos, join([]string{"if"}, replyPronouns, []string{"does not", "do not", "did not"}, []string{"reply", "answer", "respond"})...)
	if !ok {
		return nil, nil
	}
	n, ok := p.phrase(next, "within", "in", "by the end of", "after")
	if !ok {
		return nil, &failure{from: pos, to: next, why: "say how long to wait for the reply, like if he doesn't reply within a day"}
	}
	d, after, f := p.durations(n) // "within a day", "within 1 day 2 hours"
	if f != nil {
		return nil, f
	}
	if after < 0 {
		return nil, &failure{from: n, why: "say how long, like within a day or within 2 hours"}
	}
	return &clause{next: after, lead: true, reply: &replyClause{span{pos, after}, d}}, nil
}

// period parses a time phrase; it returns -1 when there is none at pos.
func (p *parser) period(pos int) (period, int, *failure) {
	if n, ok := p.phrase(pos, "so far this week", "this week so far"); ok {
		return period{kind: thisWeek}, n, nil
	}
	if n, ok := p.phrase(pos, "so far this month", "this month so far"); ok {
		return period{kind: thisMonth}, n, nil
	}
	if n, ok := p.phrase(pos, "so far today", "today so far"); ok {
		return period{kind: today}, n, nil
	}
	switch {
	case p.isWord(pos, "today"):
		return period{kind: today}, pos + 1, nil
	case p.isWord(pos, "yesterday"):
		return period{kind: yesterday}, pos + 1, nil
	case p.isWord(pos, "this") && p.isWord(pos+1, "week"):
		return period{kind: thisWeek}, pos + 2, nil
	case p.isWord(pos, "this") && p.isWord(pos+1, "month"):
		return period{kind: thisMonth}, pos + 2, nil
	case p.isWord(pos, "last") && p.isWord(pos+1, "week"):
		return period{kind: lastWeek}, pos + 2, nil
	case p.isWord(pos, "last") && p.isWord(pos+1, "month"):
		return period{kind: lastMonth}, pos + 2, nil
	}
	if n, ok := p.phrase(pos, "since the start of the month", "since the beginning of the month", "since the start of this month", "since the beginning of this month"); ok {
		return period{kind: thisMonth}, n, nil
	}
	if n, ok := p.phrase(pos, "since the start of the week", "since the beginning of the week", "since the start of this week", "since the beginning of this week"); ok {
		return period{kind: thisWeek}, n, nil
	}
	if n, ok := p.phrase(pos, "since the start of last week", "since the beginning of last week"); ok {
		return period{kind: sinceLastWeek}, n, nil
	}
	if n, ok := p.phrase(pos, "since the start of last month", "since the beginning of last month"); ok {
		return period{kind: sinceLastMonth}, n, nil
	}
	if p.isWord(pos, "since") {
		return p.sinceDay(pos)
	}
	next, ok := p.phrase(pos, lastPhrases...)
	negative := false
	if !ok && (p.isWord(pos, "in") || p.isWord(pos, "for")) && p.unitAt(pos+1) {
		// "in 30 days", "in a week" right after a condition on the past: the last 30 days, the last
		// week (a wait is written elsewhere: "In a week, send ..."). "for a week" says how long you
		// have not emailed: the last week too.
		next, ok, negative = pos+1, true, p.isWord(pos, "for")
	}
	if !ok {
		return period{}, -1, nil
	}
	if p.isWord(next, "a") || p.isWord(next, "an") || p.isWord(next, "one") {
		if !p.isWord(next+1, "hour") && !p.isWord(next+1, "day") && !p.isWord(next+1, "week") && !p.isWord(next+1, "month") {
			return period{}, -1, nil
		}
		next++ // "in a week": one week
	}
	switch {
	case p.isWord(next, "hour"):
		return period{kind: lastDays, hours: 1, negative: negative}, next + 1, nil
	case p.isWord(next, "day"):
		return period{kind: lastDays, days: 1, negative: negative}, next + 1, nil
	case p.isWord(next, "week"):
		return period{kind: lastDays, days: 7, negative: negative}, next + 1, nil
	case p.isWord(next, "month"):
		return period{kind: lastMonths, months: 1, negative: negative}, next + 1, nil
	}
	weeks := p.isWord(next+1, "weeks") || p.isWord(next+1, "week")
	months := p.isWord(next+1, "months") || p.isWord(next+1, "month")
	hours := p.isWord(next+1, "hours") || p.isWord(next+1, "hour")
	if next >= p.end || p.toks[next].kind != word || !(p.isWord(next+1, "days") || p.isWord(next+1, "day") || weeks || months || hours) {
		return period{}, -1, nil
	}
	n, ok := number(p.toks[next].text)
	if !ok {
		return period{}, -1, nil
	}
	if hours {
		if n < 1 || n > maxDays*24 {
			return period{}, 0, &failure{from: next, to: next + 2, why: fmt.Sprintf("the number of hours must be from 1 to %d", maxDays*24)}
		}
		return period{kind: lastDays, hours: n, negative: negative}, next + 2, nil
	}
	if months {
		if n < 1 || n > maxDays/30 {
			return period{}, 0, &failure{from: next, to: next + 2, why: fmt.Sprintf("the number of months must be from 1 to %d", maxDays/30)}
		}
		return period{kind: lastMonths, months: n, negative: negative}, next + 2, nil
	}
	if weeks {
		n *= 7 // "in the past two weeks": 14 days
	}
	if n < 1 || n > maxDays {
		return period{}, 0, &failure{from: next, to: next + 2, why: fmt.Sprintf("the number of days must be from 1 to %d", maxDays)}
	}
	return period{kind: lastDays, days: n, negative: negative}, next + 2, nil
}

// unitAt reports whether "a week", "2 days", "one month" ... is at pos: a number and a unit of a period.
func (p *parser) unitAt(pos int) bool {
	if !(pos < p.end && p.toks[pos].kind == word) {
		return false
	}
	if _, ok := number(p.toks[pos].text); !ok && !p.isWord(pos, "a") && !p.isWord(pos, "an") {
		return false
	}
	_, ok := p.phrase(pos+1, "hour", "hours", "day", "days", "week", "weeks", "month", "months")
	return ok
}

// The month names of "since 1 December", by their number.
var monthNumbers = map[string]int{"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12}

// sinceDay parses "since yesterday", "since Monday", "since 1 December [2026]" and "since December 1",
// each since 00:00 of that day, at pos ("since"). "since last week" is refused: since it began, or since
// it ended?
func (p *parser) sinceDay(pos int) (period, int, *failure) {
	next := pos + 1
	if p.isWord(next, "yesterday") {
		return period{kind: sinceDay, back: 1}, next + 1, nil
	}
	if p.isWord(next, "last") && (p.isWord(next+1, "week") || p.isWord(next+1, "month")) {
		unit := p.toks[next+1].text
		return period{}, 0, &failure{from: pos, to: next + 2, why: fmt.Sprintf("it could mean since the start of last %s or since it ended (this %s); write since the start of last %s, or this %s", unit, unit, unit, unit)}
	}
	if next < p.end && p.toks[next].kind == word {
		if wd, ok := weekdayNames[p.toks[next].text]; ok {
			return period{kind: sinceDay, weekday: int(wd) + 1}, next + 1, nil
		}
	}
	var d, m, after int
	if next+1 < p.end && p.toks[next].kind == word && monthNumbers[p.toks[next+1].text] > 0 {
		d, m, after = dayNumber(p.toks[next].text), monthNumbers[p.toks[next+1].text], next+2 // since 1 December
	} else if next+1 < p.end && monthNumbers[p.toks[next].text] > 0 && p.toks[next+1].kind == word {
		d, m, after = dayNumber(p.toks[next+1].text), monthNumbers[p.toks[next].text], next+2 // since December 1
	} else {
		return period{}, -1, nil
	}
	if d < 1 || d > 31 {
		return period{}, -1, nil
	}
	year := 0
	if after < p.end && p.toks[after].kind == word && len(p.toks[after].text) == 4 {
		if y, err := strconv.Atoi(p.toks[after].text); err == nil && y >= 2000 && y <= 2100 {
			year, after = y, after+1
		}
	}
	if time.Date(2024, time.Month(m), d, 0, 0, 0, 0, time.UTC).Month() != time.Month(m) ||
		year > 0 && time.Date(year, time.Month(m), d, 0, 0, 0, 0, time.UTC).Month() != time.Month(m) {
		return period{}, 0, &failure{from: next, to: after, why: fmt.Sprintf("%s has no day %d", time.Month(m), d)}
	}
	return period{kind: sinceDay, month: m, dayOfMonth: d, year: year}, after, nil
}

// dayNumber reads "1", "1st", "22nd", "3rd", "24th"; 0 when it is none of these.
func dayNumber(w string) int {
	for _, suffix := range []string{"st", "nd", "rd", "th"} {
		w = strings.TrimSuffix(w, suffix)
	}
	if len(w) > 2 {
		return 0
	}
	n, err := strconv.Atoi(w)
	if err != nil {
		return 0
	}
	return n
}

// number reads digits or a number word.
func number(w string) (int, bool) {
	if n, ok := numberWords[w]; ok {
		return n, true
	}
	if n, ok := tensWord(w); ok {
		return n, true // "twenty", "twenty-five"
	}
	if len(w) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(w)
	return n, err == nil
}

// waitStatement parses "wait 10 minutes" and "wait until tomorrow at 8am".
func (p *parser) waitStatement(pos int) (*sentence, int, *failure) {
	if !p.isWord(pos, "wait") {
		return nil, 0, nil
	}
	next := pos + 1
	if p.isWord(next, "for") {
		next++
	}
	if p.isWord(next, "until") || p.isWord(next, "till") {
		w, after, f := p.when(next + 1)
		if w == nil && f == nil {
			w, after, f = p.clockWhen(next+1, next+1) // "wait until 9am", "wait until 8am tomorrow"
			if f != nil && f.from == next+1 {
				f.from = pos // "Wait until 5": quote the wait
			}
		}
		if f != nil {
			return nil, 0, f
		}
		if w == nil {
			if day := p.dayWithoutTime(next + 1); day > next+1 {
				// "Wait until Friday": the day is said, the time of day is not, and EaaPL does not guess one.
				words := p.src[p.toks[next+1].start:p.toks[day-1].end]
				return nil, 0, &failure{from: next + 1, to: day, why: fmt.Sprintf("say at what time, like wait until %s at 9am", words)}
			}
			return nil, 0, &failure{from: pos, to: next + 1, why: "say until when, like wait until tomorrow at 8am"}
		}
		w.span = span{pos, after}
		return &sentence{kind: waitStatement, acted: true, span: span{pos, after}, wait: w}, after, nil
	}
	d, after, f := p.durations(next)
	if f != nil {
		return nil, 0, f
	}
	if after < 0 {
		return nil, 0, &failure{from: pos, to: next + 1, why: "say how long, like wait 10 minutes or wait until 5pm"}
	}
	w := &whenClause{span: span{pos, after}, after: d}
	return &sentence{kind: waitStatement, acted: true, span: span{pos, after}, wait: w}, after, nil
}

// dayWithoutTime returns the position after a weekday or a date at pos ("Friday", "Friday 11 December",
// "24 December"), or pos when there is none.
func (p *parser) dayWithoutTime(pos int) int {
	at := pos
	if _, ok := p.weekdayAt(at); ok {
		at++
	}
	if _, next, f := p.date(at); f == nil && next > at {
		at = next
	}
	return at
}

// answerStatement parses a question: "how many of my contacts haven't I emailed this week?", "list the
// contacts I haven't emailed this month", "show me my contacts at acme.com".
func (p *parser) answerStatement(pos int) (*sentence, int, *failure) {
	start := pos
	s := &sentence{kind: answerStatement, acted: true}
	next, ok := p.phrase(pos, answerHeads...)
	if ok {
		pos = next
	}
	which := !ok && p.isWord(pos, "which")
	if n, isCount := p.phrase(pos, "how many"); isCount {
		s.count, pos = true, n
	} else if which {
		pos++ // "Which of my contacts haven't I emailed this week?", "Which contacts did I email last week?"
	} else if !ok && !p.isWord(pos, "who") && !p.isWord(pos, "whom") {
		return nil, 0, nil
	}
	if s.count && (p.isWord(pos, "everyone") || p.isWord(pos, "everybody")) && !p.isWord(pos+1, "in") && !p.isWord(pos+1, "on") {
		return nil, 0, &failure{from: start, to: pos + 1, why: "say which contacts, like how many of my contacts or how many contacts do I have"}
	}
	sel, next, f := p.selection(pos, concat(p.l.contactPhrases, p.l.answerPhrases))
	if f != nil {
		return nil, 0, f
	}
	if sel == nil && which {
		return nil, 0, &failure{from: start, to: pos + 1, why: whyQuestion, form: "List <contacts> (also: show me, tell me)"}
	}
	if sel == nil && !s.count && (p.isWord(pos, "who") || p.isWord(pos, "whom")) {
		// "Who haven't I emailed this week?": which of my contacts.
		if _, ok := p.phrase(pos+1, concat(p.l.questionNegative, p.l.questionPositive)...); ok {
			sel, next = &selection{span: span{pos, pos + 1}}, pos+1
		} else {
			return nil, 0, nil
		}
	}
	if at := pos + boolInt(p.isWord(pos, "of")); sel == nil && (p.isWord(at, "them") || p.isWord(at, "those") || p.isWord(at, "these")) && p.isWord(start, "how") {
		// "List my contacts at acme.com. How many of them haven't I emailed this week?": a question goes over
		// your contacts, with its own filters, not over a list a statement before selected.
		return nil, 0, &failure{from: start, to: at + 1, why: "a question counts your contacts with its own filters, not a list before it; write the filters in it, like How many of my contacts at acme.com haven't I emailed this week?"}
	}
	if sel == nil {
		return nil, 0, &failure{from: start, to: pos + 1, why: "say which contacts, like how many of my contacts or list my contacts at acme.com"}
	}
	s.forEach = sel
	pos = next
	// "Which of my contacts are at acme.com?": the filter "at acme.com", said as the question's verb, and
	// the whole question: "... at acme.com are at acme.org" would be neither of the domains' "or".
	if n, ok := p.phrase(pos, "are at", "is at"); ok && n < p.end && p.toks[n].kind == word && domainPattern.MatchString(p.toks[n].text) {
		from := pos
		var domains []string
		for ok {
			domains = append(domains, p.toks[n].text)
			pos = n + 1
			n, ok = p.phrase(pos, "or")
			ok = ok && n < p.end && p.toks[n].kind == word && domainPattern.MatchString(p.toks[n].text)
		}
		if sel.filtered() || pos < p.end && p.separator(pos) == 0 && p.courtesy(pos, false) == 0 {
			return nil, 0, &failure{from: from, to: p.nextClause(pos, true), why: "\"are at <domain>\" comes right after the contacts and ends the question: Which of my contacts are at acme.com?; with another filter or a condition, write at <domain> after the contacts: Which of my contacts at acme.com haven't I emailed this week?"}
		}
		sel.domains, sel.to = domains, pos
	}
	if n, ok := p.phrase(pos, "do i have", "are there", "i have", "have i got", "have i", "i have got"); ok {
		if n >= p.end || p.separator(n) > 0 {
			pos = n
		} else if f, ok, _ := p.filter(n, &selection{}); ok && f > 0 {
			// "How many contacts do I have at acme.com?": the filters after it, as before it; after other
			// filters they would join them ("at acme.com ... at acme.org" reads as either), so refused.
			if sel.filtered() || sel.emailed != nil {
				return nil, 0, &failure{from: n, to: p.nextClause(n+1, true), why: "give the filters in one place, after the contacts: How many of my contacts at acme.com named Bob are there?"}
			}
			_, after, f := p.filters(sel.from, n, sel)
			if f != nil {
				return nil, 0, f
			}
			pos = after
		}
	}
	if n, ok := p.phrase(pos, p.l.questionNegative...); ok {
		per, after, f := p.period(n)
		if f != nil {
			return nil, 0, f
		}
		if after < 0 {
			return nil, 0, p.noTime(pos, n)
		}
		s.conditions = append(s.conditions, conditionClause{span{pos, after}, per, false, nil, span{n, after}, true})
		pos = after
	} else if n, ok := p.phrase(pos, p.l.questionPositive...); ok {
		per, after, f := p.period(n)
		if f != nil {
			return nil, 0, f
		}
		if after < 0 {
			return nil, 0, p.noTime(pos, n)
		}
		s.conditions = append(s.conditions, conditionClause{span{pos, after}, per, true, nil, span{n, after}, true})
		pos = after
	}
	if pos < p.end && p.separator(pos) == 0 && p.courtesy(pos, false) == 0 { // ", please?" ends it, as any statement
		return nil, 0, &failure{from: pos, to: p.nextClause(pos+1, true)}
	}
	s.span = span{start, pos}
	return s, pos, nil
}

// noTime is the failure of a question's condition [pos, n) without a time phrase after it: "Which
// contacts haven't I emailed?" says no time, "... emailed this year" one the grammar does not know.
func (p *parser) noTime(pos, n int) *failure {
	if n >= p.end || p.separator(n) > 0 {
		return &failure{from: pos, to: n, why: "it does not say since when; add today, this week, this month or in the last N days"}
	}
	return &failure{from: n, to: p.nextClause(n+1, true), why: whyTime}
}

// getStatement parses a statement whose recipients come first: "Everyone in my contacts who I haven't
// emailed today gets 'Good morning!'", "My contact Ann gets 'Hi'", "alice@example.com gets 'Hi'". The
// recipients are read up to the verb, so that a name never takes the verb in: the verbs are tried where
// they stand, the first place the recipients end at wins ("my contacts named Will get 'Hi'": not "will get").
func (p *parser) getStatement(pos int) (*sentence, int, *failure) {
	if p.clauseStarts(pos, false) {
		return nil, 0, nil // "Email bob@example.com so that he gets 'Hi'": a statement of another form
	}
	var first *failure
	verb := -1 // where the first verb stands
	for k := pos + 1; k < p.end && p.separator(k) == 0; k++ {
		after, ok := p.phrase(k, getVerbs...)
		if !ok || after >= p.end || p.toks[after].kind != quoted {
			continue
		}
		if verb < 0 {
			verb = k
		}
		s, f := p.recipientsUpTo(pos, k)
		if s != nil {
			s.messages = []quoteClause{{span{after, after + 1}, p.toks[after].text}}
			// After the message, the clauses of any email: "bob@example.com gets 'Hi' tomorrow at 9am".
			next := after + 1
			for next < p.end && p.separator(next) == 0 && p.courtesy(next, false) == 0 {
				at := next
				if p.isPunct(at, ",") {
					at++
				}
				c, f := p.clauseAt(at, true, false)
				if f != nil {
					if f.to == 0 {
						f.to = p.nextClause(f.from+1, true)
					}
					return nil, 0, f
				}
				if c == nil {
					break
				}
				s.add(c)
				next = c.next
			}
			s.span = span{pos, next}
			return s, next, nil
		}
		if first == nil {
			first = f
		}
	}
	switch {
	case verb < 0:
		return nil, 0, nil // not this form: the other statements say what is wrong
	case first != nil:
		return nil, 0, first
	}
	// Names, addresses, "and" and commas before the verb: "Ann and Bob get 'Hi'" names people without
	// "my contact".
	names := true
	for _, t := range p.toks[pos:verb] {
		names = names && (t.kind == address || t.kind == punct && t.text == "," || t.kind == word && (t.text == "and" || p.isNameWord(t.text)))
	}
	if name, next := p.nameAt(pos); names && name != "" {
		next = min(next, verb)
		name = strings.Join(strings.Fields(p.src[p.toks[pos].start:p.toks[next-1].end]), " ")
		return nil, 0, &failure{from: pos, to: next, why: fmt.Sprintf("%s is not an address or a list of contacts; for your contact, write my contact %s", name, name), form: contactForm}
	}
	// "Everyone gets 'Hi'", "My friends get 'Hi'": words for people that are not a list EaaPL has.
	if _, ok := p.phrase(pos, "everyone", "everybody", "all", "each", "every", "my", "the", "them", "they", "those", "these", "people"); ok &&
		!slices.ContainsFunc(p.toks[pos:verb], func(t token) bool { return t.kind == quoted }) {
		return nil, 0, &failure{from: pos, to: verb, why: "say who gets it: everyone in my contacts, my contacts at acme.com, my contact Ann, or addresses such as bob@example.com", form: getForm}
	}
	return nil, 0, nil // "Reply 'Thanks' to everyone who gets 'X'": not this form
}

// getForm is the form of a statement whose recipients come first.
const getForm = "<contacts> gets '<message>' (also: get, should get, receives)"

// recipientsUpTo parses the recipients of a get statement, and their condition, in the tokens [pos, k):
// a sentence when they fill them exactly.
func (p *parser) recipientsUpTo(pos, k int) (*sentence, *failure) {
	end := p.end
	p.end = k
	defer func() { p.end = end }()
	var r *recipientClause
	next := 0
	if sel, n, f := p.selection(pos, p.l.contactPhrases); f != nil {
		return nil, f
	} else if sel != nil {
		r, next = &recipientClause{span: sel.span, contacts: sel}, n
	} else if rc, n, f := p.recipients(pos); f != nil {
		return nil, f
	} else if rc != nil && (len(rc.addresses) > 0 || rc.name != "" || rc.list != "") {
		r, next = rc, n // "them", "her" and an item's column get nothing first: they name what a statement before did
	}
	if r == nil {
		return nil, nil
	}
	s := &sentence{kind: sendStatement, acted: true, recipients: []recipientClause{*r}}
	if next < k {
		c, f := p.condition(next, false)
		if f != nil {
			return nil, f
		}
		if c != nil {
			s.conditions = append(s.conditions, *c.condition)
			next = c.next
		}
	}
	if next != k {
		return nil, nil
	}
	return s, nil
}

// nameStatement parses "call them the acme people" and "save them as late payers": a name for the list
// the statement before selected, which later statements may use as recipients.
func (p *parser) nameStatement(pos int) (*sentence, int, *failure) {
	head, ok := p.phrase(pos, namingHeads...)
	if !ok {
		return nil, 0, nil
	}
	next := head
	for next < p.end && p.toks[next].kind == word && p.separator(next) == 0 && !p.isWord(next, "and") {
		next++
	}
	words := make([]string, 0, next-head)
	for _, t := range p.toks[head:next] {
		words = append(words, t.text)
	}
	if len(words) > 0 && words[0] == "the" {
		words = words[1:]
	}
	if len(words) == 0 || len(words) > 5 {
		return nil, 0, &failure{from: pos, to: max(next, head), why: "give the list a name of one to five words, like call them the acme people"}
	}
	name := strings.Join(words, " ")
	for _, w := range words {
		if p.l.grammarWords[w] && w != "people" {
			return nil, 0, &failure{from: head, to: next, why: fmt.Sprintf("%q is a word of the grammar; give the list a name without it", w)}
		}
	}
	p.names = append(p.names, name)
	return &sentence{kind: nameStatement, acted: true, span: span{pos, next}, name: name}, next, nil
}

// namedList matches a list the program named before: "the acme people", "acme people".
func (p *parser) namedList(pos int) (string, int, bool) {
	best, bestEnd := "", -1
	for _, n := range p.names {
		if end, ok := p.phrase(pos, n, "the "+n, "all the "+n, "each of the "+n); ok && end > bestEnd {
			best, bestEnd = n, end
		}
	}
	return best, bestEnd, bestEnd >= 0
}

// caseless refuses a value a filter compares "ignoring case" when it has a letter with a case outside A
// to Z: CEL's lowerAscii() lowers only A to Z, so "José" would not match a contact written "JOSÉ", and
// an exception would not leave that contact out. hint says what to write instead.
func caseless(from, to int, value, hint string) *failure {
	for _, r := range value {
		if r > unicode.MaxASCII && unicode.ToLower(r) != unicode.ToUpper(r) {
			other := strings.ToUpper(value)
			if other == value {
				other = strings.ToLower(value)
			}
			return &failure{from: from, to: to, why: fmt.Sprintf("%q has the letter %c, and EaaPL ignores case only for the letters A to Z, so it would not match %q; %s", value, r, other, hint)}
		}
	}
	return nil
}
