package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
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
			switch {
			case len(args) == 0:
				return usageError{msg: "eaapl plan needs a program in quotes"}
			case strings.TrimSpace(program) == "":
				return usageError{msg: emptyProgram("plan")}
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

// formsHelp is the English the rule-based planner understands, as docs/english.md lists it, then each
// registered command's English from the command registry, grouped by family: its statements (the phrases
// the grammar reads as a step by themselves), its other phrases, and its examples with a whole program.
func formsHelp() string {
	var b strings.Builder
	b.WriteString("The forms of a program (docs/english.md):\n")
	for _, f := range planner.Forms() {
		b.WriteString("  - " + f + "\n")
	}
	b.WriteString("\nThe English of each command, by family (from the command registry):\n")
	family := ""
	for _, s := range catalog.Specs() {
		if f := filepath.Base(s.Dir()); f != family {
			family = f
			b.WriteString("\n  " + family + "\n")
		}
		b.WriteString("    " + s.Name + ": " + firstClause(s.Description) + "\n")
		if len(s.Forms.Statements) > 0 {
			b.WriteString("      statements: " + strings.Join(s.Forms.Statements, "; ") + "\n")
		}
		if phrases := notIn(s.Forms.Phrases, s.Forms.Statements); len(phrases) > 0 {
			b.WriteString("      phrases: " + strings.Join(phrases, "; ") + "\n")
		}
		for _, e := range s.Forms.Examples {
			b.WriteString("      example: " + e.Pattern + "  =>  " + e.Program + "\n")
		}
	}
	return b.String()
}

// firstClause is a description up to its first ": ", "; " or ". ", for a line of help.
func firstClause(d string) string {
	for _, sep := range []string{": ", "; ", ". "} {
		d, _, _ = strings.Cut(d, sep)
	}
	return strings.TrimSuffix(d, ".")
}

// notIn is the strings of list that are not in seen, in order.
func notIn(list, seen []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(seen, s) {
			out = append(out, s)
		}
	}
	return out
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

// emptyProgram is the error for a program given in quotes with nothing in them.
func emptyProgram(command string) string {
	return fmt.Sprintf("the program is empty: write what to do in the quotes, e.g. eaapl %s \"Send 'Hi' to bob@example.com\"", command)
}
