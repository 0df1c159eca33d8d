package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/starter"
)

func newListCmd() *cobra.Command {
	var (
		asJSON       bool
		status, text string
		limit        int
		address      string
	)
	cmd := &cobra.Command{
		Use:               "list [--json] [--status S] [--text WORDS] [--limit N]",
		Short:             "list recent programs, newest first: their ID, status, start time and text",
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{msg: fmt.Sprintf("eaapl list takes no arguments, got %q (--text filters by the program's text)", args)}
			}
			if status != "" && !slices.Contains(starter.Statuses(), status) {
				return usageError{msg: fmt.Sprintf("--status is %q; it must be one of %s", status, strings.Join(starter.Statuses(), ", "))}
			}
			if limit < 1 || limit > starter.MaxListed {
				return usageError{msg: fmt.Sprintf("--limit is %d; it must be 1 to %d", limit, starter.MaxListed)}
			}
			c, err := dial(ctx, cfg, quiet(newLogger(cfg, cmd.ErrOrStderr())), address)
			if err != nil {
				return err
			}
			defer c.Close()
			s := &starter.Starter{Client: c, TaskQueue: cfg.TaskQueue}
			programs, err := s.List(ctx, starter.ListFilter{Status: status, Text: text, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				if programs == nil {
					programs = []starter.Program{}
				}
				return writeJSON(cmd.OutOrStdout(), programs)
			}
			starter.PrintPrograms(cmd.OutOrStdout(), programs)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the programs as a JSON list")
	cmd.Flags().StringVar(&status, "status", "", "only programs in this status: "+strings.Join(starter.Statuses(), ", "))
	cmd.Flags().StringVar(&text, "text", "", "only programs whose text contains these words (any case)")
	cmd.Flags().IntVar(&limit, "limit", 20, fmt.Sprintf("at most this many programs (1 to %d)", starter.MaxListed))
	addAddressFlag(cmd, &address)
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(starter.Statuses(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
