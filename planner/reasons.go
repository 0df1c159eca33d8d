package planner

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Where a statement's action should be and no clause of the grammar starts ("Notify everyone ...",
// "What's the weather?", "Each of my contacts 'Hi'"), the refusal quotes the first words not understood,
// not the whole statement, and says why. Each reason is true of the words whatever follows them: a word
// is called a verb EaaPL does not know only when it could be one (not "could", "what", "my" or a name
// before a comma), and what EaaPL knows is listed from the language, so the list stays true as commands
// join the registry.

// questionWords start a question EaaPL does not answer when the answer statement did not read it.
var questionWords = wordSet(`what what's whats where where's why how how's who who's whom whose which`)

// notVerbs are words that may start an English sentence but are not verbs: pronouns, modal and
// auxiliary verbs, greetings and adverbs. A statement that starts with one is refused without calling it
// a verb.
var notVerbs = wordSet(`i i'm i'd i'll we we're we'd you you're he she they
	can could would will shall should may might must do does did is are was were
	hey hi hello dear ok okay thanks thank yes well also just now please kindly maybe perhaps so`)

// verbLike is a word that could be an English verb: letters, maybe with a hyphen.
var verbLike = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// startFailure says what is wrong at pos, where a statement's action should be and none of the grammar's
// clauses starts. Where it cannot say, the part is the words up to where a clause starts, without a reason.
func (p *parser) startFailure(pos int) *failure {
	to := p.nextClause(pos+1, false)
	plain := &failure{from: pos, to: to}
	t := p.toks[pos]
	switch t.kind {
	case quoted:
		return &failure{from: pos, to: to, why: "it does not say what to do with the message; put the verb first, like Send 'Hi' to bob@example.com", form: sendForm}
	case address:
		return &failure{from: pos, to: to, why: fmt.Sprintf("it does not say what to do; write Send '<message>' to %s, or %s gets '<message>'", t.text, t.text), form: sendForm}
	case badAddress:
		return &failure{from: pos, to: pos + 1, why: "it is not an email address EaaPL accepts; write addresses like name@example.com"}
	case punct:
		return plain
	}
	if sel, n, f := p.selection(pos, p.l.contactPhrases); f == nil && sel != nil {
		who := lowerFirst(p.src[p.toks[pos].start:p.toks[n-1].end])
		get := "get"
		if p.isWord(pos, "each") || p.isWord(pos, "every") || p.isWord(pos, "everyone") || p.isWord(pos, "everybody") {
			get = "gets"
		}
		return &failure{from: pos, to: n, why: fmt.Sprintf("it does not say what to do with them; write Send '<message>' to %s, or %s %s '<message>'", who, who, get), form: getForm}
	}
	if sc, next, f := p.schedule(pos); sc != nil && f == nil {
		// "..., then every Monday at 9am send ...": a schedule is the whole program's.
		return &failure{from: pos, to: next, why: "a schedule goes at the start of the program and repeats all of it, like Every Monday at 9am, send 'Hi' to bob@example.com", form: "Every <day> at <clock>, <program>"}
	}
	w := t.text
	if _, num := number(p.tokText(pos + 1)); w == "first" && num {
		return plain // "First 10 of my contacts ...": not a sequence word, and no verb
	} else if (w == "first" && !num || slices.Contains(sequenceWords, w)) && (w != "next" || p.isPunct(pos+1, ",") || p.statementVerbAt(pos+1)) {
		n := pos + 1 + boolInt(p.isPunct(pos+1, ","))
		if !p.isPunct(pos+1, ",") && !p.statementVerbAt(pos+1) && w != "next" {
			// "Next week ..." is a time more likely than a sequence word: no reason rather than a wrong one.
			return &failure{from: pos, to: to, why: fmt.Sprintf("after %q comes a statement, like %s, send 'Bye' to bob@example.com", p.src[t.start:t.end], p.src[t.start:t.end])}
		}
		if w == "first" {
			return &failure{from: pos, to: n, exact: true, why: "\"first\" begins only the program's first statement (statements run in the order written); for a later one write next, then or finally"}
		}
		return &failure{from: pos, to: n, exact: true, why: fmt.Sprintf("%q says what comes after the statement before, and there is none; begin with the statement itself", p.src[t.start:t.end])}
	}
	if w == "if" {
		return &failure{from: pos, to: to, why: whyIf}
	}
	if (w == "have" || w == "did" || w == "do" || w == "has") && (p.isWord(pos+1, "i") || p.isWord(pos+1, "not") && p.isWord(pos+2, "i")) {
		// "Have I emailed bob@example.com this week?": a yes or no, which no answer step gives.
		return &failure{from: pos, to: to, why: whyYesNo, form: "How many of <contacts> haven't I emailed <time>?"}
	}
	verbAt := -1 // where a verb EaaPL knows follows the part
	if to < p.end {
		if _, ok := p.phrase(to, p.l.verbs...); ok {
			verbAt = to
		}
	}
	switch {
	case questionWords[w]:
		return &failure{from: pos, to: pos + 1, exact: true, why: whyQuestion, form: "List <contacts> (also: show me, tell me)"}
	case notVerbs[w] || p.isPunct(pos+1, ",") || p.isWord(pos+1, "and") || p.getVerbAt(pos+1):
		// "Could you please send ...", "Ann, send her ...", "Ann gets ..." after a lead.
		if verbAt >= 0 {
			return &failure{from: pos, to: to, why: fmt.Sprintf("the verb comes first: leave out the words before %q", p.toks[verbAt].text), form: sendForm}
		}
		return &failure{from: pos, to: to, why: "EaaPL finds no verb it knows in it; " + p.verbList()}
	}
	for _, st := range p.l.statements {
		// "Summarize my inbox": the command's statement, with a slot it cannot fill.
		if len(st.parts) == 2 && st.parts[0].word == w && st.parts[1].slot != "" && pos+1 < to {
			field, _ := st.spec.Arg(st.parts[1].slot)
			return &failure{from: pos + 1, to: to, why: fmt.Sprintf("%q needs its %s: %s", st.text, st.parts[1].slot, slotHint(field))}
		}
	}
	if known := p.startsOf(w); len(known) > 0 {
		return &failure{from: pos, to: to, why: fmt.Sprintf("EaaPL knows %q only as the start of %s", w, orList(known))}
	}
	if p.l.grammarWords[w] || !verbLike.MatchString(w) {
		// A word of the grammar that starts nothing here ("for my friends"), or not a word: what was meant
		// is not known, so no reason is better than a wrong one.
		return plain
	}
	return &failure{from: pos, to: pos + 1, exact: true, why: fmt.Sprintf("EaaPL does not know the verb %q; %s", p.src[t.start:t.end], p.verbList()), form: sendForm}
}

// whyIf is the reason for a condition the grammar does not know: the conditions it knows.
const whyIf = "the conditions EaaPL knows are: if I haven't emailed them <time> (or unless I emailed them), if I haven't emailed <address> or my contact <name> <time>, if there are more than <N> <things> (or fewer than, at least, no), if <result> contains or is '<text>', and if he doesn't reply within <duration>"

// whyYesNo is the reason for a question whose answer is yes or no.
const whyYesNo = "EaaPL answers how many and which, not yes or no; ask Which of my contacts did I email this week? or How many ...?, or act on the answer: If I haven't emailed bob@example.com this week, send him 'Hi'"

// sendForm is the form of the plainest email.
const sendForm = "Send '<message>' to <recipients>"

// verbList lists the verbs a statement may start with, and the starts of questions.
func (p *parser) verbList() string {
	verbs := append(slices.Clone(p.l.starts), "wait")
	if len(verbs) > 1 {
		verbs[len(verbs)-1] = "and " + verbs[len(verbs)-1]
	}
	return fmt.Sprintf("its verbs are %s; a question starts with how many, who, which, list, show me or tell me", strings.Join(verbs, ", "))
}

// startsOf returns the phrases of the grammar that start with the word w and go on with more words:
// "call them", "tell me", "summarize {text}". The words that lead a statement (for, if, every ...) are
// not in it: they start more than these phrases.
func (p *parser) startsOf(w string) []string {
	var out []string
	add := func(ph string) {
		if f := strings.Fields(ph); len(f) > 1 && f[0] == w {
			out = appendNew(out, ph)
		}
	}
	for _, st := range p.l.statements {
		if !st.iterates() {
			add(st.text)
		}
	}
	for _, ph := range concat(namingHeads, answerHeads, []string{"how many"}, p.l.verbs) {
		add(ph)
	}
	for _, v := range p.l.aroundVerbs {
		add(v[0] + " <recipients> " + v[1]) // "let <recipients> know"
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(strings.Fields(a)) - len(strings.Fields(b)) })
	return out
}

// getVerbAt reports whether a verb of the statements that name their recipients first is at pos.
func (p *parser) getVerbAt(pos int) bool {
	_, ok := p.phrase(pos, getVerbs...)
	return ok
}

// lowerFirst lowers the first letter: "Each of my contacts" in the middle of a sentence.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// tokText is the text of the token at pos, "" past the end.
func (p *parser) tokText(pos int) string {
	if pos >= p.end {
		return ""
	}
	return p.toks[pos].text
}
