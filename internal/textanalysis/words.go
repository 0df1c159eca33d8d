package textanalysis

import (
	"strings"
	"unicode"
)

// stopwords are common English words that say nothing about a sentence's subject.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are as at be because
	been before being below between both but by can could did do does doing down during each few for from
	further had has have having he her here hers herself him himself his how i if in into is it its itself
	just me more most my myself no nor not now of off on once only or other our ours ourselves out over own
	same she should so some such than that the their theirs them themselves then there these they this those
	through to too under until up very was we were what when where which while who whom why will with would
	you your yours yourself yourselves also may might must shall us per via`) {
		m[w] = true
	}
	return m
}()

// words are the content words of s: lower case, letters and digits, stop words left out, each reduced by
// stem so that "shipped", "shipping" and "ships" meet.
func words(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		f = strings.Trim(f, "'")
		f = strings.TrimSuffix(f, "'s")
		if f == "" || stopwords[f] {
			continue
		}
		out = append(out, stem(f))
	}
	return out
}

// stem strips the commonest English suffixes: a light stemmer, enough for overlap between sentences and
// between keywords and a text, not a linguistic one (Porter's would be the next step).
func stem(w string) string {
	for _, suf := range []string{"ing", "edly", "ed", "ies", "es", "s", "ly"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			base := w[:len(w)-len(suf)]
			if suf == "ies" {
				return base + "y"
			}
			if suf == "es" && !strings.HasSuffix(base, "s") && !strings.HasSuffix(base, "x") &&
				!strings.HasSuffix(base, "ch") && !strings.HasSuffix(base, "sh") {
				return w[:len(w)-1] // "notes" -> "note", not "not"
			}
			// "shipped" -> "shipp" -> "ship"
			if n := len(base); (suf == "ing" || suf == "ed") && n >= 2 && base[n-1] == base[n-2] && !strings.ContainsRune("lsz", rune(base[n-1])) {
				base = base[:n-1]
			}
			return base
		}
	}
	return w
}
