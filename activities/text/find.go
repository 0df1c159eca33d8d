package text

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eaapl/eaapl/catalog"
)

type findArgs struct {
	Text   catalog.Content `json:"text" eaapl:"required" desc:"the text to look in: a document's or a page's text"`
	Phrase string          `json:"phrase" eaapl:"required" desc:"the phrase to look for, ignoring case"`
}

type findOutput struct {
	Contains bool `json:"contains" eaapl:"required" desc:"the text contains the phrase, ignoring case"`
	Equals   bool `json:"equals" eaapl:"required" desc:"the text, trimmed, is the phrase, ignoring case"`
	Count    int  `json:"count" eaapl:"required" desc:"how many times the phrase occurs, ignoring case"`
}

// FindText tells whether a text contains a phrase. It is how a program's "if the page contains 'down'"
// runs: on the worker, which reads a large text from the content store, never in the workflow.
var FindText = catalog.Define(catalog.Def[Deps, findArgs, findOutput]{
	Name:        "FindText",
	Description: "Tell whether a text (a document's or a page's, of any size) contains a phrase or is that phrase, ignoring case; for conditions such as \"if the page contains 'down'\".",
	SideEffect:  catalog.Reads,
	Timeout:     time.Minute,
	Retry:       catalog.DefaultRetry,
	Label:       catalog.Label{None: true},
	Run:         findText,
	Hint:        hint,
	ReadBack: func(r catalog.Reading) string {
		s := r.Step()
		phrase, ok := r.Text(s.Args["phrase"])
		if !ok {
			return ""
		}
		return fmt.Sprintf("Look for %q in %s.", phrase, source(r, s.Args["text"]))
	},
	Forms: catalog.Forms{
		// Said only inside a condition on a value: "if the page contains 'down'", "if the summary is 'ok'".
		Phrases: []string{"if {text} contains {phrase}", "if {text} is {phrase}"},
		Results: map[string]catalog.ResultWords{
			"contains": {Noun: "whether the text contains the phrase"},
			"equals":   {Noun: "whether the text is the phrase"},
			"count":    {Noun: "the number of times the phrase occurs"},
		},
		Condition: &catalog.ConditionWords{Text: "text", Phrase: "phrase", Contains: "contains", Equals: "equals"},
	},
})

func findText(ctx context.Context, d Deps, args findArgs) (findOutput, error) {
	if args.Phrase == "" {
		return findOutput{}, catalog.Invalid("parameter %q must not be empty", "phrase")
	}
	text, err := readText(ctx, d, "text", args.Text)
	if err != nil {
		return findOutput{}, err
	}
	text, phrase := strings.ToLower(text), strings.ToLower(args.Phrase)
	n := strings.Count(text, phrase)
	return findOutput{Contains: n > 0, Equals: strings.TrimSpace(text) == strings.TrimSpace(phrase), Count: n}, nil
}
