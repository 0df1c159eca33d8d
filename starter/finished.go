package starter

import (
	"context"
	"fmt"
	"io"

	"github.com/eaapl/eaapl/workflows"
)

// Questions asks a program for every question it asked, with the answers: the questions query, which a
// finished program answers too while a worker runs.
func (s *Starter) Questions(ctx context.Context, id string) ([]workflows.Question, error) {
	v, err := s.Client.QueryWorkflow(ctx, id, "", workflows.QueryQuestions)
	if err != nil {
		return nil, fmt.Errorf("questions of %s: %w", id, err)
	}
	var qs []workflows.Question
	if err := v.Get(&qs); err != nil {
		return nil, fmt.Errorf("questions of %s: %w", id, err)
	}
	return qs, nil
}

// IsDryRun reports whether a result is a dry run's: one of its tasks was previewed.
func IsDryRun(res workflows.Result) bool {
	for _, s := range res.Steps {
		for _, it := range s.Items {
			if it.Task != nil && it.Task.Preview != "" {
				return true
			}
		}
	}
	return false
}

// PrintAnswered writes how a program's questions were answered, one line each.
func PrintAnswered(w io.Writer, qs []workflows.Question) {
	if len(qs) == 0 {
		return
	}
	fmt.Fprintln(w, "Questions:")
	for _, q := range qs {
		about := q.Step
		if q.Item != "" {
			about += ", " + q.Item
		}
		var how string
		switch q.State {
		case workflows.QuestionAnswered:
			how = fmt.Sprintf("answered %q (by %s)", q.Answer, q.By)
		case workflows.QuestionTimedOut:
			how = fmt.Sprintf("no answer within %s: %s", q.Timeout, q.Answer)
		case workflows.QuestionClosed:
			how = "closed unanswered: the program was stopped"
		default:
			how = q.State
		}
		fmt.Fprintf(w, "  %s (%s): %s: %s\n", q.ID, about, q.Text, how)
	}
}
