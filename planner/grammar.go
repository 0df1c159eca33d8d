package planner

import (
	"fmt"
	"strconv"
	"strings"
)

// The grammar is a sequence of clauses (docs/english.md writes it out for users):
//
//	program = { lead [","] } action { [","] ["and"] clause } ["." | "!"]
//	lead    = "for" contacts | condition
//	action  = "send" [recipients] [["a" | "an"] noun] [quote] | "email" [recipients] [quote]
//	clause  = "to" recipients | message | subject | condition | relative-condition
//
// The parser matches whole clauses at a position; where no clause matches, the text up to the next place
// a clause starts is the part not understood. It never skips a word it does not know.

// span is the tokens [from, to) of a clause.
type span struct{ from, to int }

// recipientClause names whom to email: the contacts, addresses, or "them" (the contacts of a "For each"
// lead).
type recipientClause struct {
	span
	contacts  bool
	them      bool
	addresses []string
	name      string // a contact by name: "my contact John Smith", as written
}

// quoteClause is a message or a subject.
type quoteClause struct {
	span
	text string
}

// conditionClause is "if I haven't emailed them <period>" and its variants.
type conditionClause struct {
	span
	period period
}

// clause is what one clause parser recognized; an action may carry recipients and a message too.
type clause struct {
	next       int
	action     bool
	forEach    *span
	recipients *recipientClause
	message    *quoteClause
	subject    *quoteClause
	condition  *conditionClause
}

// sentence is a parsed program, before its clauses are checked against each other.
type sentence struct {
	acted      bool
	forEach    *span
	recipients []recipientClause
	messages   []quoteClause
	subjects   []quoteClause
	conditions []conditionClause
}

func (s *sentence) add(c *clause) {
	s.acted = s.acted || c.action
	if c.forEach != nil {
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
}

// failure is text not understood: the tokens [from, to), or from up to where the next clause starts
// when to is 0, with the reason when there is one more helpful than "not understood".
type failure struct {
	from, to int
	why      string
}

// The phrases of the grammar, built once. A clause parser tries all of a list and takes the longest match,
// so that "with the subject line" wins over "with the subject".
var (
	contactNouns   = []string{"contacts", "contact list", "address book"}
	contactPhrases = concat(
		join([]string{"each of my", "each one of my", "every one of my", "all my", "all of my", "everyone in my", "everybody in my", "everyone on my", "everybody on my", "my"}, contactNouns),
		[]string{"all contacts"},
		join([]string{"every contact", "each contact"}, []string{"", "in my contacts", "in my contact list", "in my address book", "on my contact list"}),
	)
	sendObjects    = concat(join([]string{"", "a", "an"}, []string{"email", "emails", "message", "messages", "note", "mail"}), []string{"it"})
	messageMarkers = []string{"that says", "which says", "saying", "that reads", "which reads", "to say", "with the message", "with message", "with the text", "with the body"}
	joinedMessages = concat(messageMarkers, []string{"the message", "message", "the text", "the body"})
	subjectMarkers = join([]string{"with the", "with a", "with"}, []string{"subject", "subject line"})
	joinedSubjects = concat(subjectMarkers, join([]string{"the", ""}, []string{"subject", "subject line"}))
	haveNotEmailed = join([]string{"have not", "have not yet", "did not"}, []string{"emailed", "email", "sent an email to", "written to"})
	leadConditions = concat(
		join([]string{"if i"}, haveNotEmailed, []string{"them"}),
		join([]string{"unless i"}, []string{"emailed", "have emailed", "already emailed", "have already emailed"}, []string{"them"}),
	)
	trailingConditions = concat(leadConditions, join([]string{"i", "who i", "whom i", "that i"}, haveNotEmailed))
	lastPhrases        = join([]string{"in the", "within the", "over the", "during the"}, []string{"last", "past"})
	numberWords        = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
)

// maxDays bounds "in the last N days" to ten years.
const maxDays = 3650

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

// whyTime is the reason given for a time phrase that is not understood.
const whyTime = "a time must be today, this week, this month or in the last N days"

// parser parses the tokens of one program.
type parser struct {
	src  string // the program, for text quoted as written (a contact's name)
	toks []token
	end  int // the tokens from end on are the closing "." or "!"
}

func newParser(src string, toks []token) *parser {
	end := len(toks)
	for end > 0 && toks[end-1].kind == punct && (toks[end-1].text == "." || toks[end-1].text == "!") {
		end--
	}
	return &parser{src: src, toks: toks, end: end}
}

// parse reads the clauses in order; it stops at the first part it does not understand.
func (p *parser) parse() (*sentence, *failure) {
	s := &sentence{}
	for pos := 0; pos < p.end; {
		for pos < p.end && p.isPunct(pos, ",") {
			pos++
		}
		if pos >= p.end {
			break
		}
		from := pos
		joined := false
		if s.acted && p.isWord(pos, "and") {
			pos++
			joined = true
			if pos >= p.end {
				return nil, &failure{from: from, to: pos}
			}
		}
		c, f := p.clauseAt(pos, s.acted, joined)
		if f != nil {
			if f.to == 0 {
				f.to = p.nextClause(f.from+1, s.acted)
			}
			return nil, f
		}
		if c == nil {
			return nil, &failure{from: from, to: p.nextClause(from+1, s.acted)}
		}
		s.add(c)
		pos = c.next
	}
	return s, nil
}

// clauseAt parses the clause at pos: a lead or the action before the action, the others after it.
func (p *parser) clauseAt(pos int, acted, joined bool) (*clause, *failure) {
	var parsers []func(int) (*clause, *failure)
	if !acted {
		parsers = []func(int) (*clause, *failure){
			p.forEach,
			func(pos int) (*clause, *failure) { return p.condition(pos, true) },
			p.action,
		}
	} else {
		parsers = []func(int) (*clause, *failure){
			p.to,
			func(pos int) (*clause, *failure) { return p.message(pos, joined) },
			func(pos int) (*clause, *failure) { return p.subject(pos, joined) },
			func(pos int) (*clause, *failure) { return p.condition(pos, false) },
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

// nextClause returns the first position from pos on where a clause starts (or fails in a way that shows
// one was meant), or the end.
func (p *parser) nextClause(pos int, acted bool) int {
	for ; pos < p.end; pos++ {
		if p.clauseStarts(pos, acted) {
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
	return pos >= p.end || p.toks[pos].kind == punct || p.isWord(pos, "and") || p.clauseStarts(pos, acted)
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

// forEach parses "for each of my contacts".
func (p *parser) forEach(pos int) (*clause, *failure) {
	if !p.isWord(pos, "for") {
		return nil, nil
	}
	next, ok := p.phrase(pos+1, contactPhrases...)
	if !ok {
		return nil, nil
	}
	return &clause{next: next, forEach: &span{pos, next}}, nil
}

// action parses the verb, with the recipients, the word "email" and the message that may follow it.
func (p *parser) action(pos int) (*clause, *failure) {
	if !p.isWord(pos, "send") && !p.isWord(pos, "email") {
		return nil, nil
	}
	verb := p.toks[pos].text
	c := &clause{action: true}
	next := pos + 1
	r, after, f := p.recipients(next)
	if f != nil {
		return nil, f
	}
	if r != nil {
		c.recipients, next = r, after
	}
	if verb == "send" {
		if n, ok := p.phrase(next, sendObjects...); ok {
			next = n
		}
	}
	if next < p.end && p.toks[next].kind == quoted {
		c.message = &quoteClause{span{next, next + 1}, p.toks[next].text}
		next++
	}
	c.next = next
	return c, nil
}

// to parses "to" and the recipients.
func (p *parser) to(pos int) (*clause, *failure) {
	if !p.isWord(pos, "to") {
		return nil, nil
	}
	r, next, f := p.recipients(pos + 1)
	if f != nil {
		return nil, f
	}
	if r == nil {
		return nil, &failure{from: pos, why: "say whom to email: each of my contacts, everyone in my contacts, them (after \"For each of my contacts\") or addresses such as bob@example.com"}
	}
	r.span.from = pos
	return &clause{next: next, recipients: r}, nil
}

// recipients parses the contacts, "them" or a list of addresses at pos. An address EaaPL does not accept
// is a failure; anything else that is not a recipient is no match.
func (p *parser) recipients(pos int) (*recipientClause, int, *failure) {
	if next, ok := p.phrase(pos, contactPhrases...); ok {
		return &recipientClause{span: span{pos, next}, contacts: true}, next, nil
	}
	if p.isWord(pos, "them") {
		return &recipientClause{span: span{pos, pos + 1}, them: true}, pos + 1, nil
	}
	if next, ok := p.phrase(pos, "my contact"); ok {
		return p.contactName(pos, next)
	}
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
		if at < p.end && p.toks[at].kind == badAddress {
			return nil, 0, &failure{from: at, to: at + 1, why: "it is not an email address EaaPL accepts; write addresses like name@example.com"}
		}
		if at >= p.end || p.toks[at].kind != address {
			break
		}
		addrs = append(addrs, p.toks[at].text)
		next = at + 1
	}
	if len(addrs) == 0 {
		return nil, 0, nil
	}
	return &recipientClause{span: span{pos, next}, addresses: addrs}, next, nil
}

// contactName parses the name after "my contact": its words up to the next clause, separator or the
// object of "send" ("Send my contact Ann an email ...").
func (p *parser) contactName(pos, from int) (*recipientClause, int, *failure) {
	next := from
	for next < p.end && p.toks[next].kind == word && !p.boundary(next, true) {
		if _, ok := p.phrase(next, sendObjects...); ok && next > from {
			break
		}
		next++
	}
	if next == from {
		return nil, 0, &failure{from: pos, to: from, why: "say which contact: my contact John, or my contact John Smith"}
	}
	name := p.src[p.toks[from].start:p.toks[next-1].end]
	return &recipientClause{span: span{pos, next}, name: name}, next, nil
}

// message parses "that says '...'" and its variants, and a bare quotation. After "and", "with" may be
// left out: "with the subject 'S' and the message 'M'".
func (p *parser) message(pos int, joined bool) (*clause, *failure) {
	if pos < p.end && p.toks[pos].kind == quoted {
		return &clause{next: pos + 1, message: &quoteClause{span{pos, pos + 1}, p.toks[pos].text}}, nil
	}
	markers := messageMarkers
	if joined {
		markers = joinedMessages
	}
	q, f := p.quoteAfter(pos, markers, "the message must be in quotes, like saying 'Hello'")
	if q == nil {
		return nil, f
	}
	return &clause{next: q.to, message: q}, nil
}

// subject parses "with the subject '...'".
func (p *parser) subject(pos int, joined bool) (*clause, *failure) {
	markers := subjectMarkers
	if joined {
		markers = joinedSubjects
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
		return nil, &failure{from: pos, why: why}
	}
	return &quoteClause{span{pos, next + 1}, p.toks[next].text}, nil
}

// condition parses "if I haven't emailed them <time>" and its variants; after the action also "who I
// haven't emailed <time>".
func (p *parser) condition(pos int, lead bool) (*clause, *failure) {
	heads := trailingConditions
	if lead {
		heads = leadConditions
	}
	next, ok := p.phrase(pos, heads...)
	if !ok {
		return nil, nil
	}
	per, after, f := p.period(next)
	if f != nil {
		return nil, f
	}
	if after < 0 {
		if p.boundary(next, !lead) {
			return nil, &failure{from: pos, to: next, why: "it does not say since when; add today, this week, this month or in the last N days"}
		}
		return nil, &failure{from: next, why: whyTime}
	}
	return &clause{next: after, condition: &conditionClause{span{pos, after}, per}}, nil
}

// period parses a time phrase; it returns -1 when there is none at pos.
func (p *parser) period(pos int) (period, int, *failure) {
	switch {
	case p.isWord(pos, "today"):
		return period{kind: today}, pos + 1, nil
	case p.isWord(pos, "this") && p.isWord(pos+1, "week"):
		return period{kind: thisWeek}, pos + 2, nil
	case p.isWord(pos, "this") && p.isWord(pos+1, "month"):
		return period{kind: thisMonth}, pos + 2, nil
	}
	next, ok := p.phrase(pos, lastPhrases...)
	if !ok {
		return period{}, -1, nil
	}
	if p.isWord(next, "day") {
		return period{kind: lastDays, days: 1}, next + 1, nil
	}
	if next >= p.end || p.toks[next].kind != word || !(p.isWord(next+1, "days") || p.isWord(next+1, "day")) {
		return period{}, -1, nil
	}
	n, isWord := numberWords[p.toks[next].text]
	if !isWord {
		var err error
		if n, err = strconv.Atoi(p.toks[next].text); err != nil {
			return period{}, -1, nil
		}
	}
	if n < 1 || n > maxDays {
		return period{}, 0, &failure{from: next, to: next + 2, why: fmt.Sprintf("the number of days must be from 1 to %d", maxDays)}
	}
	return period{kind: lastDays, days: n}, next + 2, nil
}
