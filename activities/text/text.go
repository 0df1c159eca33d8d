// Package text is the text-analysis command family: Summarize, AnalyzeTrends, Extract (named fields) and
// Classify (into given labels). They run on an Analyzer, which the worker wires to a model when one is
// configured (text/modelled, on internal/model) and to the embedded default otherwise (text/embedded:
// TextRank, least squares, key-value lines, keyword overlap), which sends nothing anywhere; every result
// names the method that produced it. These commands are the only place the user's data is given to a
// model, so their read-back says where the text goes (catalog.Reading.Model).
package text

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eaapl/eaapl/activities/contentvalue"
	"github.com/eaapl/eaapl/catalog"
)

// Commands are the family's commands, for catalog.Register.
func Commands() []*catalog.Spec {
	return []*catalog.Spec{Summarize, AnalyzeTrends, Extract, Classify, FindText}
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

// LaterError is an analysis the model server asked to try again (429, 5xx, no answer in time).
type LaterError = catalog.LaterError

// RefusedError is a request a retry cannot fix: the server refused it (a bad key, an unknown model, too
// large), or the model's answer broke the rules (a label it was not given). Unauthorized marks a refused key.
type RefusedError struct {
	Err          error
	Unauthorized bool
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Bounded is an Analyzer that takes at most MaxInputBytes of text (a model's context); the commands cut
// a longer text and say so in their output's note.
type Bounded interface {
	MaxInputBytes() int
}

// The error types of a model's failures, as Temporal application error types.
const (
	ModelRetryLater = "ModelRetryLater" // retried, after the server's Retry-After when it sent one
	ModelRefused    = "ModelRefused"    // not retried: a retry cannot fix it
)

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

// local says, in a read-back, that the text stays on the worker: no model is configured.
const local = "on the worker with no model: nothing is sent anywhere"

// sends is a read-back sentence: what the step does, then where its text goes, which is v (the
// step's text argument): "Summarize the document's text (step 1) with the model gpt-4o-mini at
// api.openai.com: the document's text is sent to it."
func sends(r catalog.Reading, does string, v any) string {
	m, ok := r.Model()
	if !ok {
		return does + ", " + local + "."
	}
	return fmt.Sprintf("%s with the model %s at %s: %s is sent to it.", does, m.Name, m.Host, noun(r, v))
}

// texts are the items of a list argument when every one is a text the reading knows; false for anything
// else, or for an empty list.
func texts(r catalog.Reading, v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	out := make([]string, len(list))
	for i, item := range list {
		if out[i], ok = r.Text(item); !ok {
			return nil, false
		}
	}
	return out, true
}

// timeout is each analysis's time per attempt: TextRank over 1000 sentences of a 64 MB text, or a model's
// answer (its own request timeout is shorter, EAAPL_TEXT_MODEL_TIMEOUT).
const timeout = 2 * time.Minute

// textOf reads a content argument for an analysis, naming it in errors.
func textOf(ctx context.Context, d Deps, name string, c catalog.Content) (string, error) {
	if d.Analyzer == nil {
		return "", fmt.Errorf("%w: Analyzer", catalog.ErrMissingDependency)
	}
	return readText(ctx, d, name, c)
}

// readText reads a content argument of at most MaxTextBytes; a larger one is invalid, named in the error.
func readText(ctx context.Context, d Deps, name string, c catalog.Content) (string, error) {
	s, err := contentvalue.Read(ctx, d.Store, c, MaxTextBytes)
	var tl *contentvalue.TooLargeError
	if errors.As(err, &tl) {
		return "", catalog.Invalid("parameter %q: %v", name, err)
	}
	return s, err
}

// boundedText reads a content argument, as textOf does, and cuts it, as bound does.
func boundedText(ctx context.Context, d Deps, name string, c catalog.Content) (text, note string, err error) {
	text, err = textOf(ctx, d, name, c)
	if err != nil {
		return "", "", err
	}
	text, note = bound(d.Analyzer, text)
	return text, note, nil
}

// bound cuts a text to what a Bounded analyzer takes, at a character's edge, and says what was cut.
func bound(a Analyzer, text string) (string, string) {
	b, ok := a.(Bounded)
	if !ok || b.MaxInputBytes() <= 0 || len(text) <= b.MaxInputBytes() {
		return text, ""
	}
	n := b.MaxInputBytes()
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n], fmt.Sprintf("only the first %d of the text's %d bytes were analysed: the model takes at most %d (EAAPL_TEXT_MODEL_MAX_BYTES)", n, len(text), b.MaxInputBytes())
}

// analysisError makes an analyzer's refusal of its input non-retryable, a model's refusal too, and has a
// model's "try later" retried after its Retry-After.
func analysisError(err error) error {
	var (
		inv     *InvalidError
		later   *LaterError
		refused *RefusedError
	)
	switch {
	case errors.As(err, &inv):
		return catalog.Invalid("%s", inv.Msg)
	case errors.As(err, &refused) && refused.Unauthorized:
		return catalog.Fail(catalog.ErrUnauthorized, "%v", refused)
	case errors.As(err, &refused):
		return catalog.Fail(ModelRefused, "%v", refused)
	case errors.As(err, &later):
		return catalog.RetryLater(ModelRetryLater, later)
	}
	return err
}

// hint is what fixes a failing analysis.
func hint(errType string) string {
	switch errType {
	case catalog.ErrInvalidArgument:
		return "give the step a text (a document's or a page's) and the arguments it asks for"
	case catalog.ErrUnauthorized:
		return "the model server refused the key: set OPENAI_API_KEY to a valid key (or EAAPL_TEXT_ANALYZER=embedded), restart the worker, then answer retry"
	case ModelRefused:
		return "check EAAPL_TEXT_MODEL and OPENAI_BASE_URL (or set EAAPL_TEXT_ANALYZER=embedded), restart the worker, then answer retry"
	case ModelRetryLater:
		return "the model server is busy or down: answer retry later"
	}
	return "check the content store (EAAPL_DATA_DIR/content) is readable by the worker, then answer retry"
}

// noun names a step's text without its step: "the document's text", or "the text".
func noun(r catalog.Reading, v any) string {
	if _, words, ok := r.Result(v); ok && words.Noun != "" {
		return words.Noun
	}
	return "the text"
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
