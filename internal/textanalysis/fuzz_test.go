package textanalysis

import (
	"strings"
	"testing"
)

// FuzzAnalysis runs every method over arbitrary text: none may panic, and their results must hold what
// they promise.
func FuzzAnalysis(f *testing.F) {
	f.Add(report)
	f.Add("Dr. X. Y! (12) $1,2 | a |\n|-|\n| 1 |\n- a: 1\n- b: 2\n- c: 3")
	f.Add("")
	f.Add("a: (  )\n::\n|\n|---|")
	f.Fuzz(func(t *testing.T, text string) {
		s := Summarize(text, 2)
		if len(s.Sentences) > 2 || s.Ranked > s.Of {
			t.Fatalf("summary %+v", s)
		}
		for _, sent := range s.Sentences {
			if strings.TrimSpace(sent) == "" {
				t.Fatalf("an empty sentence in %+v", s)
			}
		}
		for _, tr := range Trends(SeriesFromText(text)) {
			if tr.Highest.Value < tr.Lowest.Value || tr.Points < 2 {
				t.Fatalf("trend %+v", tr)
			}
		}
		for _, fl := range Extract(text, []string{"email", "due date", "x"}) {
			if fl.Found != (fl.Method != "") {
				t.Fatalf("field %+v", fl)
			}
		}
		if _, err := Classify(text, []Label{{Name: "a b"}, {Name: "c", Keywords: []string{"d e", ""}}}); err != nil {
			t.Fatal(err)
		}
		ParseNumber(text)
	})
}
