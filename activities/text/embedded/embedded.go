// Package embedded is the text family's Analyzer that needs no network and no model: internal/textanalysis
// (extractive TextRank, least-squares trends with gonum, key-value and pattern extraction, keyword-overlap
// classification). Nothing it is given leaves the worker.
package embedded

import (
	"context"

	"github.com/eaapl/eaapl/activities/text"
	"github.com/eaapl/eaapl/internal/textanalysis"
)

// Analyzer is text.Analyzer on the embedded methods.
type Analyzer struct{}

var _ text.Analyzer = Analyzer{}

// Summarize picks the sentences TextRank ranks highest.
func (Analyzer) Summarize(ctx context.Context, t string, n int) (text.Summary, error) {
	s, err := textanalysis.Embedded{}.Summarize(ctx, t, n)
	if err != nil {
		return text.Summary{}, err
	}
	return text.Summary{Text: s.Text, Sentences: s.Sentences, Of: s.Of, Method: s.Method}, nil
}

// Trends describes the numeric series of the rows, or else of the text.
func (Analyzer) Trends(ctx context.Context, t string, header []string, rows []map[string]string) ([]text.Trend, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		return TrendsOf(textanalysis.SeriesFromTable(header, rows)), nil
	}
	return TrendsOf(textanalysis.SeriesFromText(t)), nil
}

// TrendsOf describes each series of two or more points (textanalysis.Trends) as text.Trend.
func TrendsOf(series []textanalysis.Series) []text.Trend {
	trends := textanalysis.Trends(series)
	out := make([]text.Trend, len(trends))
	for i, tr := range trends {
		out[i] = text.Trend{
			Series: tr.Series, Unit: tr.Unit, Source: tr.Source, Points: tr.Points, Direction: tr.Direction,
			First: point(tr.First), Last: point(tr.Last), Change: tr.Change, ChangePercent: tr.ChangePercent,
			Highest: point(tr.Highest), Lowest: point(tr.Lowest), Slope: tr.Slope, Method: tr.Method,
		}
	}
	return out
}

func point(p textanalysis.Point) text.Point { return text.Point{Label: p.Label, Value: p.Value} }

// Extract finds the named fields.
func (Analyzer) Extract(ctx context.Context, t string, fields []string) ([]text.Field, error) {
	found, err := textanalysis.Embedded{}.Extract(ctx, t, fields)
	if err != nil {
		return nil, err
	}
	out := make([]text.Field, len(found))
	for i, f := range found {
		out[i] = text.Field{Name: f.Name, Value: f.Value, Found: f.Found, Line: f.Line, Method: f.Method}
	}
	return out, nil
}

// Classify picks the label whose keywords the text has most; a bad set of labels is a *text.InvalidError.
func (Analyzer) Classify(ctx context.Context, t string, labels []text.Label) (text.Classification, error) {
	in := make([]textanalysis.Label, len(labels))
	for i, l := range labels {
		in[i] = textanalysis.Label{Name: l.Name, Keywords: l.Keywords}
	}
	if err := ctx.Err(); err != nil {
		return text.Classification{}, err
	}
	c, err := textanalysis.Classify(t, in)
	if err != nil {
		return text.Classification{}, &text.InvalidError{Msg: err.Error()}
	}
	scores := make([]text.Score, len(c.Scores))
	for i, s := range c.Scores {
		scores[i] = text.Score{Label: s.Label, Hits: s.Hits, Matched: s.Matched}
	}
	return text.Classification{Label: c.Label, Scores: scores, Reason: c.Reason, Method: c.Method}, nil
}
