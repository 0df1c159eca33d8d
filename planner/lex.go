package planner

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is the kind of a token.
type kind int

const (
	word       kind = iota // text is lower case, curly apostrophes made straight, "e-mail" made "email"
	quoted                 // text is what stood between the quotes, exactly
	address                // text is the email address as written
	badAddress             // something with an @ that is not an address EaaPL accepts
	punct                  // text is one of , . ! ? : ; or a line break
)

// token is one word, quoted text, address or punctuation mark of a program, with its byte offsets in
// the program so that an error can quote the text as the user wrote it.
type token struct {
	kind       kind
	text       string
	start, end int
	angled     bool // an address written in angle brackets: <bob@example.com>
}

// addressPattern is deliberately narrower than RFC 5322: letters, digits and ._%+- before the @, a dotted
// domain after it. Nothing it accepts can start an expression ("${") or end a CEL string literal.
var addressPattern = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$`)

// contractions are written out so that the grammar has one spelling of each.
var contractions = map[string][]string{
	"haven't": {"have", "not"},
	"havent":  {"have", "not"},
	"didn't":  {"did", "not"},
	"didnt":   {"did", "not"},
	"i've":    {"i", "have"},
	"doesn't": {"does", "not"},
	"hasn't":  {"has", "not"},
	"doesnt":  {"does", "not"},
	"don't":   {"do", "not"},
	"dont":    {"do", "not"},
}

// closers maps each opening quote mark to the marks that may close it.
var closers = map[rune]string{
	'"':  `"`,
	'“':  `”"`,
	'‘':  `’'`,
	'\'': `'`,
}

// lexError is a quote that is never closed, at byte offset start.
type lexError struct{ start int }

// lex splits a program into tokens.
func lex(program string) ([]token, *lexError) {
	var toks []token
	for i := 0; i < len(program); {
		r, size := utf8.DecodeRuneInString(program[i:])
		switch {
		case r == '\n':
			// A line break ends a statement, as a full stop does.
			toks = append(toks, token{kind: punct, text: "\n", start: i, end: i + size})
			i += size
		case unicode.IsSpace(r):
			i += size
		case opensQuote(program, i, r):
			end, next, ok := closeQuote(program, i+size, closers[r])
			if !ok {
				return nil, &lexError{start: i}
			}
			toks = append(toks, token{kind: quoted, text: program[i+size : end], start: i, end: next})
			i = next
		case strings.ContainsRune(",;:", r):
			toks = append(toks, token{kind: punct, text: string(r), start: i, end: i + size})
			i += size
		default:
			j := i
			for j < len(program) {
				r, size := utf8.DecodeRuneInString(program[j:])
				if unicode.IsSpace(r) || strings.ContainsRune(`,;:"“”‘`, r) {
					break
				}
				j += size
			}
			toks = append(toks, chunk(program, i, j)...)
			i = j
		}
	}
	return toks, nil
}

// opensQuote reports whether the rune r at offset i opens a quotation. A straight single quote opens one
// only at the start of a word, so that the apostrophe of "haven't" does not.
func opensQuote(program string, i int, r rune) bool {
	if r != '\'' {
		_, ok := closers[r]
		return ok
	}
	if i == 0 {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(program[:i])
	return unicode.IsSpace(prev) || strings.ContainsRune("(:,", prev)
}

// closeQuote finds the end of a quotation whose text starts at from. A single quote closes it only at
// the end of a word, so that 'Don't forget' is one quotation. It returns the end of the text and the
// offset after the closing mark.
func closeQuote(program string, from int, marks string) (end, next int, ok bool) {
	for j := from; j < len(program); {
		r, size := utf8.DecodeRuneInString(program[j:])
		if strings.ContainsRune(marks, r) && (r == '"' || r == '”' || endsWord(program, j+size)) {
			return j, j + size, true
		}
		j += size
	}
	return 0, 0, false
}

// endsWord reports whether offset i is the end of the program, a space or closing punctuation.
func endsWord(program string, i int) bool {
	if i >= len(program) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(program[i:])
	return unicode.IsSpace(r) || strings.ContainsRune(".,;:!?)", r)
}

// chunk turns the text between spaces and separators into tokens: trailing punctuation is split off, an address is an
// address, and a word is normalized.
func chunk(program string, start, end int) []token {
	var trail []token
	for end > start && strings.ContainsRune(".!?", rune(program[end-1])) {
		trail = append([]token{{kind: punct, text: program[end-1 : end], start: end - 1, end: end}}, trail...)
		end--
	}
	if end == start {
		return trail
	}
	text := program[start:end]
	if inner, ok := strings.CutPrefix(text, "<"); ok && strings.HasSuffix(inner, ">") && addressPattern.MatchString(inner[:len(inner)-1]) {
		// "Bob <bob@example.com>": the address in angle brackets, which a display name may come before.
		return append([]token{{kind: address, text: inner[:len(inner)-1], start: start, end: end, angled: true}}, trail...)
	}
	if strings.Contains(text, "@") {
		k := address
		if !addressPattern.MatchString(text) {
			k = badAddress
		}
		return append([]token{{kind: k, text: text, start: start, end: end}}, trail...)
	}
	w := strings.ToLower(strings.ReplaceAll(text, "’", "'"))
	w = strings.ReplaceAll(w, "e-mail", "email")
	var toks []token
	if parts, ok := contractions[w]; ok {
		for _, p := range parts {
			toks = append(toks, token{kind: word, text: p, start: start, end: end})
		}
	} else {
		toks = append(toks, token{kind: word, text: w, start: start, end: end})
	}
	return append(toks, trail...)
}
