package textanalysis

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

const report = `# Q3 Report

Revenue grew strongly in the third quarter. The growth in revenue came from new enterprise customers.
Our office moved to a new building in July. Enterprise customers now bring most of the revenue growth.
The coffee machine was replaced.

## Monthly revenue

| Month | Revenue | Tickets | Region |
|-------|--------:|--------:|--------|
| July | $1,200 | 340 | EU |
| August | $1,350 | 310 | EU |
| September | $1,500 | 305 | US |

Headcount by month:
- July: 40 people
- August: 40 people
- September: 40 people
`

func TestSummarize(t *testing.T) {
	s := Summarize(report, 2)
	if s.Method != MethodTextRank || s.Of != 5 || len(s.Sentences) != 2 {
		t.Fatalf("summary = %+v", s)
	}
	// The two sentences about revenue growth and enterprise customers share the most words with the rest;
	// the office move and the coffee machine share none.
	want := "The growth in revenue came from new enterprise customers. Enterprise customers now bring most of the revenue growth."
	if s.Text != want {
		t.Fatalf("summary = %q\nwant      %q", s.Text, want)
	}
	t.Run("AShortTextIsReturnedWhole", func(t *testing.T) {
		s := Summarize("Only one sentence here.", 3)
		if s.Method != MethodAllSentences || s.Text != "Only one sentence here." {
			t.Fatalf("summary = %+v", s)
		}
	})
	t.Run("ALongTextIsBounded", func(t *testing.T) {
		var b strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&b, "Sentence number %d talks about topic %d. ", i, i%7)
		}
		s := Summarize(b.String(), 3)
		if s.Of != 5000 || s.Ranked != MaxRanked || len(s.Sentences) != 3 {
			t.Fatalf("summary of 5000 sentences = of %d, ranked %d, %d sentences", s.Of, s.Ranked, len(s.Sentences))
		}
	})
}

func TestSentences(t *testing.T) {
	got := Sentences("Dr. Smith met e.g. Bob at 3.5 p.m. today. He said: \"Yes!\" Then left?\n\n- a list item\n# Heading\nLast line without a dot")
	want := []string{"Dr. Smith met e.g. Bob at 3.5 p.m. today.", `He said: "Yes!"`, "Then left?", "a list item", "Last line without a dot"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Sentences =\n%q\nwant\n%q", got, want)
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]string{
		"1200": "1200 ", "$1,200": "1200 $", "-3.5": "-3.5 ", "(30)": "-30 ", "12%": "12 %", "1.2k": "1200 ",
		"4M": "4e+06 ", "120 units": "120 units", "**7**": "7 ", "−2": "-2 ", "€ 5": "5 €",
	} {
		v, unit, ok := ParseNumber(in)
		if got := fmt.Sprintf("%v %s", v, unit); !ok || got != want {
			t.Fatalf("ParseNumber(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"2026-01-02", "10:30", "1.2.3", "3/4", "abc", "", "Q3", "1,20"} {
		if v, u, ok := ParseNumber(in); ok {
			t.Fatalf("ParseNumber(%q) = %v %q, want not a number", in, v, u)
		}
	}
}

func TestTrends(t *testing.T) {
	trends := Trends(SeriesFromText(report))
	var got []string
	for _, tr := range trends {
		pct := "none"
		if tr.ChangePercent != nil {
			pct = fmt.Sprint(*tr.ChangePercent)
		}
		got = append(got, fmt.Sprintf("%s [%s] %s: %s first %s=%v last %s=%v change %v (%s%%) high %s low %s slope %v by %s",
			tr.Series, tr.Unit, tr.Source, tr.Direction, tr.First.Label, tr.First.Value, tr.Last.Label, tr.Last.Value,
			tr.Change, pct, tr.Highest.Label, tr.Lowest.Label, tr.Slope, tr.Method))
	}
	want := []string{
		`Revenue [$] table "Monthly revenue", column Revenue: up first July=1200 last September=1500 change 300 (25%) high September low July slope 150 by least-squares`,
		`Tickets [] table "Monthly revenue", column Tickets: down first July=340 last September=305 change -35 (-10.29%) high July low September slope -17.5 by least-squares`,
		`Headcount by month [people] lines 16-18: flat first July=40 last September=40 change 0 (0%) high July low July slope 0 by least-squares`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("trends =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	t.Run("FromATable", func(t *testing.T) {
		rows := []map[string]string{
			{"order": "A1", "amount": "10", "email": "a@x"},
			{"order": "A2", "amount": "", "email": "b@x"},
			{"order": "A3", "amount": "4", "email": "c@x"},
		}
		tr := Trends(SeriesFromTable([]string{"order", "amount", "email"}, rows))
		if len(tr) != 1 || tr[0].Series != "amount" || tr[0].Direction != "down" || tr[0].Lowest.Label != "A3" || tr[0].Points != 2 {
			t.Fatalf("trends = %+v", tr)
		}
	})
	t.Run("MixedUnitsAreNotOneSeries", func(t *testing.T) {
		if s := SeriesFromText("Revenue: $5\nStaff: 12\nOffices: 3 cities\n"); len(s) != 0 {
			t.Fatalf("series = %+v, want none", s)
		}
	})
}

func TestExtract(t *testing.T) {
	text := "Invoice 17\n**Due date**: May 3, 2026\nCustomer_Name = Acme Ltd\nQuestions? Write to billing@acme.example or see https://acme.example/help.\nTotal due: see below\nWe charge $1,250.00 in all."
	got := Extract(text, []string{"due_date", "customer name", "email", "website", "amount", "order number"})
	want := []string{
		"due_date=May 3, 2026 (line 2, key-value-line)",
		"customer name=Acme Ltd (line 3, key-value-line)",
		"email=billing@acme.example (line 4, pattern:email)",
		"website=https://acme.example/help (line 4, pattern:url)",
		"amount=$1,250.00 (line 6, pattern:amount)",
		"order number not found",
	}
	var lines []string
	for _, f := range got {
		if !f.Found {
			lines = append(lines, f.Name+" not found")
			continue
		}
		lines = append(lines, fmt.Sprintf("%s=%s (line %d, %s)", f.Name, f.Value, f.Line, f.Method))
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Extract =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestClassify(t *testing.T) {
	labels := []Label{{Name: "urgent", Keywords: []string{"asap", "urgent", "deadline", "right away"}}, {Name: "billing", Keywords: []string{"invoice", "payment", "refund"}}, {Name: "other"}}
	c, err := Classify("Please pay the invoice; the payment deadline is today, ASAP. The invoice is attached.", labels)
	if err != nil {
		t.Fatal(err)
	}
	if c.Label != "billing" || c.Method != MethodKeywordOverlap || c.Scores[0].Hits != 2 || c.Scores[1].Hits != 3 {
		t.Fatalf("classification = %+v", c)
	}
	if c, _ := Classify("We need this right away, it is urgent.", labels); c.Label != "urgent" || c.Scores[0].Hits != 2 {
		t.Fatalf("classification = %+v", c)
	}
	t.Run("NoLabelWhenNothingOrATieDecides", func(t *testing.T) {
		if c, _ := Classify("The weather is nice.", labels); c.Label != "" || !strings.Contains(c.Reason, "no keyword") {
			t.Fatalf("classification = %+v", c)
		}
		if c, _ := Classify("The invoice deadline.", labels); c.Label != "" || !strings.Contains(c.Reason, "tie") {
			t.Fatalf("classification = %+v", c)
		}
	})
	t.Run("BadLabels", func(t *testing.T) {
		for _, ls := range [][]Label{{{Name: "a"}}, {{Name: "a"}, {Name: "A"}}, {{Name: "a"}, {Name: " "}}} {
			if _, err := Classify("x", ls); err == nil {
				t.Fatalf("Classify with labels %v: no error", ls)
			}
		}
	})
}

func TestEmbeddedIsAnAnalyzer(t *testing.T) {
	var a Analyzer = Embedded{}
	s, err := a.Summarize(context.Background(), report, 1)
	if err != nil || len(s.Sentences) != 1 || s.Method != MethodTextRank {
		t.Fatalf("Summarize = %+v, %v", s, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Extract(ctx, report, []string{"x"}); err == nil {
		t.Fatal("a cancelled Extract ran")
	}
}
