// Package planner turns English programs into plans. Rules is the rule-based planner: it understands a
// small controlled English, written out in docs/english.md, needs no network, and never guesses: text
// outside the grammar is a NotUnderstoodError that quotes it.
package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eaapl/eaapl/plan"
)

// Rules is the rule-based planner: a documented controlled-English grammar, no network.
type Rules struct {
	Location *time.Location // zone of "today"/"this week"; nil means UTC
	// Me is your address (EAAPL_USER_EMAIL, the one the emails are sent from): "Send 'Lunch?' to me"
	// emails it. Empty: "me" is refused.
	Me string
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
	var own *time.Location
	if r != nil {
		own = r.Location
	}
	loc := zoneFrom(ctx, own)
	toks, lerr := lex(program)
	if lerr != nil {
		return nil, notUnderstood(program, program[lerr.start:], "the quotation that starts here is never closed")
	}
	if len(toks) > maxTokens {
		return nil, fmt.Errorf("the program is too long: the rule-based planner reads programs of at most %d words (a quoted message counts as one)", maxTokens)
	}
	l := currentLanguage()
	p := newParser(l, program, toks)
	p.zone = loc.String()
	prog, f := p.parse()
	if f != nil {
		return nil, p.notUnderstood(program, f)
	}
	if len(prog.statements) == 0 {
		return nil, notUnderstood(program, program, "it does not say what to do; start with Send or Email")
	}
	me := ""
	if r != nil {
		me = r.Me
	}
	pl, f, err := build(l, prog, wordsOf(p.toks), program, now.In(loc), me)
	if f != nil {
		return nil, p.notUnderstood(program, f)
	}
	if err != nil {
		return nil, err
	}
	return checked(pl)
}

// checked validates a plan the grammar made. A value the person wrote that its command refuses
// ("../secrets.txt" as a file to read) is the program's fault and refused as such; any other fault is a
// bug of the planner: refused too, never run.
func checked(pl *plan.Plan) (*plan.Plan, error) {
	err := plan.Validate(pl)
	var bad *plan.ValueError
	switch {
	case err == nil:
		return pl, nil
	case errors.As(err, &bad):
		return nil, fmt.Errorf("refused, nothing was read or sent: %w", bad)
	}
	return nil, fmt.Errorf("the rule-based planner made a plan that does not validate (a bug; please report the program): %w", err)
}

// NotUnderstoodError is returned for text the grammar does not cover: never a guessed plan.
type NotUnderstoodError struct {
	Program   string
	Part      string   // the part not understood, quoted in Error()
	Supported []string // the supported forms, which `eaapl plan --help` lists
	Nearest   []string // the forms nearest to the program, at most maxNearest

	why string // what is wrong with Part, when the grammar can tell
}

// Error is one sentence quoting the part not understood and why, the nearest forms, and where the
// others are: every form is a screenful, so a refusal names `eaapl plan --help` rather than list them.
func (e *NotUnderstoodError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot understand %q", e.Part)
	if e.why != "" {
		b.WriteString(": " + e.why)
	}
	if len(e.Nearest) > 0 {
		b.WriteString("; the nearest forms are:")
		for _, f := range e.Nearest {
			b.WriteString("\n  - " + f)
		}
		b.WriteString("\n" + allFormsHint)
	} else {
		b.WriteString("; " + allFormsHint)
	}
	return b.String()
}

// allFormsHint says where every form is listed.
const allFormsHint = "every form, with an example of each: eaapl plan --help (or docs/english.md)"

// maxNearest bounds the forms a refusal suggests.
const maxNearest = 5

func notUnderstood(program, part, why string) *NotUnderstoodError {
	return &NotUnderstoodError{Program: program, Part: strings.TrimSpace(part), Supported: Forms(), Nearest: nearest(program, why), why: why}
}

// notUnderstood quotes the tokens of a failure, without the punctuation and "and" that separate it from
// the clauses around it.
func (p *parser) notUnderstood(program string, f *failure) *NotUnderstoodError {
	from, to := f.from, f.to
	if to <= from {
		to = from + 1
	}
	if from >= len(p.toks) {
		return notUnderstood(program, program, f.why)
	}
	to = min(to, len(p.toks))
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
	for _, t := range p.toks[from:min(to+1, len(p.toks))] { // and the word after: "Wait 10" of "Wait 10 mintues"
		if t.kind != word {
			continue
		}
		if m := misspeltTime(t.text); m != "" {
			// "Tomorow at 9am": a slip of a time word says more than "not understood" or "not a verb".
			hint := "did you mean " + m + "?"
			if why == "" || strings.HasPrefix(why, "EaaPL does not know the verb") || strings.HasPrefix(why, "EaaPL finds no verb") {
				why = hint
			} else {
				why += "; " + hint
			}
			break
		}
	}
	nu := notUnderstood(program, program[p.toks[from].start:p.toks[to-1].end], why)
	if f.form != "" {
		nu.Nearest = append([]string{f.form}, slices.DeleteFunc(nu.Nearest, func(s string) bool { return s == f.form })...)
		nu.Nearest = nu.Nearest[:min(len(nu.Nearest), maxNearest)]
	}
	return nu
}

// Forms returns the supported forms, as "<pattern>" lines (for error messages and `eaapl plan --help`).
func Forms() []string {
	var out []string
	for _, f := range currentLanguage().forms {
		out = append(out, f.Pattern)
	}
	return out
}

// AllForms returns the supported forms with an example of each.
func AllForms() []Form { return currentLanguage().forms }

// nearest returns the (at most maxNearest) forms whose examples share the most words with the program, best first; none
// when no form shares a word that means something.
func nearest(program, why string) []string {
	// A word of the reason counts twice: it names what the program should say instead.
	have := map[string]int{}
	for i, text := range []string{program, why} {
		for _, w := range strings.Fields(strings.ToLower(text)) {
			w = strings.Trim(w, ".,;:!?'\"")
			if len(w) > 2 && !stopWords[w] {
				have[w] = max(have[w], i+1)
			}
		}
	}
	type scored struct {
		form  string
		score int
	}
	var all []scored
	for _, f := range currentLanguage().forms {
		n := 0
		seen := map[string]bool{}
		for _, w := range strings.Fields(strings.ToLower(f.Example + " " + f.Pattern)) {
			w = strings.Trim(w, ".,;:!?'\"<>()")
			if have[w] > 0 && !seen[w] {
				seen[w] = true
				n += have[w]
			}
		}
		if n > 0 {
			all = append(all, scored{f.Pattern, n})
		}
	}
	slices.SortStableFunc(all, func(a, b scored) int { return b.score - a.score })
	var out []string
	for i := 0; i < len(all) && i < maxNearest; i++ {
		out = append(out, all[i].form)
	}
	return out
}

// stopWords do not make a form near.
var stopWords = map[string]bool{"the": true, "and": true, "for": true, "you": true, "all": true, "that": true, "with": true}
