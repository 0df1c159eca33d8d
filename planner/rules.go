// Package planner turns English programs into plans. Rules is the rule-based planner: it understands a
// small controlled English, written out in docs/english.md, needs no network, and never guesses: text
// outside the grammar is a NotUnderstoodError that quotes it.
package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// Rules is the rule-based planner: a documented controlled-English grammar, no network.
type Rules struct {
	Location *time.Location // zone of "today"/"this week"; nil means UTC
}

// maxTokens bounds the words of a program, far above any sentence of the grammar, so that the parser's
// search for where a part not understood ends stays cheap.
const maxTokens = 200

// errEmpty is the error for a program with no text.
var errEmpty = errors.New("the program is empty: write what to do, for example " + example)

// Plan turns an English program into a plan. now is the program's start time (workflow time), from which
// time phrases are resolved once into concrete RFC 3339 timestamps recorded in the plan, so that running
// the plan again gives the same answer.
func (r *Rules) Plan(ctx context.Context, program string, now time.Time) (*plan.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(program) == "" {
		return nil, errEmpty
	}
	if now.IsZero() {
		return nil, errors.New("the program's start time (now) is not set")
	}
	loc := time.UTC
	if r != nil && r.Location != nil {
		loc = r.Location
	}
	toks, lerr := lex(program)
	if lerr != nil {
		return nil, notUnderstood(program, program[lerr.start:], "the quotation that starts here is never closed")
	}
	if len(toks) > maxTokens {
		return nil, fmt.Errorf("the program is too long: the rule-based planner reads one sentence of at most %d words (a quoted message counts as one)", maxTokens)
	}
	p := newParser(program, toks)
	s, f := p.parse()
	if f != nil {
		return nil, p.notUnderstood(program, f)
	}
	if !s.acted {
		return nil, notUnderstood(program, program, "it does not say what to do; start with Send or Email")
	}
	prog, f, err := resolve(s)
	if f != nil {
		return nil, p.notUnderstood(program, f)
	}
	if err != nil {
		return nil, err
	}
	return build(prog, program, now.In(loc)), nil
}

// NotUnderstoodError is returned for text the grammar does not cover: never a guessed plan.
type NotUnderstoodError struct {
	Program   string
	Part      string   // the part not understood, quoted in Error()
	Supported []string // the supported forms

	why string // what is wrong with Part, when the grammar can tell
}

// Error is one sentence quoting the part not understood, then the supported forms as a short list.
func (e *NotUnderstoodError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot understand %q", e.Part)
	if e.why != "" {
		b.WriteString(": " + e.why)
	}
	if len(e.Supported) > 0 {
		b.WriteString("; the supported forms are:")
		for _, f := range e.Supported {
			b.WriteString("\n  - " + f)
		}
	}
	return b.String()
}

func notUnderstood(program, part, why string) *NotUnderstoodError {
	return &NotUnderstoodError{Program: program, Part: strings.TrimSpace(part), Supported: Forms(), why: why}
}

// notUnderstood quotes the tokens of a failure, without the punctuation and "and" that separate it from
// the clauses around it.
func (p *parser) notUnderstood(program string, f *failure) *NotUnderstoodError {
	from, to := f.from, f.to
	for from < to-1 && p.toks[from].kind == punct {
		from++
	}
	for to-1 > from && (p.toks[to-1].kind == punct || p.toks[to-1].kind == word && p.toks[to-1].text == "and") {
		to--
	}
	why := f.why
	for _, t := range p.toks[from:to] {
		if why == "" && t.kind == word && (strings.HasSuffix(t.text, "'") || strings.HasSuffix(t.text, "’")) {
			why = "if the message has an apostrophe at the end of a word, put the message in double quotes"
		}
	}
	return notUnderstood(program, program[p.toks[from].start:p.toks[to-1].end], why)
}

// forms are the supported sentence forms, with their placeholders last.
var forms = []string{
	"Send an email to <recipients> that says '<message>'",
	"Send '<message>' to <recipients>",
	"Email <recipients> saying '<message>'",
	"Send an email to <contacts> if I haven't emailed them <time> that says '<message>'",
	"Email <contacts> who I haven't emailed <time> with the message '<message>'",
	"For each of my contacts, if I haven't emailed them <time>, send them an email saying '<message>'",
	"any of these with the subject '<subject>'",
	"Send '<message>' to my contact <name>",
	"any of these without the message: the program asks for it when it runs",
	"<recipients> is <contacts>, my contact <name>, or addresses: bob@example.com, or bob@example.com and ann@example.com",
	"<contacts> is each of my contacts, all (of) my contacts, everyone in my contacts or every contact",
	"<time> is today, this week, this month or in the last N days",
}

// Forms returns the supported sentence forms (for error messages and `eaapl plan --help`).
func Forms() []string {
	return append([]string(nil), forms...)
}
