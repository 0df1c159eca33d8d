package text

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/eaapl/eaapl/catalog"
)

type summarizeArgs struct {
	Text      catalog.Content `json:"text" eaapl:"required" desc:"the text to summarize: a document's or a page's text"`
	Sentences int             `json:"sentences" desc:"how many sentences the summary has; 3 when 0"`
}

type summarizeOutput struct {
	Summary   string   `json:"summary" eaapl:"required" desc:"the summary: the chosen sentences, in the text's order"`
	Sentences []string `json:"sentences" eaapl:"required" desc:"the summary's sentences"`
	Of        int      `json:"of" eaapl:"required" desc:"how many sentences the text has"`
	Method    string   `json:"method" eaapl:"required" desc:"what produced it: textrank, all-sentences, or model:<name>"`
	Note      string   `json:"note" desc:"what was not analysed: the end of a text longer than the model takes"`
}

// analysis completes the Def every text command shares: it only reads, has an analysis's time and
// heartbeat, retries as usual, names no item, and has the analyzer's failure hints.
func analysis[A, O any](def catalog.Def[Deps, A, O]) catalog.Def[Deps, A, O] {
	def.SideEffect = catalog.Reads
	def.Timeout = timeout
	def.HeartbeatTimeout = catalog.HeartbeatTimeout
	def.Retry = catalog.DefaultRetry
	def.Label = catalog.Label{None: true}
	def.Hint = hint
	return def
}

// outcome says a task's state with its output's text field as the detail: the summary, the label.
func outcome(field string) func(state string, output map[string]any) (string, string) {
	return func(state string, output map[string]any) (string, string) {
		s, _ := output[field].(string)
		return state, s
	}
}

// MaxSentences bounds a summary's length.
const MaxSentences = 50

// Summarize summarizes a text.
var Summarize = catalog.Define(analysis(catalog.Def[Deps, summarizeArgs, summarizeOutput]{
	Name:        "Summarize",
	Description: "Summarize a text in a few sentences: by the configured model, else on the worker in a few of the text's own sentences (extractive, TextRank); the output's method says which.",
	Run: func(ctx context.Context, d Deps, args summarizeArgs) (summarizeOutput, error) {
		if args.Sentences < 0 || args.Sentences > MaxSentences {
			return summarizeOutput{}, catalog.Invalid("parameter %q is %d; it must be between 1 and %d (0 for 3)", "sentences", args.Sentences, MaxSentences)
		}
		text, note, err := boundedText(ctx, d, "text", args.Text)
		if err != nil {
			return summarizeOutput{}, err
		}
		s, err := d.Analyzer.Summarize(ctx, text, args.Sentences)
		if err != nil {
			return summarizeOutput{}, analysisError(err)
		}
		return summarizeOutput{Summary: s.Text, Sentences: s.Sentences, Of: s.Of, Method: s.Method, Note: note}, nil
	},
	ReadBack: func(r catalog.Reading) string {
		return sends(r, "Summarize "+source(r, r.Step().Args["text"]), r.Step().Args["text"])
	},
	Outcome: outcome("summary"),
	Forms: catalog.Forms{
		Phrases:    []string{"summarize {text}", "summarize it", "a summary of {text}", "the summary of {text}"},
		Statements: []string{"summarize {text}", "summarise {text}", "make a summary of {text}", "summarize the document {text}", "summarise the document {text}", "summarize the file {text}"},
		Args:       map[string][]string{"text": {"summarize"}, "sentences": {"in", "sentences"}},
		Results: map[string]catalog.ResultWords{
			"summary": {Noun: "the summary", Words: []string{"the summary", "it"}, Subject: "Summary of {text}",
				Phrases: []string{"a summary of {text}", "the summary of {text}"}},
			"sentences": {Noun: "the summary's sentences", Each: "sentence"},
			"of":        {Noun: "how many sentences the text has"},
			"method":    {Noun: "how the summary was made"},
		},
		Examples: []catalog.Example{
			{Pattern: "Email <recipients> a summary of <file> (also: the summary of <file>, the trends in <file>)", Program: "Email alice@example.com a summary of meeting-notes.md"},
		},
	},
}))

type trendsArgs struct {
	Text   catalog.Content     `json:"text" desc:"a text with numbers in it (Markdown tables, \"Label: 120\" lines); give it or rows"`
	Rows   []map[string]string `json:"rows" eaapl:"list<any>" desc:"a table's rows, as ReadTable gives them; each numeric column is a series"`
	Header []string            `json:"header" desc:"the table's columns in order, as ReadTable gives them; the rows' keys sorted when empty"`
}

type trendsOutput struct {
	Trends []Trend `json:"trends" eaapl:"list<any>,required" desc:"one per numeric series: series, direction (up, down, flat), first, last, change, change_percent, highest, lowest, slope, method"`
	Report string  `json:"report" eaapl:"required" desc:"the trends in sentences, one per series"`
	Count  int     `json:"count" eaapl:"required" desc:"how many series were found"`
}

// AnalyzeTrends finds the numeric series of a text or table and describes their trends.
var AnalyzeTrends = catalog.Define(analysis(catalog.Def[Deps, trendsArgs, trendsOutput]{
	Name:        "AnalyzeTrends",
	Description: "Find the numeric series in a text or a table's rows and describe each one's trend: direction, first-to-last change, highest and lowest, least-squares slope; computed on the worker (a configured model only finds the series in a text that has no table or \"Label: 120\" lines).",
	Run: func(ctx context.Context, d Deps, args trendsArgs) (trendsOutput, error) {
		text, err := textOf(ctx, d, "text", args.Text)
		if err != nil {
			return trendsOutput{}, err
		}
		if strings.TrimSpace(text) == "" && len(args.Rows) == 0 {
			return trendsOutput{}, catalog.Invalid("give the parameter %q (a text) or %q (a table's rows)", "text", "rows")
		}
		header := args.Header
		if len(args.Rows) > 0 && len(header) == 0 {
			for k := range args.Rows[0] {
				header = append(header, k)
			}
			sort.Strings(header)
		}
		trends, err := d.Analyzer.Trends(ctx, text, header, args.Rows)
		if err != nil {
			return trendsOutput{}, analysisError(err)
		}
		return trendsOutput{Trends: trends, Report: Report(trends), Count: len(trends)}, nil
	},
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		what := source(r, s.Args["text"])
		if v, ok := s.Args["rows"]; ok {
			what = source(r, v)
		}
		if _, ok := s.Args["rows"]; ok {
			// A table's rows are computed on the worker whichever analyzer is configured.
			return fmt.Sprintf("Find the trends in %s, %s.", what, local)
		}
		if m, ok := r.Model(); ok {
			return fmt.Sprintf("Find the trends in %s, computed on the worker; a text with no table or \"Label: 120\" lines is sent to the model %s at %s to find its series.", what, m.Name, m.Host)
		}
		return fmt.Sprintf("Find the trends in %s, %s.", what, local)
	},
	Outcome: outcome("report"),
	// The statements without a slot work on it, the latest result ("Open report.txt, look for trends").
	Forms: catalog.Forms{
		Phrases: []string{"analyze {text} for trends", "analyze it for trends", "the trends in {text}", "find the trends in {rows}"},
		Statements: []string{"analyze {text} for trends", "analyse {text} for trends", "find the trends in {text}",
			"look for trends in {text}", "look for the trends in {text}", "look for trends", "look for the trends", "find the trends"},
		Args: map[string][]string{"text": {"analyze", "in"}, "rows": {"the rows of"}},
		Results: map[string]catalog.ResultWords{
			"trends": {Noun: "the trends", Each: "trend"},
			"report": {Noun: "the trends", Words: []string{"the trends", "the analysis"}, Subject: "Trends in {text}",
				Phrases: []string{"the trends in {text}"}},
			"count": {Noun: "the number of series found"},
		},
	},
}))

// Report says each trend in one sentence: "revenue went up from 120 (Q1) to 180 (Q4), +60 (+50.0%);
// highest 180 (Q4), lowest 120 (Q1); 20 per step."
func Report(trends []Trend) string {
	if len(trends) == 0 {
		return "No numeric series with two or more values was found."
	}
	var b strings.Builder
	for i, t := range trends {
		if i > 0 {
			b.WriteString("\n")
		}
		verb := map[string]string{"up": "went up", "down": "went down", "flat": "stayed flat"}[t.Direction]
		if verb == "" {
			verb = t.Direction
		}
		fmt.Fprintf(&b, "%s %s from %s (%s) to %s (%s), %+g", t.Series, verb, num(t.First.Value, t.Unit), t.First.Label, num(t.Last.Value, t.Unit), t.Last.Label, t.Change)
		if t.ChangePercent != nil {
			fmt.Fprintf(&b, " (%+.1f%%)", *t.ChangePercent)
		}
		fmt.Fprintf(&b, "; highest %s (%s), lowest %s (%s); %.3g per step.", num(t.Highest.Value, t.Unit), t.Highest.Label, num(t.Lowest.Value, t.Unit), t.Lowest.Label, t.Slope)
	}
	return b.String()
}

func num(v float64, unit string) string {
	switch unit {
	case "":
		return fmt.Sprintf("%g", v)
	case "$", "€", "£":
		return fmt.Sprintf("%s%g", unit, v)
	case "%":
		return fmt.Sprintf("%g%%", v)
	}
	return fmt.Sprintf("%g %s", v, unit)
}

type extractArgs struct {
	Text   catalog.Content `json:"text" eaapl:"required" desc:"the text to take the fields from"`
	Fields []string        `json:"fields" eaapl:"required" desc:"the names of the fields to find: due_date, total, email ..."`
}

type extractOutput struct {
	Fields []Field           `json:"fields" eaapl:"list<any>,required" desc:"each field asked for, in order: name, value, found (false when the text does not have it: nothing is made up), line, method"`
	Values map[string]string `json:"values" eaapl:"any,required" desc:"the values found, by field name (values.total)"`
	Found  int               `json:"found" eaapl:"required" desc:"how many fields were found"`
	Note   string            `json:"note" desc:"what was not analysed: the end of a text longer than the model takes"`
}

// MaxFields bounds how many fields one Extract asks for.
const MaxFields = 100

// Extract takes named fields out of a text.
var Extract = catalog.Define(analysis(catalog.Def[Deps, extractArgs, extractOutput]{
	Name:        "Extract",
	Description: "Take named fields out of a text, as strings: by the configured model, else on the worker (\"Key: value\" lines, else a pattern the name implies: email, url, date, amount, phone); a field not in the text is not found, never made up.",
	Run: func(ctx context.Context, d Deps, args extractArgs) (extractOutput, error) {
		if len(args.Fields) == 0 || len(args.Fields) > MaxFields {
			return extractOutput{}, catalog.Invalid("parameter %q must name 1 to %d fields", "fields", MaxFields)
		}
		for i, f := range args.Fields {
			if strings.TrimSpace(f) == "" {
				return extractOutput{}, catalog.Invalid("parameter %q: field %d has no name", "fields", i+1)
			}
		}
		text, note, err := boundedText(ctx, d, "text", args.Text)
		if err != nil {
			return extractOutput{}, err
		}
		fields, err := d.Analyzer.Extract(ctx, text, args.Fields)
		if err != nil {
			return extractOutput{}, analysisError(err)
		}
		out := extractOutput{Fields: fields, Values: map[string]string{}, Note: note}
		for _, f := range fields {
			if f.Found && slices.Contains(args.Fields, f.Name) { // the fields asked for, nothing else
				out.Values[f.Name] = f.Value
				out.Found++
			}
		}
		return out, nil
	},
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		names, ok := texts(r, s.Args["fields"])
		if !ok {
			return sends(r, "Take fields out of "+source(r, s.Args["text"]), s.Args["text"])
		}
		return sends(r, fmt.Sprintf("Take %s out of %s", andList(names), source(r, s.Args["text"])), s.Args["text"])
	},
	Forms: catalog.Forms{
		Phrases:    []string{"extract {fields} from {text}", "find {fields} in {text}", "take {fields} out of {text}"},
		Statements: []string{"extract {fields} from {text}", "take {fields} out of {text}"},
		Args:       map[string][]string{"text": {"from", "in", "out of"}, "fields": {"extract", "find"}},
		Results: map[string]catalog.ResultWords{
			"fields": {Noun: "the fields", Each: "field"},
			"values": {Noun: "the values found", Words: []string{"the values", "the fields"}, Subject: "{fields} from {text}"},
			"found":  {Noun: "how many were found"},
		},
	},
}))

type classifyArgs struct {
	Text   catalog.Content `json:"text" eaapl:"required" desc:"the text to classify"`
	Labels []string        `json:"labels" eaapl:"required" desc:"the labels to choose from, each signalled by its own words"`
}

type classifyOutput struct {
	Label  string  `json:"label" eaapl:"required" desc:"the label chosen; empty when no keyword occurs or two labels tie (then the program can ask)"`
	Scores []Score `json:"scores" eaapl:"list<any>,required" desc:"for each label, in order: label, hits, matched keywords"`
	Reason string  `json:"reason" eaapl:"required" desc:"why this label, or why none"`
	Method string  `json:"method" eaapl:"required" desc:"what produced it: keyword-overlap, or model:<name>"`
	Note   string  `json:"note" desc:"what was not analysed: the end of a text longer than the model takes"`
}

// MaxLabels bounds how many labels one Classify chooses from.
const MaxLabels = 50

// Classify puts a text into one of the given labels.
var Classify = catalog.Define(analysis(catalog.Def[Deps, classifyArgs, classifyOutput]{
	Name:        "Classify",
	Description: "Put a text into one of the given labels: by the configured model, else on the worker by the labels' words (keyword overlap); no label when nothing or a tie decides.",
	Run: func(ctx context.Context, d Deps, args classifyArgs) (classifyOutput, error) {
		if len(args.Labels) < 2 || len(args.Labels) > MaxLabels {
			return classifyOutput{}, catalog.Invalid("parameter %q must give 2 to %d labels", "labels", MaxLabels)
		}
		labels := make([]Label, len(args.Labels))
		for i, l := range args.Labels {
			if strings.TrimSpace(l) == "" {
				return classifyOutput{}, catalog.Invalid("parameter %q: label %d is blank", "labels", i+1)
			}
			labels[i] = Label{Name: l}
		}
		text, note, err := boundedText(ctx, d, "text", args.Text)
		if err != nil {
			return classifyOutput{}, err
		}
		c, err := d.Analyzer.Classify(ctx, text, labels)
		if err != nil {
			return classifyOutput{}, analysisError(err)
		}
		if c.Label != "" && !slices.Contains(args.Labels, c.Label) {
			// Whatever the analyzer, a condition on the label sees one of the given labels only.
			return classifyOutput{}, catalog.Fail(ModelRefused, "the analysis answered the label %q, which is not one of the given labels", c.Label)
		}
		return classifyOutput{Label: c.Label, Scores: c.Scores, Reason: c.Reason, Method: c.Method, Note: note}, nil
	},
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		labels, ok := texts(r, s.Args["labels"])
		if !ok {
			return sends(r, "Classify "+source(r, s.Args["text"]), s.Args["text"])
		}
		names := make([]string, len(labels))
		for i, l := range labels {
			names[i] = fmt.Sprintf("%q", l)
		}
		return sends(r, fmt.Sprintf("Classify %s as %s", source(r, s.Args["text"]), strings.Replace(andList(names), " and ", " or ", 1)), s.Args["text"])
	},
	Outcome: outcome("label"),
	Forms: catalog.Forms{
		Phrases:    []string{"classify {text} as {labels}", "classify {text} into {labels}"},
		Statements: []string{"classify {text} as {labels}", "classify {text} into {labels}"},
		Args:       map[string][]string{"text": {"classify"}, "labels": {"as", "into"}},
		Results: map[string]catalog.ResultWords{
			"label":  {Noun: "the label", Words: []string{"the label", "the class"}, Subject: "{text} is {.label}", OneOf: "labels"},
			"scores": {Noun: "the labels' scores", Each: "score"},
			"reason": {Noun: "why"},
			"method": {Noun: "how it was classified"},
		},
	},
}))
