package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/eaapl/eaapl/config"
)

// commands are the CLI's commands, in the order the usage lists them.
//
// To add a command: write cmd/eaapl/<name>.go with a newNameCmd() *cobra.Command (Use is its synopsis, one
// line per form, starting with its name; Short is the line the usage shows; RunE is withConfig(...) when it
// needs the configuration), and add newNameCmd() to this list. Nothing else lists commands: the usage, the
// help, `--help` and shell completion are made from these.
func commands() []*cobra.Command {
	return []*cobra.Command{
		newDevCmd(),
		newRunCmd(),
		newPlanCmd(),
		newStatusCmd(),
		newListCmd(),
		newCancelCmd(),
		newAuditCmd(),
		newScheduleCmd(),
		newAnswerCmd(),
		newEventsCmd(),
		newStatsCmd(),
		newInboxCmd(),
		newWorkerCmd(),
		newCompletionCmd(),
	}
}

const (
	intro      = "eaapl runs programs written in English as durable Temporal workflows."
	configHint = "Configuration comes from EAAPL_* and TEMPORAL_* environment variables; see docs/configuration.md."
)

// run runs the command line args, as main does, writing to stdout and stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRootCmd()
	root.SetArgs(goStyleFlags(args))
	out := &countingWriter{w: stdout}
	root.SetOut(out)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && out.n == 0 && wantsJSON(cmd) {
		// --json output stays JSON for every outcome: a tool reading stdout gets the error too.
		msg := err.Error()
		var u usageError
		if errors.As(err, &u) {
			msg = u.msg
		}
		_ = writeJSON(stdout, map[string]string{"error": msg})
	}
	var u usageError
	if errors.As(err, &u) {
		u.usage = helpText(root)
		return u
	}
	return err
}

// wantsJSON reports whether cmd was given --json.
func wantsJSON(cmd *cobra.Command) bool {
	if cmd == nil {
		return false
	}
	f := cmd.Flags().Lookup("json")
	return f != nil && f.Value.String() == "true"
}

// countingWriter counts what a command writes to stdout.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

func newRootCmd() *cobra.Command {
	cobra.EnableCommandSorting = false // the usage lists the commands in the order of commands()
	root := &cobra.Command{
		Use:   "eaapl",
		Short: intro,
		// The root parses no flags: whatever is not a command, a flag included, is an unknown command, as
		// it was before cobra. Help and a mistyped command need no configuration: they must work when a
		// variable is wrong.
		DisableFlagParsing: true,
		Args:               cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return usageError{msg: "no command given"}
			case args[0] == "-h" || args[0] == "--help":
				return cmd.Help()
			}
			return usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
		},
		// main prints an error once, as "eaapl: ..."; a usage error carries the usage, and a flag error
		// has printed the command's flags.
		SilenceErrors: true,
		SilenceUsage:  true,
		// newCompletionCmd offers bash, zsh and fish.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.AddCommand(commands()...)
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) { fmt.Fprint(cmd.OutOrStdout(), helpText(cmd)) })
	root.SetUsageFunc(func(cmd *cobra.Command) error { // cobra shows it after "Unknown help topic"
		_, err := fmt.Fprint(cmd.OutOrStderr(), helpText(cmd))
		return err
	})
	root.SetFlagErrorFunc(flagErrorFunc)
	return root
}

// withConfig makes a command's RunE out of what it does once its flags are parsed, with the
// configuration loaded for it; help and completion load none.
func withConfig(do func(ctx context.Context, cfg config.Config, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		ctx, done, err := withTracing(cmd.Context())
		if err != nil {
			return err
		}
		defer done()
		return do(ctx, cfg, cmd, args)
	}
}

// usageError is a command line that is wrong in a way the command found; it ends with the usage.
type usageError struct {
	msg   string
	usage string // filled in by run
}

func (e usageError) Error() string { return e.msg + "\n\n" + e.usage }

// flagError is a command line whose flags did not parse; the command has already printed the error and
// its flags.
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }

// flagErrorFunc prints a flag error and the command's flags to stderr, worded as Go's flag package words
// them (the CLI was on it before cobra, and scripts and people know these messages).
func flagErrorFunc(cmd *cobra.Command, err error) error {
	msg := flagMessage(err)
	fmt.Fprintf(cmd.ErrOrStderr(), "%s\nUsage of %s:\n%s", msg, cmd.CommandPath(), cmd.LocalFlags().FlagUsages())
	return flagError{errors.New(msg)}
}

func flagMessage(err error) string {
	var notDefined *pflag.NotExistError
	var noValue *pflag.ValueRequiredError
	var badValue *pflag.InvalidValueError
	switch {
	case errors.As(err, &notDefined):
		return "flag provided but not defined: -" + notDefined.GetSpecifiedName()
	case errors.As(err, &noValue):
		return "flag needs an argument: -" + noValue.GetSpecifiedName()
	case errors.As(err, &badValue) && badValue.GetFlag().Value.Type() == "bool":
		return fmt.Sprintf("invalid boolean value %q for -%s: parse error", badValue.GetValue(), badValue.GetFlag().Name)
	case errors.As(err, &badValue):
		return fmt.Sprintf("invalid value %q for flag -%s: %v", badValue.GetValue(), badValue.GetFlag().Name, badValue.Unwrap())
	}
	return err.Error()
}

// goStyleFlag is a long flag written with one dash, as Go's flag package allows: -json, -id=x.
var goStyleFlag = regexp.MustCompile(`^-[a-z][a-z0-9-]+(=.*)?$`)

// goStyleFlags returns args with one-dash long flags given two dashes, so that the command lines that
// worked on Go's flag package (`eaapl run -json ...`) still do; pflag would read -json as -j -s -o -n.
// No flag has a one-letter form but -h, and after "--" nothing is a flag.
func goStyleFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if goStyleFlag.MatchString(a) {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

// descColumn is where the usage starts a command's description.
const descColumn = 40

// helpText is the help of cmd: for the root, every command with what it does; for a command, its
// synopsis, what it does and its flags.
func helpText(cmd *cobra.Command) string {
	var b strings.Builder
	if !cmd.HasParent() {
		b.WriteString(intro + "\n\nUsage:\n")
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				writeCommand(&b, c)
			}
		}
		b.WriteString("\n" + configHint + "\n")
		return b.String()
	}
	b.WriteString("Usage:\n")
	for _, s := range synopses(cmd) {
		b.WriteString("  " + s + "\n")
	}
	for _, about := range []string{cmd.Short, cmd.Long} { // Long, when set, says more than the usage's line
		if about == "" {
			continue
		}
		b.WriteString("\n")
		for line := range strings.Lines(about) { // each line a paragraph; an indented one (a list) as it is
			if line = strings.TrimRight(line, "\n"); strings.HasPrefix(line, " ") {
				b.WriteString(line + "\n")
				continue
			}
			b.WriteString(strings.Join(wrap(line, 100), "\n") + "\n")
		}
	}
	if flags := cmd.LocalFlags().FlagUsages(); flags != "" {
		b.WriteString("\nFlags:\n" + flags)
	}
	return b.String()
}

// writeCommand writes a command's synopses and description, the description from descColumn.
func writeCommand(b *strings.Builder, c *cobra.Command) {
	lines := synopses(c)
	desc := wrap(c.Short, 106-descColumn)
	if len(lines) == 1 && len(lines[0]) < descColumn-3 && len(desc) > 0 {
		fmt.Fprintf(b, "  %-*s%s\n", descColumn-2, lines[0], desc[0])
		lines, desc = nil, desc[1:]
	}
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	for _, d := range desc {
		b.WriteString(strings.Repeat(" ", descColumn) + d + "\n")
	}
}

// synopses are the ways to call c, one for each line of its Use, each with the command's path.
func synopses(c *cobra.Command) []string {
	prefix := ""
	if c.HasParent() {
		prefix = c.Parent().CommandPath() + " "
	}
	lines := strings.Split(c.Use, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return lines
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
