package textanalysis

import (
	"math"
	"regexp"
	"sort"
	"strings"
)

// Summary is an extractive summary: sentences of the text, in its order.
type Summary struct {
	Text      string   `json:"text"` // the sentences, joined by spaces
	Sentences []string `json:"sentences"`
	// Of is how many sentences the text had; Ranked how many of them were ranked (see MaxRanked).
	Of     int    `json:"of"`
	Ranked int    `json:"ranked"`
	Method string `json:"method"`
}

// DefaultSentences is the length of a summary when the caller asks for none.
const DefaultSentences = 3

// MaxRanked bounds the work: TextRank compares every sentence with every other, so a text of more
// sentences has this many, evenly spaced through it, ranked.
const MaxRanked = 1000

// Summarize picks the n sentences (DefaultSentences when n <= 0) that TextRank ranks highest and returns
// them in the text's order. Sentences are the graph's nodes; two sentences are joined with the weight
// |common words| / (log |words1| + log |words2|) (Mihalcea and Tarau, 2004, section 4.1); a sentence's
// rank is its PageRank over those weights (damping 0.85, to a change below 1e-6 or 100 rounds). Headings
// and table rows are not candidates. A text with no more than n sentences is returned whole.
func Summarize(text string, n int) Summary {
	if n <= 0 {
		n = DefaultSentences
	}
	all := Sentences(text)
	s := Summary{Of: len(all), Method: MethodTextRank}
	if len(all) <= n {
		s.Sentences, s.Ranked, s.Method = all, len(all), MethodAllSentences
		s.Text = strings.Join(all, " ")
		return s
	}
	idx := make([]int, len(all)) // which sentences are ranked
	for i := range idx {
		idx[i] = i
	}
	if len(all) > MaxRanked {
		idx = idx[:MaxRanked]
		for i := range idx {
			idx[i] = i * len(all) / MaxRanked
		}
	}
	s.Ranked = len(idx)
	bags := make([]map[string]bool, len(idx))
	for i, j := range idx {
		bags[i] = map[string]bool{}
		for _, w := range words(all[j]) {
			bags[i][w] = true
		}
	}
	rank := textRank(bags)
	order := make([]int, len(idx))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rank[order[a]] > rank[order[b]] })
	chosen := order[:n]
	sort.Ints(chosen)
	for _, i := range chosen {
		s.Sentences = append(s.Sentences, all[idx[i]])
	}
	s.Text = strings.Join(s.Sentences, " ")
	return s
}

// textRank is the weighted PageRank of the sentence graph.
func textRank(bags []map[string]bool) []float64 {
	n := len(bags)
	w := make([][]float64, n)
	out := make([]float64, n) // each node's total edge weight
	for i := range w {
		w[i] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			common := 0
			for word := range bags[i] {
				if bags[j][word] {
					common++
				}
			}
			if common == 0 {
				continue
			}
			denom := math.Log(float64(len(bags[i]))) + math.Log(float64(len(bags[j])))
			if denom <= 0 {
				denom = 1 // two one-word sentences that share it
			}
			w[i][j] = float64(common) / denom
			w[j][i] = w[i][j]
			out[i] += w[i][j]
			out[j] += w[i][j]
		}
	}
	const d = 0.85
	rank := make([]float64, n)
	for i := range rank {
		rank[i] = 1
	}
	next := make([]float64, n)
	for round := 0; round < 100; round++ {
		delta := 0.0
		for i := 0; i < n; i++ {
			sum := 0.0
			for j := 0; j < n; j++ {
				if w[j][i] > 0 {
					sum += w[j][i] / out[j] * rank[j]
				}
			}
			next[i] = (1 - d) + d*sum
			delta = math.Max(delta, math.Abs(next[i]-rank[i]))
		}
		rank, next = next, rank
		if delta < 1e-6 {
			break
		}
	}
	return rank
}

// abbreviations end with a dot that does not end a sentence.
var abbreviations = map[string]bool{
	"e.g.": true, "i.e.": true, "etc.": true, "vs.": true, "mr.": true, "mrs.": true, "ms.": true, "dr.": true,
	"prof.": true, "inc.": true, "ltd.": true, "co.": true, "no.": true, "approx.": true, "fig.": true,
	"jan.": true, "feb.": true, "mar.": true, "apr.": true, "jun.": true, "jul.": true, "aug.": true,
	"sep.": true, "sept.": true, "oct.": true, "nov.": true, "dec.": true, "st.": true, "jr.": true, "sr.": true,
}

var listMarker = regexp.MustCompile(`^\s*(?:[-*+•]|\d+[.)])\s+`)

// Sentences splits a text into sentences: at ., ! or ? followed by a space (not after a known
// abbreviation or a single initial), and at the end of each paragraph, list item or line of a list.
// Markdown headings, table rows, rules, code fences and data lines ("July: 40", a line ending in ":" that
// introduces a list) are left out; list markers and emphasis are removed.
func Sentences(text string) []string {
	var out []string
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, splitSentences(strings.Join(para, " "))...)
			para = para[:0]
		}
	}
	inFence := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			flush()
			continue
		}
		switch {
		case inFence:
			continue
		case t == "" || t == "\f":
			flush()
		case strings.HasPrefix(t, "#") || strings.HasPrefix(t, "|") || strings.Trim(t, "-=*_ ") == "" || isData(t):
			flush()
		case listMarker.MatchString(line):
			flush()
			para = append(para, listMarker.ReplaceAllString(line, ""))
			flush()
		default:
			para = append(para, t)
		}
	}
	flush()
	return out
}

func splitSentences(p string) []string {
	p = strings.NewReplacer("**", "", "__", "", "`", "").Replace(p)
	tokens := strings.Fields(p)
	var out []string
	start := 0
	for i, tok := range tokens {
		last := tok[len(tok)-1]
		core := strings.TrimRight(tok, `"')]`)
		if core == "" {
			continue
		}
		end := core[len(core)-1]
		if end != '.' && end != '!' && end != '?' && last != '.' {
			continue
		}
		if end == '.' && (abbreviations[strings.ToLower(core)] || (len(core) == 2 && core[0] >= 'A' && core[0] <= 'Z')) {
			continue
		}
		if i+1 < len(tokens) {
			if next := tokens[i+1]; next[0] >= 'a' && next[0] <= 'z' {
				continue // "3.5 million" or "etc. and": a sentence begins with a capital, digit or quote
			}
		}
		out = append(out, strings.Join(tokens[start:i+1], " "))
		start = i + 1
	}
	if start < len(tokens) {
		out = append(out, strings.Join(tokens[start:], " "))
	}
	return out
}

// isData is a line that holds a value or introduces a list rather than saying something.
func isData(line string) bool {
	if strings.HasSuffix(line, ":") {
		return true
	}
	m := keyValue.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	_, _, ok := ParseNumber(m[2])
	return ok
}
