package main

import (
	"context"
	"fmt"
	"io"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/starter"
)

// answerCommand answers a program's question through the answer update: a bad answer is refused with
// the reason, and the program is left as it was.
func answerCommand(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("answer", stderr)
	address := fs.String("address", "", addressUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 3 {
		return usageError{`eaapl answer needs a workflow ID, a question ID and the answer: eaapl answer <workflow-id> q1 "<answer>"`}
	}
	c, err := dial(ctx, cfg, quiet(newLogger(cfg, stderr)), *address)
	if err != nil {
		return err
	}
	defer c.Close()
	s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}
	res, err := s.Answer(ctx, fs.Arg(0), fs.Arg(1), fs.Arg(2))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s answered: %s\n  (%s)\n", res.QuestionID, res.Answer, res.Question)
	return err
}
