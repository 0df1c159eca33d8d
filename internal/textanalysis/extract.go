package textanalysis

import (
	"regexp"
	"strings"
)

// Field is one named field found in a text, or not found.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Found bool   `json:"found"`
	Line  int    `json:"line,omitempty"` // where it was found, from 1
	// Method is MethodKeyValueLine, or MethodPattern+":"+kind ("pattern:email"); empty when not found.
	Method string `json:"method,omitempty"`
}

// patterns are what a field's name implies its value looks like, tried when no "Key: value" line names it.
var patterns = []struct {
	kind  string
	names []string // words of a field's name that imply it
	re    *regexp.Regexp
}{
	{"email", []string{"email", "e-mail", "mail", "address"}, regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)},
	{"url", []string{"url", "link", "website", "site", "page"}, regexp.MustCompile(`https?://[^\s<>"')\]]+`)},
	{"date", []string{"date", "deadline", "due", "when", "day"}, regexp.MustCompile(`\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]* \d{4})\b`)},
	{"amount", []string{"amount", "total", "price", "cost", "sum", "fee", "budget", "revenue"}, regexp.MustCompile(`[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)? ?(?:USD|EUR|GBP|dollars|euros)\b`)},
	{"phone", []string{"phone", "tel", "telephone", "mobile", "cell"}, regexp.MustCompile(`\+?\d[\d ().-]{6,}\d`)},
}

// Extract finds each named field in text. First a "Key: value" (or "Key = value") line whose key, case,
// spaces, underscores, hyphens and emphasis aside, is the field's name: "Due date: May 3" fills due_date.
// Then, when the name implies a kind (an email address, a URL, a date, an amount, a phone number), the
// first such value anywhere in the text. A field found neither way has Found false: nothing is made up.
func Extract(text string, fields []string) []Field {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	keys := map[string]int{} // normalised key -> first line
	values := map[string]string{}
	for i, l := range lines {
		m := keyValue.FindStringSubmatch(l)
		if m == nil || strings.Contains(m[1], "://") {
			continue
		}
		k := normalKey(m[1])
		if _, seen := keys[k]; !seen && k != "" {
			keys[k], values[k] = i+1, strings.TrimSpace(strings.Trim(m[2], "*_ "))
		}
	}
	out := make([]Field, 0, len(fields))
	for _, name := range fields {
		f := Field{Name: name}
		if line, ok := keys[normalKey(name)]; ok && values[normalKey(name)] != "" {
			f.Value, f.Found, f.Line, f.Method = values[normalKey(name)], true, line, MethodKeyValueLine
			out = append(out, f)
			continue
		}
		if kind, re := patternFor(name); re != nil {
			for i, l := range lines {
				if v := re.FindString(l); v != "" {
					f.Value, f.Found, f.Line, f.Method = strings.TrimRight(v, ".,;"), true, i+1, MethodPattern+":"+kind
					break
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// normalKey compares keys: lower case, words joined by single spaces, emphasis and punctuation left out.
func normalKey(k string) string {
	k = strings.ToLower(k)
	k = strings.Map(func(r rune) rune {
		switch {
		case r == '_' || r == '-' || r == '.':
			return ' '
		case r == '*' || r == '`' || r == '"' || r == '\'':
			return -1
		}
		return r
	}, k)
	return strings.Join(strings.Fields(k), " ")
}

func patternFor(name string) (string, *regexp.Regexp) {
	parts := strings.Fields(normalKey(name))
	for _, p := range patterns {
		for _, n := range p.names {
			for _, part := range parts {
				if part == n || part == strings.ReplaceAll(n, "-", " ") {
					return p.kind, p.re
				}
			}
		}
	}
	return "", nil
}
