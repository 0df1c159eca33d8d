package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCompletionCmd prints the script that makes a shell complete eaapl's commands, flags and flag values.
func newCompletionCmd() *cobra.Command {
	shells := []string{"bash", "zsh", "fish"}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "print the script that makes a shell complete eaapl's commands and flags",
		Long: "Bash: " +
			"source <(eaapl completion bash), or save it in /etc/bash_completion.d/eaapl. Zsh: eaapl completion zsh > " +
			`"${fpath[1]}/_eaapl". Fish: eaapl completion fish > ~/.config/fish/completions/eaapl.fish.`,
		ValidArgs: shells,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{msg: "eaapl completion needs one shell: bash, zsh or fish"}
			}
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return usageError{msg: fmt.Sprintf("eaapl completion knows bash, zsh and fish, not %q", args[0])}
		},
	}
}
