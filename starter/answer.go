package starter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/eaapl/eaapl/workflows"
)

// RejectedAnswerError is an answer the program refused; Reason says why (an unknown question, an answer
// that is not one of the options, a question already answered).
type RejectedAnswerError struct {
	QuestionID string
	Reason     string
}

func (e *RejectedAnswerError) Error() string {
	return fmt.Sprintf("answer to %s rejected: %s", e.QuestionID, e.Reason)
}

// Answer answers a program's question through the answer update, which checks the answer before taking
// it: a bad one is a *RejectedAnswerError and changes nothing.
//
// The answer goes with the starter's Identity: the program takes it only from its owner or an approver.
// An answer longer than workflows.MaxAnswerBytes is refused here, before it is sent.
func (s *Starter) Answer(ctx context.Context, workflowID, questionID, answer string) (workflows.AnswerResult, error) {
	if len(answer) > workflows.MaxAnswerBytes {
		return workflows.AnswerResult{}, &RejectedAnswerError{QuestionID: workflows.Excerpt(questionID),
			Reason: fmt.Sprintf("the answer %s is too long: an answer has at most %d bytes", workflows.Excerpt(answer), workflows.MaxAnswerBytes)}
	}
	ctx = s.acting(ctx)
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   workflows.UpdateAnswer,
		Args:         []any{workflows.Answer{QuestionID: questionID, Answer: answer}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res workflows.AnswerResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr):
		return res, &RejectedAnswerError{QuestionID: questionID, Reason: appErr.Message()}
	case err != nil:
		return res, fmt.Errorf("answer %s of %s: %w", questionID, workflowID, err)
	}
	return res, nil
}

// PrintQuestion writes an open question, its answers and how to give one.
func PrintQuestion(w io.Writer, workflowID string, q workflows.Question) {
	about := "step " + q.Step
	if q.Item != "" {
		about += ", " + q.Item
	}
	fmt.Fprintf(w, "Question %s (%s): %s\n", q.ID, about, q.Text)
	switch q.Kind {
	case "text":
		fmt.Fprintln(w, "   answer with the text, or:")
	case "address":
		fmt.Fprintln(w, "   answer with an email address, or:")
	}
	for i, o := range q.Options {
		fmt.Fprintf(w, "   %d. %-24s %s\n", i+1, o.Value, o.Label)
	}
	fmt.Fprintf(w, "   Without an answer within %s: %s.\n", q.Timeout, q.Default)
	fmt.Fprintf(w, "   Answer: eaapl answer %s %s %s\n", workflowID, q.ID, shellQuote(exampleAnswer(q)))
}

func exampleAnswer(q workflows.Question) string {
	if (q.Kind == "text" || q.Kind == "address") || len(q.Options) == 0 {
		return "<answer>"
	}
	return q.Options[0].Value
}

// shellQuote quotes an answer for a shell command line, when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " '\"$`\\<>|&;()*?!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
