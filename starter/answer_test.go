package starter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/workflows"
)

func TestPrintQuestion(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    workflows.Question
		want []string
	}{
		{"AChoiceListsItsOptionsAndAnswersWithTheFirst", workflows.Question{ID: "q1", Step: "find", Kind: catalog.InputChoice, Text: "2 contacts are named John. Which one?",
			Options: []catalog.Option{{Value: "john.smith@example.com", Label: "John Smith"}, {Value: "skip"}}, Default: "skip", Timeout: "1h0m0s"},
			[]string{"Question q1 (step find): 2 contacts are named John. Which one?", "   1. john.smith@example.com   John Smith", "   2. skip", "Without an answer within 1h0m0s: skip.", "Answer: eaapl answer wf-1 q1 john.smith@example.com"}},
		{"TextIsQuotedForTheShell", workflows.Question{ID: "q2", Step: "compose", Kind: catalog.InputText, Text: "What should it say?", Default: "abort", Timeout: "10m0s"},
			[]string{"answer with the text, or:", "Without an answer within 10m0s: abort.", "Answer: eaapl answer wf-1 q2 '<answer>'"}},
		{"ADecisionNamesTheItem", workflows.Question{ID: "q3", Step: "send", Item: "carol@example.com", Kind: workflows.KindDecision, Text: "failed", Options: []catalog.Option{{Value: "retry"}}},
			[]string{"Question q3 (step send, carol@example.com): failed", "eaapl answer wf-1 q3 retry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			PrintQuestion(&b, "wf-1", tc.q)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output does not have %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"skip": "skip", "jd@example.com": "jd@example.com", "See you at 8": "'See you at 8'", "Don't": `'Don'"'"'t'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
