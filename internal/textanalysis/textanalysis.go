// Package textanalysis is the embedded default of Summarize, AnalyzeTrends, Extract and Classify: methods
// that need no network and no model, whose every result names the method that produced it, so the
// read-back and the user can tell a computed answer from a model's. Each is small and documented where
// it is written:
//
//   - Summarize: extractive TextRank (Mihalcea and Tarau, 2004): the sentences most similar to the rest,
//     in their order. No TextRank library is served by the module proxy, so it is written here.
//   - Trends: the numeric series of a table or of a text (a Markdown table, "Label: 120" lines), each
//     with its direction, first-to-last change, highest and lowest points and least-squares slope
//     (gonum.org/v1/gonum/stat).
//   - Extract: named fields from "Key: value" lines, else by a pattern the field's name implies (an email
//     address, a date, an amount, a URL, a phone number).
//   - Classify: into given labels by keyword overlap; no label when nothing or a tie decides.
//
// The model-backed analysis (activities/text/modelled, used when a model is configured) uses Trends and
// Sentences from here too: it computes trends from the series a model finds, and counts a text's sentences.
package textanalysis

import "context"

// The methods results name.
const (
	MethodTextRank       = "textrank"        // extractive summary
	MethodAllSentences   = "all-sentences"   // the text was no longer than the summary asked for
	MethodLeastSquares   = "least-squares"   // trends
	MethodKeyValueLine   = "key-value-line"  // "Key: value"
	MethodPattern        = "pattern"         // a pattern named by the field, e.g. "pattern:email"
	MethodKeywordOverlap = "keyword-overlap" // classification
)

// Analyzer is what Summarize, Extract and Classify run on: Embedded here, or a model client that sets
// Method to the model's name. AnalyzeTrends is computed (Trends), whichever Analyzer is configured.
type Analyzer interface {
	Summarize(ctx context.Context, text string, sentences int) (Summary, error)
	Extract(ctx context.Context, text string, fields []string) ([]Field, error)
	Classify(ctx context.Context, text string, labels []Label) (Classification, error)
}

// Embedded is the Analyzer that needs no network.
type Embedded struct{}

var _ Analyzer = Embedded{}

// Summarize is the package function Summarize; it stops early only when ctx is already done.
func (Embedded) Summarize(ctx context.Context, text string, sentences int) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	return Summarize(text, sentences), nil
}

// Extract is the package function Extract.
func (Embedded) Extract(ctx context.Context, text string, fields []string) ([]Field, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Extract(text, fields), nil
}

// Classify is the package function Classify.
func (Embedded) Classify(ctx context.Context, text string, labels []Label) (Classification, error) {
	if err := ctx.Err(); err != nil {
		return Classification{}, err
	}
	return Classify(text, labels)
}
