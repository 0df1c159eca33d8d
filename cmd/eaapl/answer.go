package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/starter"
)

// newAnswerCmd answers a program's question through the answer update: a bad answer is refused with the
// reason, and the program is left as it was.
func newAnswerCmd() *cobra.Command {
	var address string
	cmd := &cobra.Command{
		Use:               `answer <workflow-id> <question-id> "<answer>"`,
		Short:             "answer a program's question",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) != 3 {
				return usageError{msg: `eaapl answer needs a workflow ID, a question ID and the answer: eaapl answer <workflow-id> q1 "<answer>"`}
			}
			c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), address)
			if err != nil {
				return err
			}
			defer c.Close()
			s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue, Identity: cfg.UserID}
			res, err := s.Answer(ctx, args[0], args[1], args[2])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s answered: %s\n  (%s)\n", res.QuestionID, res.Answer, res.Question)
			return err
		}),
	}
	addAddressFlag(cmd, &address)
	return cmd
}
