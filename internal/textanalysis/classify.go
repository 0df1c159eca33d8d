package textanalysis

import (
	"errors"
	"fmt"
	"strings"
)

// Label is a class a text may belong to, with the words that signal it (the label's own words when none
// are given).
type Label struct {
	Name     string   `json:"name"`
	Keywords []string `json:"keywords,omitempty"`
}

// Score is how many times a label's keywords occur in the text.
type Score struct {
	Label   string   `json:"label"`
	Hits    int      `json:"hits"`
	Matched []string `json:"matched,omitempty"` // the keywords found
}

// Classification is the label a text was given, or none, and why.
type Classification struct {
	// Label is the label with the most keyword hits; empty when no keyword occurs or two labels tie,
	// so that the program asks rather than guesses.
	Label  string  `json:"label"`
	Scores []Score `json:"scores"` // in the order the labels were given
	Reason string  `json:"reason"`
	Method string  `json:"method"`
}

// Classify counts, for each label, the occurrences in text of its keywords (stemmed words; a keyword of
// several words counts where they occur in that order) and picks the label with the most. Labels must
// have distinct, non-empty names.
func Classify(text string, labels []Label) (Classification, error) {
	if len(labels) < 2 {
		return Classification{}, errors.New("classify: give at least two labels to choose from")
	}
	seen := map[string]bool{}
	for _, l := range labels {
		name := strings.TrimSpace(l.Name)
		if name == "" {
			return Classification{}, errors.New("classify: a label has no name")
		}
		if seen[strings.ToLower(name)] {
			return Classification{}, fmt.Errorf("classify: the label %q is given twice", name)
		}
		seen[strings.ToLower(name)] = true
	}
	tokens := words(text)
	c := Classification{Method: MethodKeywordOverlap}
	for _, l := range labels {
		keywords := l.Keywords
		if len(keywords) == 0 {
			keywords = []string{l.Name}
		}
		s := Score{Label: l.Name}
		for _, k := range keywords {
			kw := words(k)
			if len(kw) == 0 {
				continue
			}
			if n := countPhrase(tokens, kw); n > 0 {
				s.Hits += n
				s.Matched = append(s.Matched, k)
			}
		}
		c.Scores = append(c.Scores, s)
	}
	best, second := -1, -1
	for i, s := range c.Scores {
		if best < 0 || s.Hits > c.Scores[best].Hits {
			best, second = i, best
		} else if second < 0 || s.Hits > c.Scores[second].Hits {
			second = i
		}
	}
	switch b, s := c.Scores[best], c.Scores[second]; {
	case b.Hits == 0:
		c.Reason = "no keyword of any label occurs in the text"
	case b.Hits == s.Hits:
		c.Reason = fmt.Sprintf("%q and %q tie with %d keyword hits each", b.Label, s.Label, b.Hits)
	default:
		c.Label = b.Label
		c.Reason = fmt.Sprintf("%d keyword hits (%s), against %d for %q", b.Hits, strings.Join(b.Matched, ", "), s.Hits, s.Label)
	}
	return c, nil
}

// countPhrase counts where phrase occurs in tokens as consecutive words.
func countPhrase(tokens, phrase []string) int {
	n := 0
	for i := 0; i+len(phrase) <= len(tokens); i++ {
		match := true
		for j, w := range phrase {
			if tokens[i+j] != w {
				match = false
				break
			}
		}
		if match {
			n++
		}
	}
	return n
}
