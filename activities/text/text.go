// Package text is the text-analysis command family: Summarize, AnalyzeTrends, Extract (named fields) and
// Classify (into given labels). They run on an Analyzer, which the worker wires to the embedded default
// (text/embedded: TextRank, least squares, key-value lines, keyword overlap), which sends nothing
// anywhere; every result names the method that produced it. These commands are the only place a model
// could be given the user's data, so their read-back says where the text goes.
package text

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec {
	return []*catalog.Spec{Summarize, AnalyzeTrends, Extract, Classify}
}

// Deps are what the family's commands use.
type Deps struct {
	Analyzer Analyzer
	Store    catalog.ContentStore // where stored content (a large document) is read from
}

// Analyzer analyses text. Its errors are retried, except a *InvalidError.
type Analyzer interface {
	Summarize(ctx context.Context, text string, sentences int) (Summary, error)
	// Trends finds the numeric series of a text, or of a table's rows (header in order) when rows is
	// not empty, and describes each.
	Trends(ctx context.Context, text string, header []string, rows []map[string]string) ([]Trend, error)
	Extract(ctx context.Context, text string, fields []string) ([]Field, error)
	Classify(ctx context.Context, text string, labels []Label) (Classification, error)
}

// InvalidError is input the analyzer cannot take (two labels of one name).
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Summary is an extractive summary.
type Summary struct {
	Text      string
	Sentences []string
	Of        int // sentences in the text
	Method    string
}

// Point is one value of a series.
type Point struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// Trend describes one numeric series.
type Trend struct {
	Series        string   `json:"series"`
	Unit          string   `json:"unit,omitempty"`
	Source        string   `json:"source"`
	Points        int      `json:"points"`
	Direction     string   `json:"direction"` // up, down or flat
	First         Point    `json:"first"`
	Last          Point    `json:"last"`
	Change        float64  `json:"change"`
	ChangePercent *float64 `json:"change_percent,omitempty"`
	Highest       Point    `json:"highest"`
	Lowest        Point    `json:"lowest"`
	Slope         float64  `json:"slope"` // least-squares change per step
	Method        string   `json:"method"`
}

// Field is one extracted field.
type Field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Found  bool   `json:"found"`
	Line   int    `json:"line,omitempty"`
	Method string `json:"method,omitempty"`
}

// Label is a class with the keywords that signal it.
type Label struct {
	Name     string   `json:"name"`
	Keywords []string `json:"keywords,omitempty"`
}

// Score is how many of a label's keywords a text has.
type Score struct {
	Label   string   `json:"label"`
	Hits    int      `json:"hits"`
	Matched []string `json:"matched,omitempty"`
}

// Classification is the label a text was given, "" when nothing or a tie decided.
type Classification struct {
	Label  string
	Scores []Score
	Reason string
	Method string
}

// MaxTextBytes is the most text an analysis step reads (a 50 MB document fits).
const MaxTextBytes = 64 << 20

// where says, in every read-back, where the text goes: the embedded default keeps it on the worker.
const where = "on the worker with no model: nothing is sent anywhere"

// timeout is each analysis's time per attempt: TextRank over 1000 sentences of a 64 MB text.
const timeout = 2 * time.Minute

// textOf reads a content argument, naming it in errors.
func textOf(ctx context.Context, d Deps, name string, c catalog.Content) (string, error) {
	if d.Analyzer == nil {
		return "", fmt.Errorf("%w: Analyzer", catalog.ErrMissingDependency)
	}
	s, err := contentvalue.Read(ctx, d.Store, c, MaxTextBytes)
	var tl *contentvalue.TooLargeError
	if errors.As(err, &tl) {
		return "", catalog.Invalid("parameter %q: %v", name, err)
	}
	return s, err
}

// analysisError makes an analyzer's refusal of its input non-retryable.
func analysisError(err error) error {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return catalog.Invalid("%s", inv.Msg)
	}
	return err
}

// hint is what fixes a failing analysis.
func hint(errType string) string {
	if errType == catalog.ErrInvalidArgument {
		return "give the step a text (a document's or a page's) and the arguments it asks for"
	}
	return "check the content store (EAAPL_DATA_DIR/content) is readable by the worker, then answer retry"
}

// source names where a step's text comes from: "the document's text (step 1)", or "the text".
func source(r catalog.Reading, v any) string {
	if src, words, ok := r.Result(v); ok && words.Noun != "" {
		return fmt.Sprintf("%s (step %d)", words.Noun, src.Number)
	}
	if t, ok := r.Text(v); ok {
		if len(t) > 40 {
			t = t[:40] + "…"
		}
		return fmt.Sprintf("%q", t)
	}
	return "the text"
}

// andList writes "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
