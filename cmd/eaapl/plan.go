package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eaapl/eaapl/catalog"
	"github.com/eaapl/eaapl/config"
	"github.com/eaapl/eaapl/planner"
	"github.com/eaapl/eaapl/starter"
)

func newPlanCmd() *cobra.Command {
	var asJSON bool
	var pf plannerFlags
	cmd := &cobra.Command{
		Use:               `plan [--json] [--planner rules|llm] [--no-cache] "<program>"`,
		Short:             "show the plan of a program, read back in English, without running it",
		Long:              formsHelp(),
		ValidArgsFunction: noFiles,
		RunE: withConfig(func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error {
			opts, err := pf.options()
			if err != nil {
				return err
			}
			program := strings.Join(args, " ")
			if strings.TrimSpace(program) == "" {
				return usageError{msg: "eaapl plan needs a program in quotes"}
			}
			p, rep, now, err := planHere(ctx, cfg, program, opts)
			if err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
			if !asJSON {
				starter.PrintReadBack(stdout, p, now, starter.WithModel(cfg.TextModelView()))
				fmt.Fprintln(stdout)
				fmt.Fprintln(cmd.ErrOrStderr(), describeReport(rep))
			}
			return writeJSON(stdout, p)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON only")
	pf.add(cmd)
	return cmd
}

// formsHelp is the English the rule-based planner understands, as docs/english.md lists it, and each
// registered command's phrases, from the command registry.
func formsHelp() string {
	var b strings.Builder
	b.WriteString("The forms of a program (docs/english.md):\n")
	for _, f := range planner.Forms() {
		b.WriteString("  - " + f + "\n")
	}
	b.WriteString("The phrases of each command (from the command registry):\n")
	for _, s := range catalog.Specs() {
		b.WriteString("  " + s.Name + ": " + strings.Join(s.Forms.Phrases, "; ") + "\n")
	}
	return b.String()
}

// writeJSON prints v as indented JSON for people to read and tools to parse. It leaves <, > and &
// as they are (encoding/json escapes them for HTML by default), so a Message-ID reads <eaapl.…@…>
// rather than \u003ceaapl.…@…\u003e.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
